package org.kinesisaggregator.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfValuesTest {

    @ParameterizedTest
    @CsvSource({
        "15s, 15000",
        "1, 1000",
        "0.5, 500",
        "1.5s, 1500",
        "2m, 120000",
        "1h, 3600000",
        "3d, 259200000",
        "'  60 ', 60000",
        "0, 0"
    })
    void times(String text, long millis) {
        assertThat(ConfValues.time(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "", "1x", "-1s", "1 day", "s"})
    void badTimes(String text) {
        assertThatThrownBy(() -> ConfValues.time(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("is not a time (expected: a number with optional s/m/h/d)");
    }

    @ParameterizedTest
    @CsvSource({
        "1m, 1048576",
        "8M, 8388608",
        "8MB, 8388608",
        "256k, 262144",
        "1g, 1073741824",
        "1t, 1099511627776",
        "512, 512",
        "64g, 68719476736"
    })
    void sizes(String text, long bytes) {
        assertThat(ConfValues.size(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.5m", "big", "", "-1", "10000000000t"})
    void badSizes(String text) {
        assertThatThrownBy(() -> ConfValues.size(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a size");
    }

    @ParameterizedTest
    @CsvSource({"true, true", "yes, true", "false, false", "no, false", "'', true"})
    void booleans(String text, boolean value) {
        assertThat(ConfValues.bool(text)).isEqualTo(value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "0", "on", "TRUE"})
    void badBooleans(String text) {
        assertThatThrownBy(() -> ConfValues.bool(text))
                .hasMessage("\"" + text + "\" is not a boolean (expected: true, false, yes or no)");
    }
}
