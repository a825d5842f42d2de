package org.kinesisaggregator.kinesis.format;

import java.io.OutputStream;
import java.util.Arrays;

/**
 * A reusable byte sink: an {@link OutputStream} over a growing array whose content is read in
 * place ({@link #array()}, {@link #length()}). Not thread-safe.
 */
public final class GrowableBytes extends OutputStream {
    private byte[] bytes;
    private int length;

    public GrowableBytes(int initialCapacity) {
        bytes = new byte[Math.max(16, initialCapacity)];
    }

    /** The backing array; valid up to {@link #length()} until the next write or reset. */
    public byte[] array() {
        return bytes;
    }

    public int length() {
        return length;
    }

    public void reset() {
        length = 0;
    }

    /** Drops everything after {@code newLength}. */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IndexOutOfBoundsException("newLength: " + newLength + " (expected: 0.." + length + ")");
        }
        length = newLength;
    }

    @Override
    public void write(int b) {
        ensure(1);
        bytes[length++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, bytes, length, len);
        length += len;
    }

    /** A copy of the content. */
    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, length);
    }

    private void ensure(int more) {
        if (length + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
        }
    }
}
