package org.kinesisaggregator.kinesis.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DateTimeException;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The formatter's one-second cache. */
class StrftimeFormatterTest {

    /** A second java.time cannot hold must not move the cache: the same second again must not print the last good one. */
    @Test
    void aSecondThatCannotBeFormattedIsNotCached() {
        StrftimeFormatter f = StrftimeFormatter.of("%Y-%m-%dT%H:%M:%S", ZoneOffset.UTC);
        assertThat(f.format(1_700_000_000L, 0)).isEqualTo("2023-11-14T22:13:20");
        assertThatThrownBy(() -> f.format(Long.MIN_VALUE, 0)).isInstanceOf(DateTimeException.class);
        assertThatThrownBy(() -> f.format(Long.MIN_VALUE, 0)).isInstanceOf(DateTimeException.class);
        assertThat(f.format(1_700_000_001L, 0)).isEqualTo("2023-11-14T22:13:21");
    }
}
