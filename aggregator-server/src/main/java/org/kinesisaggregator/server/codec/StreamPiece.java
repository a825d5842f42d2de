package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * The next validated whole entries of the streamed message. The receiver owns {@link #content()}
 * and releases it once the piece's write has completed.
 */
public final class StreamPiece extends DefaultByteBufHolder {
    private final int eventCount;

    public StreamPiece(ByteBuf entries, int eventCount) {
        super(entries);
        this.eventCount = eventCount;
    }

    public int eventCount() {
        return eventCount;
    }

    @Override
    public String toString() {
        return "StreamPiece[events=" + eventCount + ", bytes=" + content().readableBytes() + "]";
    }
}
