package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The outputs' per-event formatting skeleton: an unformattable event is rejected alone, with its reason. */
class EventFormattingTest {
    private static final String RANGE = "(expected: 0..4294967295 seconds since the epoch, 1970..2106)";

    @Test
    void eventsWithTimesOutsideTheRangeOrAThrowingFormatAreRejectedAloneWithTheirReasons() throws Exception {
        EntryWriter w = new EntryWriter()
                .add(1_700_000_000L, 0, Map.of("n", 0))
                .addIntegerTime(Long.MIN_VALUE, Map.of("n", 1))
                .addFloatTime(1e300, Map.of("n", 2))
                .add(1_700_000_000L, -1, Map.of("n", 3))
                .add(1_700_000_000L, 0, Map.of("n", 4, "boom", true))
                .addIntegerTime(4_294_967_295L, Map.of("n", 5));
        InMemoryChunk chunk = InMemoryChunk.of("c", "t", w.toByteBuffer(), w.eventCount(), Instant.EPOCH);
        List<Integer> formatted = new ArrayList<>();
        EventFormatting run = EventFormatting.formatEach(chunk, c -> {
            if (c.record().remaining() > 8) {
                throw new DateTimeException("Instant exceeds minimum or maximum instant");
            }
            formatted.add(c.index());
        });

        assertThat(formatted).containsExactly(0, 5);
        assertThat(run.formattedCount()).isEqualTo(2);
        assertThat(run.rejected())
                .containsExactly(
                        Map.entry(1, "time: -9223372036854775808 seconds " + RANGE),
                        Map.entry(2, "time: 9223372036854775807 seconds " + RANGE),
                        Map.entry(3, "time: 4294967295 nanoseconds (expected: 0..999999999)"),
                        Map.entry(4, "cannot format: DateTimeException: Instant exceeds minimum or maximum instant"));
        WriteResult result = run.delivered();
        assertThat(result.isAllDelivered()).isFalse();
        assertThat(result.failureReason()).isNull();
        assertThat(result.delivered().stream()).containsExactly(0, 5);
        assertThat(result.rejected()).isEqualTo(run.rejected());
        assertThat(chunk.apply(result)).as("nothing left to retry").isZero();
    }

    @Test
    void aFormatterExceptionKeepsItsOwnReasonAndAChunkWithoutRejectionsIsAllDelivered() throws Exception {
        EntryWriter w = new EntryWriter().add(1, 0, Map.of("n", 0)).add(2, 0, Map.of("n", 1));
        InMemoryChunk chunk = InMemoryChunk.of("c", "t", w.toByteBuffer(), w.eventCount(), Instant.EPOCH);
        assertThat(EventFormatting.formatEach(chunk, c -> {}).delivered().isAllDelivered())
                .isTrue();
        EventFormatting run = EventFormatting.formatEach(chunk, c -> {
            if (c.index() == 1) {
                throw new Exception("data_key payload: missing in the record (expected: a field to send)");
            }
        });
        assertThat(run.rejected())
                .containsExactly(Map.entry(1, "data_key payload: missing in the record (expected: a field to send)"));
    }
}
