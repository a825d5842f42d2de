package org.kinesisaggregator.kinesis;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.kinesisaggregator.buffer.WriteResult;

/**
 * Collects the per-event outcome of one {@code write(chunk)}: events delivered (their Kinesis
 * record succeeded), rejected for good (with a reason), or neither (failed this time; the buffer
 * retries exactly those). Completes the write's future once the write loop has {@link #seal sealed}
 * it and every Kinesis record handed to KPL has settled — on the given executor, never on KPL's
 * callback threads.
 *
 * <p>Thread-safe: the writing thread and KPL callbacks update it concurrently.
 */
final class WriteTracker {
    private final CompletableFuture<WriteResult> future = new CompletableFuture<>();
    private final Executor completion;
    private final BitSet delivered = new BitSet();
    private final Map<Integer, String> rejected = new HashMap<>();
    private int seen;
    private int deliveredCount;
    private int failedCount;
    private String firstFailure;
    private int otherFailureReasons;
    private int pendingRecords;
    private boolean sealed;
    private boolean completed;

    WriteTracker(Executor completion) {
        this.completion = completion;
    }

    CompletableFuture<WriteResult> future() {
        return future;
    }

    /** One more event read from the chunk. */
    synchronized void seen() {
        seen++;
    }

    synchronized int seenCount() {
        return seen;
    }

    synchronized void reject(int index, String reason) {
        rejected.put(index, reason);
    }

    /** An event failed before reaching KPL. */
    synchronized void fail(int index, String reason) {
        failedCount++;
        noteFailure(reason);
    }

    /** A Kinesis record was handed to KPL. */
    synchronized void submitted() {
        pendingRecords++;
    }

    /** A Kinesis record holding {@code count} events (indexes[0..count)) was delivered. */
    void delivered(int[] indexes, int count) {
        boolean complete;
        synchronized (this) {
            if (completed) {
                return;
            }
            for (int i = 0; i < count; i++) {
                delivered.set(indexes[i]);
            }
            deliveredCount += count;
            pendingRecords--;
            complete = sealed && pendingRecords == 0;
        }
        if (complete) {
            complete(null);
        }
    }

    /** A Kinesis record holding {@code count} events failed. */
    void failed(int count, String reason) {
        boolean complete;
        synchronized (this) {
            if (completed) {
                return;
            }
            failedCount += count;
            noteFailure(reason);
            pendingRecords--;
            complete = sealed && pendingRecords == 0;
        }
        if (complete) {
            complete(null);
        }
    }

    /** The write loop is done; {@code abortReason} is why it stopped early, or null. */
    void seal(String abortReason) {
        boolean complete;
        synchronized (this) {
            sealed = true;
            if (abortReason != null) {
                noteFailure(abortReason);
                failedCount++;
            }
            complete = pendingRecords == 0;
        }
        if (complete) {
            complete(null);
        }
    }

    /** Completes now with what is known (output closing); later outcomes are ignored. */
    void forceComplete(String reason) {
        complete(reason);
    }

    private void noteFailure(String reason) {
        if (firstFailure == null) {
            firstFailure = reason;
        } else if (!firstFailure.equals(reason)) {
            otherFailureReasons++;
        }
    }

    private void complete(String forcedReason) {
        WriteResult result;
        synchronized (this) {
            if (completed) {
                return;
            }
            completed = true;
            if (forcedReason != null && pendingRecords > 0) {
                noteFailure(forcedReason);
                failedCount++;
            }
            if (failedCount == 0 && rejected.isEmpty() && deliveredCount == seen) {
                result = WriteResult.allDelivered();
            } else {
                String reason = null;
                if (failedCount > 0 || deliveredCount + rejected.size() < seen) {
                    reason = firstFailure == null ? "not delivered" : firstFailure;
                    if (otherFailureReasons > 0) {
                        reason += " (and " + otherFailureReasons + " other failures)";
                    }
                }
                result = WriteResult.partial(delivered, rejected, reason);
            }
        }
        completion.execute(() -> future.complete(result));
    }
}
