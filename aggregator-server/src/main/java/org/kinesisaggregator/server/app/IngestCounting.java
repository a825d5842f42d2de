package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.kinesisaggregator.admin.PluginInfo;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.StreamedAppend;

/**
 * Counts what the inputs take in: per input, the events and bytes the sink accepted (monitor_agent's
 * {@code emit_records} and {@code emit_size} of an input), and per event tag the counter
 * {@code fluentd_input_status_num_records_total{tag, hostname}} that fluent-plugin-prometheus' README
 * has a {@code <filter> @type prometheus} define, so the dashboards built on it keep working.
 *
 * <p>An append counts once it is accepted (its future completed normally) and is not a re-send the
 * buffer recognised; a streamed append counts at its commit. The tag label is bounded: the first
 * {@value #MAX_TAGS} distinct tags get a series each, later ones count under {@code tag="other"}.
 *
 * <p>Thread-safe: the sinks are called from the inputs' event loops and count on whatever thread
 * completes the futures.
 */
final class IngestCounting {
    static final int MAX_TAGS = 1000;
    static final String OTHER_TAG = "other";

    private final MeterRegistry registry;
    private final String hostname;
    private final ConcurrentHashMap<String, Counter> byTag = new ConcurrentHashMap<>();

    IngestCounting(MeterRegistry registry, String hostname) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.hostname = Objects.requireNonNull(hostname, "hostname");
    }

    /** A sink that counts for one input, then hands on to {@code next}. */
    Sink forInput(EventSink next) {
        return new Sink(next);
    }

    private Counter counter(String tag) {
        Counter c = byTag.get(tag);
        if (c != null) {
            return c;
        }
        String label = byTag.size() < MAX_TAGS ? tag : OTHER_TAG;
        c = Counter.builder("fluentd.input.status.num.records")
                .description("The total number of incoming records")
                .tag("tag", label)
                .tag("hostname", hostname)
                .register(registry);
        Counter previous = label.equals(tag) ? byTag.putIfAbsent(tag, c) : null;
        return previous != null ? previous : c;
    }

    private void count(String tag, long events, long bytes, LongAdder records, LongAdder size) {
        records.add(events);
        size.add(bytes);
        counter(tag).increment(events);
    }

    /** The counting sink of one input. */
    final class Sink implements EventSink {
        private final EventSink next;
        private final LongAdder records = new LongAdder();
        private final LongAdder bytes = new LongAdder();

        private Sink(EventSink next) {
            this.next = Objects.requireNonNull(next, "next");
        }

        PluginInfo.IngestCounts counts() {
            return new PluginInfo.IngestCounts(records.sum(), bytes.sum());
        }

        @Override
        public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
            long size = entries.remaining();
            return counted(next.append(tag, entries, eventCount, dedupKey), tag, eventCount, size);
        }

        @Override
        public StreamedAppend openStream(String tag) {
            StreamedAppend stream = next.openStream(tag);
            return new StreamedAppend() {
                private long events;
                private long size;

                @Override
                public CompletableFuture<Void> write(ByteBuffer entries, int eventCount) {
                    events += eventCount;
                    size += entries.remaining();
                    return stream.write(entries, eventCount);
                }

                @Override
                public CompletableFuture<AppendResult> commit(byte[] dedupKey) {
                    long e = events;
                    long s = size;
                    return counted(stream.commit(dedupKey), tag, e, s);
                }

                @Override
                public void abandon() {
                    stream.abandon();
                }
            };
        }

        /**
         * Completes as {@code f} does (the same result, the same exception unwrapped), after counting:
         * whoever acks on the returned future acks after the count.
         */
        private CompletableFuture<AppendResult> counted(
                CompletableFuture<AppendResult> f, String tag, long events, long size) {
            CompletableFuture<AppendResult> out = new CompletableFuture<>();
            f.whenComplete((r, error) -> {
                if (error != null) {
                    out.completeExceptionally(error);
                    return;
                }
                if (!r.isDuplicate()) {
                    count(tag, events, size, records, bytes);
                }
                out.complete(r);
            });
            return out;
        }

        @Override
        public String toString() {
            return "IngestCounting[" + next + "]";
        }
    }
}
