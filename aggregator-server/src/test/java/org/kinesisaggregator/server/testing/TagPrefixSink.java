package org.kinesisaggregator.server.testing;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.StreamedAppend;

/**
 * Sends appends whose tag starts with a prefix to one sink and the rest to another, so that an isolation test
 * measures the server's connection handling, not a sink queue the attacking clients share with the measured one.
 * Stateless; thread-safe when both sinks are.
 */
public final class TagPrefixSink implements EventSink {
    private final String prefix;
    private final EventSink matching;
    private final EventSink others;

    public TagPrefixSink(String prefix, EventSink matching, EventSink others) {
        this.prefix = prefix;
        this.matching = matching;
        this.others = others;
    }

    private EventSink sinkOf(String tag) {
        return tag.startsWith(prefix) ? matching : others;
    }

    @Override
    public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
        return sinkOf(tag).append(tag, entries, eventCount, dedupKey);
    }

    @Override
    public StreamedAppend openStream(String tag) {
        return sinkOf(tag).openStream(tag);
    }
}
