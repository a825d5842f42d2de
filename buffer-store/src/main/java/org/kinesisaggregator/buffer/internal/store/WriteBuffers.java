package org.kinesisaggregator.buffer.internal.store;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Buffers in which a file buffer's chunks gather the small frames of one writer round, written
 * with one positional write per chunk when the round commits ({@link FileStoredChunk#writePending})
 * instead of one write (and a seek) per frame. Bounded: at most {@value #MAX_OUT} buffers of
 * {@value #SIZE} bytes are out at once (beyond, a chunk writes its frames at once, as before), at
 * most {@value #MAX_POOLED} are kept between rounds.
 *
 * <p>Confined to the writer thread.
 */
final class WriteBuffers {
    /** The largest frame a chunk gathers; bigger ones are written at once. */
    static final int SIZE = 64 * 1024;

    static final int MAX_OUT = 64;
    static final int MAX_POOLED = 16;

    private final ArrayDeque<ByteBuffer> pool = new ArrayDeque<>();
    private int out;

    /** A cleared buffer of {@link #SIZE} bytes, or null when {@value #MAX_OUT} are out. */
    ByteBuffer take() {
        if (out >= MAX_OUT) {
            return null;
        }
        out++;
        ByteBuffer b = pool.pollFirst();
        return b != null ? b : ByteBuffer.allocateDirect(SIZE);
    }

    /** Gives back a buffer from {@link #take()}. */
    void give(ByteBuffer b) {
        out--;
        if (pool.size() < MAX_POOLED) {
            b.clear();
            pool.addFirst(b);
        }
    }
}
