package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * The entries of the message (or of the stream piece) being decoded, in order: runs of entries
 * kept exactly as they came (retained slices of the input) and entries the decoder rewrote (written
 * into a scratch buffer). {@link #take()} hands them over as one buffer.
 *
 * <p>Owns every buffer it holds until {@link #take()} or {@link #release()}. Not thread-safe;
 * confined to the channel's event loop.
 */
final class EntriesAccumulator {
    private static final int SCRATCH_BYTES = 16 * 1024;

    private final ByteBufAllocator alloc;
    private final List<ByteBuf> parts = new ArrayList<>(4);
    private ByteBuf scratch;
    private long bytes;
    private int events;

    EntriesAccumulator(ByteBufAllocator alloc) {
        this.alloc = alloc;
    }

    /** Takes ownership of {@code run}: {@code eventCount} verbatim entries. */
    void addRun(ByteBuf run, int eventCount) {
        sealScratch();
        parts.add(run);
        bytes += run.readableBytes();
        events += eventCount;
    }

    /** A buffer to write one rewritten entry into, with at least {@code minWritable} bytes of room. */
    ByteBuf scratch(int minWritable) {
        if (scratch != null && scratch.maxFastWritableBytes() < minWritable && scratch.isReadable()) {
            sealScratch();
        }
        if (scratch == null) {
            scratch = alloc.buffer(Math.max(SCRATCH_BYTES, minWritable));
        }
        return scratch;
    }

    /** Call after writing one entry into {@link #scratch(int)}: {@code written} bytes. */
    void scratchWritten(int written) {
        bytes += written;
        events++;
    }

    long bytes() {
        return bytes;
    }

    int events() {
        return events;
    }

    boolean isEmpty() {
        return events == 0 && parts.isEmpty() && (scratch == null || !scratch.isReadable());
    }

    /**
     * Hands over everything accumulated as one buffer (the caller owns it) and starts empty.
     * Several parts are copied into one contiguous buffer, so that the sink gets one ByteBuffer.
     */
    ByteBuf take() {
        sealScratch();
        ByteBuf result;
        if (parts.isEmpty()) {
            result = alloc.buffer(0);
        } else if (parts.size() == 1) {
            result = parts.get(0);
        } else {
            result = alloc.buffer((int) bytes);
            try {
                for (ByteBuf part : parts) {
                    result.writeBytes(part, part.readerIndex(), part.readableBytes());
                }
            } finally {
                for (ByteBuf part : parts) {
                    part.release();
                }
            }
        }
        parts.clear();
        bytes = 0;
        events = 0;
        return result;
    }

    /** Releases everything held (the message was dropped or the connection failed). */
    void release() {
        for (ByteBuf part : parts) {
            part.release();
        }
        parts.clear();
        if (scratch != null) {
            scratch.release();
            scratch = null;
        }
        bytes = 0;
        events = 0;
    }

    private void sealScratch() {
        if (scratch != null) {
            if (scratch.isReadable()) {
                parts.add(scratch);
            } else {
                scratch.release();
            }
            scratch = null;
        }
    }
}
