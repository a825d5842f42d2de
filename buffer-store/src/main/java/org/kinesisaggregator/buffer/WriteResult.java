package org.kinesisaggregator.buffer;

import java.util.BitSet;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one {@link Output#write} achieved, per event index of the chunk.
 *
 * <ul>
 *   <li>delivered: done; never sent again.
 *   <li>rejected: can never be delivered (e.g. a record over Kinesis' 1 MiB limit); moved to
 *       {@code <secondary>} or {@code failed/} with the reason, never dropped silently.
 *   <li>every other event of the chunk that was not done before: failed this time; retried later
 *       with backoff, and only those.
 * </ul>
 *
 * <p>Immutable once built.
 */
public final class WriteResult {

    private final boolean allDelivered;
    private final BitSet delivered;
    private final Map<Integer, String> rejected;
    private final String failureReason;

    private WriteResult(boolean allDelivered, BitSet delivered, Map<Integer, String> rejected, String failureReason) {
        this.allDelivered = allDelivered;
        this.delivered = delivered;
        this.rejected = rejected;
        this.failureReason = failureReason;
    }

    /** Every event of the chunk that was not done before is now delivered. */
    public static WriteResult allDelivered() {
        return new WriteResult(true, new BitSet(), Map.of(), null);
    }

    /** Nothing delivered this time; everything pending is retried. */
    public static WriteResult failed(String reason) {
        return new WriteResult(false, new BitSet(), Map.of(), reason);
    }

    /**
     * Per-event outcome.
     *
     * @param delivered indexes delivered by this write (copied)
     * @param rejected indexes that can never be delivered, with the reason (copied)
     * @param failureReason why the others failed, or null when none did
     */
    public static WriteResult partial(BitSet delivered, Map<Integer, String> rejected, String failureReason) {
        return new WriteResult(
                false, (BitSet) delivered.clone(), Collections.unmodifiableMap(new TreeMap<>(rejected)), failureReason);
    }

    public boolean isAllDelivered() {
        return allDelivered;
    }

    /** True when event {@code index} was delivered by this write. */
    public boolean isDelivered(int index) {
        return allDelivered || delivered.get(index);
    }

    /** Indexes delivered by this write (a copy); empty when {@link #isAllDelivered()}. */
    public BitSet delivered() {
        return (BitSet) delivered.clone();
    }

    /** Indexes rejected for good, with reasons. */
    public Map<Integer, String> rejected() {
        return rejected;
    }

    /** Why the remaining events failed, or null. */
    public String failureReason() {
        return failureReason;
    }

    @Override
    public String toString() {
        if (allDelivered) {
            return "WriteResult[all delivered]";
        }
        return "WriteResult[delivered=" + delivered.cardinality() + ", rejected=" + rejected.size()
                + (failureReason == null ? "" : ", failure=" + failureReason) + "]";
    }
}
