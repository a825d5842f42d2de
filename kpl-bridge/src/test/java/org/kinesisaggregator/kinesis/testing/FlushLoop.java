package org.kinesisaggregator.kinesis.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.kinesisaggregator.buffer.InMemoryChunk;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;

/**
 * What buffer-store's flush thread does with one chunk, reduced to its contract: write, apply the
 * per-event result, write again what is still pending, until nothing is or the attempts run out.
 * No backoff: in these tests KPL's own retries and record_ttl pace the attempts.
 */
public final class FlushLoop {
    private FlushLoop() {}

    /**
     * @param attempts how many writes were made
     * @param pending events neither delivered nor rejected at the end
     * @param rejected events rejected for good, with reasons
     * @param failureReasons the failure reason of every write that did not deliver everything
     */
    public record Outcome(int attempts, int pending, Map<Integer, String> rejected, List<String> failureReasons) {}

    /** Writes until done or {@code maxAttempts}; each write may take at most {@code perWrite}. */
    public static Outcome deliver(Output output, InMemoryChunk chunk, int maxAttempts, Duration perWrite)
            throws Exception {
        Map<Integer, String> rejected = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        int attempts = 0;
        int pending = chunk.eventCount();
        while (pending > 0 && attempts < maxAttempts) {
            attempts++;
            WriteResult result = output.write(chunk).get(perWrite.toMillis(), TimeUnit.MILLISECONDS);
            rejected.putAll(result.rejected());
            if (result.failureReason() != null) {
                failures.add(result.failureReason());
            }
            pending = chunk.apply(result);
            chunk.setRetryCount(chunk.retryCount() + 1);
        }
        return new Outcome(attempts, pending, rejected, failures);
    }
}
