package org.kinesisaggregator.buffer;

/**
 * What an append did, once it completed normally.
 *
 * @param storedEvents events stored by this append ({@code 0} for a duplicate)
 * @param isDuplicate true when the append's dedup key had been seen and nothing was stored
 */
public record AppendResult(long storedEvents, boolean isDuplicate) {

    private static final AppendResult DUPLICATE = new AppendResult(0, true);

    public AppendResult {
        if (storedEvents < 0) {
            throw new IllegalArgumentException("storedEvents: " + storedEvents + " (expected: >= 0)");
        }
    }

    public static AppendResult stored(long events) {
        return new AppendResult(events, false);
    }

    public static AppendResult duplicate() {
        return DUPLICATE;
    }

    /** Combines the results of a fan-out (one append to several sinks). */
    public AppendResult and(AppendResult other) {
        return new AppendResult(storedEvents + other.storedEvents, isDuplicate && other.isDuplicate);
    }
}
