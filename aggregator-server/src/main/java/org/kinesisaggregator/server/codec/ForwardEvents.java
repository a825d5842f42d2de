package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * A whole decoded message: validated entries of one tag, ready for
 * {@link org.kinesisaggregator.buffer.EventSink#append}. Whoever receives it owns {@link #content()}
 * and releases it once the append's future has completed.
 */
public final class ForwardEvents extends DefaultByteBufHolder {
    private final String tag;
    private final int eventCount;
    private final ForwardOption option;
    private final ForwardMode mode;
    private final long wireBytes;
    private final int skippedEvents;
    private final String firstSkipReason;

    public ForwardEvents(
            String tag,
            ByteBuf entries,
            int eventCount,
            ForwardOption option,
            ForwardMode mode,
            long wireBytes,
            int skippedEvents,
            String firstSkipReason) {
        super(entries);
        this.tag = tag;
        this.eventCount = eventCount;
        this.option = option;
        this.mode = mode;
        this.wireBytes = wireBytes;
        this.skippedEvents = skippedEvents;
        this.firstSkipReason = firstSkipReason;
    }

    public String tag() {
        return tag;
    }

    public int eventCount() {
        return eventCount;
    }

    public ForwardOption option() {
        return option;
    }

    public ForwardMode mode() {
        return mode;
    }

    /** Bytes the message took on the wire (compressed size for CompressedPackedForward). */
    public long wireBytes() {
        return wireBytes;
    }

    /** Invalid entries dropped under {@code skip_invalid_event}. */
    public int skippedEvents() {
        return skippedEvents;
    }

    /** Why the first skipped entry was invalid, or null. */
    public String firstSkipReason() {
        return firstSkipReason;
    }

    @Override
    public String toString() {
        return "ForwardEvents[tag=" + tag + ", events=" + eventCount + ", mode=" + mode + ", bytes="
                + content().readableBytes() + "]";
    }
}
