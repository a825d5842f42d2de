package org.kinesisaggregator.buffer;

/**
 * The range of event times that every output and format can represent, shared by ingest (a time
 * outside it is an invalid event) and by the outputs (an event already buffered with such a time,
 * e.g. by an older version, is rejected alone instead of failing its chunk).
 *
 * <p>The range is that of the forward protocol's EventTime, whose seconds are an unsigned 32-bit
 * integer: {@value #MIN_EPOCH_SECOND} .. {@value #MAX_EPOCH_SECOND} seconds since the epoch
 * (1970-01-01T00:00:00Z .. 2106-02-07T06:28:15Z), nanoseconds {@value #MAX_NANOS} at most. Inside
 * it every time can be re-encoded as an EventTime, is a {@code java.time.Instant}, has a 4-digit
 * year in every time zone (strftime {@code %Y}), and as a float keeps microseconds (Fluentd's
 * float time) without overflow. Integer, float and EventTime times all use the same range.
 *
 * <p>Stateless; thread-safe.
 */
public final class EventTimes {

    /** The first representable second (the epoch). */
    public static final long MIN_EPOCH_SECOND = 0;

    /** The last representable second: 2^32 - 1, 2106-02-07T06:28:15Z. */
    public static final long MAX_EPOCH_SECOND = 0xFFFF_FFFFL;

    /** The largest nanoseconds-within-the-second. */
    public static final int MAX_NANOS = 999_999_999;

    /** The rule, as error messages quote it. */
    public static final String RANGE = "0.." + MAX_EPOCH_SECOND + " seconds since the epoch, 1970..2106";

    private EventTimes() {}

    /** True when the time {@code epochSecond} + {@code nanos} is in the range. */
    public static boolean isRepresentable(long epochSecond, int nanos) {
        return epochSecond >= MIN_EPOCH_SECOND && epochSecond <= MAX_EPOCH_SECOND && nanos >= 0 && nanos <= MAX_NANOS;
    }

    /** True when the float time {@code seconds} is in the range (finite, and its second is). */
    public static boolean isRepresentable(double seconds) {
        return seconds >= MIN_EPOCH_SECOND && seconds < MAX_EPOCH_SECOND + 1.0;
    }

    /** Why the time {@code epochSecond} + {@code nanos} is out of the range, or null when it is in it. */
    public static String whyNotRepresentable(long epochSecond, int nanos) {
        if (epochSecond < MIN_EPOCH_SECOND || epochSecond > MAX_EPOCH_SECOND) {
            return "time: " + epochSecond + " seconds (expected: " + RANGE + ")";
        }
        if (nanos < 0 || nanos > MAX_NANOS) {
            return "time: " + Integer.toUnsignedString(nanos) + " nanoseconds (expected: 0.." + MAX_NANOS + ")";
        }
        return null;
    }
}
