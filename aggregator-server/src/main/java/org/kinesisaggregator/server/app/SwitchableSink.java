package org.kinesisaggregator.server.app;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.StreamedAppend;

/**
 * The sink an input is constructed with: it hands every append to its current target (the counting
 * sink in front of the router of the input's label), and a conf reload that keeps the input running
 * points it at the new conf's routes with {@link #switchTo}.
 *
 * <p>The switch is one volatile write: an append (or a streamed append, from {@link #openStream} to
 * its commit) goes wholly to the target read when it started, and completes against that target;
 * the ones after the switch go to the new one. Nothing is held or replayed, so acks are not
 * affected.
 *
 * <p>Thread-safe: the input's event loops call it; {@link #switchTo} runs on the reloading thread.
 */
final class SwitchableSink implements EventSink {
    private volatile EventSink target;

    SwitchableSink(EventSink target) {
        this.target = Objects.requireNonNull(target, "target");
    }

    /** From now on, appends go to {@code next}. */
    void switchTo(EventSink next) {
        target = Objects.requireNonNull(next, "next");
    }

    @Override
    public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
        return target.append(tag, entries, eventCount, dedupKey);
    }

    @Override
    public StreamedAppend openStream(String tag) {
        return target.openStream(tag);
    }

    @Override
    public String toString() {
        return "SwitchableSink[" + target + "]";
    }
}
