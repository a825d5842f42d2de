package org.kinesisaggregator.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.buffer.WriteResult;

class WriteTrackerTest {
    private final ExecutorService results = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        results.shutdownNow();
    }

    @Test
    void completesOnlyWhenSealedAndEveryRecordSettled() throws Exception {
        WriteTracker tracker = new WriteTracker(results);
        for (int i = 0; i < 4; i++) {
            tracker.seen();
        }
        tracker.submitted();
        tracker.submitted();
        tracker.delivered(new int[] {0, 1}, 2);
        tracker.seal(null);
        assertThat(tracker.future()).isNotDone();
        tracker.delivered(new int[] {2, 3, 99}, 2);
        WriteResult result = tracker.future().get(5, TimeUnit.SECONDS);
        assertThat(result.isAllDelivered()).isTrue();
    }

    @Test
    void reportsDeliveredRejectedAndFailedEvents() throws Exception {
        WriteTracker tracker = new WriteTracker(results);
        for (int i = 0; i < 6; i++) {
            tracker.seen();
        }
        tracker.reject(5, "too large");
        tracker.fail(4, "stream s not found in region r");
        tracker.submitted();
        tracker.submitted();
        tracker.delivered(new int[] {0, 1}, 2);
        tracker.failed(2, "stream s: Expired: record expired");
        tracker.seal(null);
        WriteResult result = tracker.future().get(5, TimeUnit.SECONDS);

        assertThat(result.isAllDelivered()).isFalse();
        assertThat(result.delivered().stream().toArray()).containsExactly(0, 1);
        assertThat(result.rejected()).containsExactly(Map.entry(5, "too large"));
        assertThat(result.failureReason()).isEqualTo("stream s not found in region r (and 1 other failures)");
    }

    @Test
    void anAbortedLoopAndAForcedCompletionReportFailure() throws Exception {
        WriteTracker aborted = new WriteTracker(results);
        aborted.seen();
        aborted.submitted();
        aborted.delivered(new int[] {0}, 1);
        aborted.seal("chunk c unreadable after 1 events: bad frame");
        assertThat(aborted.future().get(5, TimeUnit.SECONDS).failureReason()).startsWith("chunk c unreadable");

        WriteTracker forced = new WriteTracker(results);
        forced.seen();
        forced.submitted();
        forced.seal(null);
        forced.forceComplete("output closed");
        WriteResult result = forced.future().get(5, TimeUnit.SECONDS);
        assertThat(result.delivered().isEmpty()).isTrue();
        assertThat(result.failureReason()).isEqualTo("output closed");
        forced.delivered(new int[] {0}, 1);
        assertThat(forced.future().get().failureReason()).isEqualTo("output closed");
    }
}
