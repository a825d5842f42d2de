package org.kinesisaggregator.server.output;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferCounters;
import org.kinesisaggregator.buffer.BufferException;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.InMemoryChunk;
import org.kinesisaggregator.buffer.LogSafe;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.buffer.WriteResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An unbuffered output (Fluentd's non-buffered mode: {@code stdout} or {@code null} without a
 * {@code <buffer>}): each append is wrapped as an {@link InMemoryChunk} (no copy) and written at
 * once; the append completes when the output's write completed, so the forwarder's ack waits for
 * it. A write that does not deliver every event fails the append (no ack; the forwarder re-sends,
 * as with Fluentd's non-buffered outputs, which have no retries of their own). Events the output
 * rejects for good are logged and not retried.
 *
 * <p>Streams: each piece is written as it comes (an unbuffered output holds nothing back), so a
 * stream abandoned midway may have shown part of its events; the commit completes when every
 * piece has been written.
 *
 * <p>Thread-safe; never blocks (the output does its I/O on its own thread).
 */
public final class SyncOutputSink implements EventSink {
    private static final Logger log = LoggerFactory.getLogger(SyncOutputSink.class);

    private final String outputId;
    private final Output output;
    private final Clock clock;
    private final AtomicLong sequence = new AtomicLong();
    private final LongAdder emitCount = new LongAdder();
    private final LongAdder emitRecords = new LongAdder();
    private final LongAdder emitBytes = new LongAdder();
    private final LongAdder writeCount = new LongAdder();
    private final LongAdder numErrors = new LongAdder();

    public SyncOutputSink(String outputId, Output output, Clock clock) {
        this.outputId = Objects.requireNonNull(outputId, "outputId");
        this.output = Objects.requireNonNull(output, "output");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public Output output() {
        return output;
    }

    /**
     * Fluentd's counters of a non-buffered output: appends offered, events and bytes taken, writes,
     * failed writes (no rollbacks, slow flushes or secondary here). Thread-safe.
     */
    public BufferCounters counters() {
        return new BufferCounters(
                emitCount.sum(), emitRecords.sum(), emitBytes.sum(), writeCount.sum(), 0, 0, numErrors.sum(), 0, 0, 0);
    }

    @Override
    public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
        emitCount.increment();
        if (eventCount == 0) {
            return CompletableFuture.completedFuture(AppendResult.stored(0));
        }
        emitRecords.add(eventCount);
        emitBytes.add(entries.remaining());
        writeCount.increment();
        InMemoryChunk chunk = InMemoryChunk.of(
                outputId + "-" + sequence.incrementAndGet(), tag, entries.duplicate(), eventCount, clock.instant());
        CompletableFuture<WriteResult> written;
        try {
            written = output.write(chunk);
        } catch (RuntimeException e) {
            written = CompletableFuture.failedFuture(e);
        }
        return written.handle((result, error) -> {
            if (error != null) {
                numErrors.increment();
                throw new CompletionException(new BufferException(
                        "output " + outputId + " (" + output.type() + ") failed to write " + eventCount
                                + " events of tag " + LogSafe.escape(tag) + ": " + error,
                        error));
            }
            int pending = chunk.apply(result);
            for (Map.Entry<Integer, String> r : result.rejected().entrySet()) {
                log.warn(
                        "Output {} ({}) rejected event {} of tag {} for good: {}",
                        outputId,
                        output.type(),
                        r.getKey(),
                        LogSafe.escape(tag),
                        LogSafe.escape(r.getValue()));
            }
            if (pending > 0) {
                numErrors.increment();
                throw new CompletionException(new BufferException("output " + outputId + " (" + output.type()
                        + ") delivered "
                        + (eventCount - pending) + " of " + eventCount + " events of tag " + LogSafe.escape(tag) + ": "
                        + result.failureReason()
                        + "; the forwarder will re-send"));
            }
            return AppendResult.stored(eventCount - result.rejected().size());
        });
    }

    @Override
    public StreamedAppend openStream(String tag) {
        return new StreamedAppend() {
            private CompletableFuture<AppendResult> written = CompletableFuture.completedFuture(AppendResult.stored(0));

            @Override
            public CompletableFuture<Void> write(ByteBuffer entries, int eventCount) {
                CompletableFuture<AppendResult> piece = append(tag, entries, eventCount, null);
                written = written.thenCombine(piece, AppendResult::and);
                return piece.thenApply(r -> null);
            }

            @Override
            public CompletableFuture<AppendResult> commit(byte[] dedupKey) {
                return written;
            }

            @Override
            public void abandon() {
                // pieces were written as they came
            }
        };
    }

    @Override
    public String toString() {
        return "SyncOutputSink[" + outputId + " → " + output.type() + "]";
    }
}
