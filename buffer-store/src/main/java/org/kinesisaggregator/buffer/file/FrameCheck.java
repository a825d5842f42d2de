package org.kinesisaggregator.buffer.file;

/**
 * The verdict on the frame at one position of a chunk file: a tri-state, never a boolean plus a
 * log line.
 *
 * <ul>
 *   <li>{@link Valid}: complete, checksum matches.
 *   <li>{@link Corrupt}: complete, but its checksum does not match or its header is impossible
 *       (bit rot, a scribbled file): everything from here on is cut off, loudly.
 *   <li>{@link Truncated}: the file ends inside the frame (a torn tail after a crash): cut off, and
 *       counted, as an expected outcome of a crash.
 * </ul>
 */
public sealed interface FrameCheck {

    /**
     * A good frame of {@code frameBytes} bytes in the file; {@code storedAtEpochMillis},
     * {@code keyHi} and {@code keyLo} are 0 in a version-1 file or a frame without dedup key.
     */
    record Valid(int eventCount, String tag, long frameBytes, long storedAtEpochMillis, long keyHi, long keyLo)
            implements FrameCheck {
        /** True when the frame carries the dedup key of the append it holds. */
        public boolean hasDedupKey() {
            return keyHi != 0 || keyLo != 0;
        }
    }

    /**
     * A frame that cannot be trusted.
     *
     * @param expectedCrc the checksum stored in the frame
     * @param actualCrc the checksum computed over the frame's bytes (0 when the header is impossible)
     * @param reason what is wrong, for the log
     */
    record Corrupt(int expectedCrc, int actualCrc, String reason) implements FrameCheck {}

    /** The file ends {@code missingBytes} bytes before the frame would. */
    record Truncated(long missingBytes) implements FrameCheck {}
}
