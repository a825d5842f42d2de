package org.kinesisaggregator.server.app;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferStats;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.server.output.SyncOutputSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PROVISIONAL {@link BufferFactory} until buffer-store's implementation is merged: every "buffer"
 * writes each append straight through to its output (as {@link SyncOutputSink} does) and the
 * append completes when the output's write did, so acks still wait for the output. No chunking,
 * no retries, no secondary, no dedup; it logs once that buffering is not available yet. The lead
 * replaces it in {@link Plugins#defaults()} with buffer-store's factory.
 *
 * <p>Thread-safe.
 */
public final class UnbufferedFactory implements BufferFactory {
  private static final Logger log = LoggerFactory.getLogger(UnbufferedFactory.class);

  private final Clock clock;
  private final AtomicBoolean warned = new AtomicBoolean();

  public UnbufferedFactory(Clock clock) {
    this.clock = clock;
  }

  @Override
  public EventBuffer create(String outputId, BufferSettings settings, Output output, Output secondaryOrNull) {
    return new PassThroughBuffer(new SyncOutputSink(outputId, output, clock), outputId);
  }

  /** Delegates to a {@link SyncOutputSink}. */
  private final class PassThroughBuffer implements EventBuffer {
    private final SyncOutputSink sink;
    private final String outputId;

    PassThroughBuffer(SyncOutputSink sink, String outputId) {
      this.sink = sink;
      this.outputId = outputId;
    }

    @Override
    public void start() throws IOException {
      if (warned.compareAndSet(false, true)) {
        log.warn("Buffering is not available in this build yet: buffered outputs (first: {}) write each append"
            + " straight through (no chunks, no retries); acks still wait for the output", outputId);
      }
    }

    @Override
    public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
      return sink.append(tag, entries, eventCount, dedupKey);
    }

    @Override
    public StreamedAppend openStream(String tag) {
      return sink.openStream(tag);
    }

    @Override
    public BufferStats stats() {
      return new BufferStats(0, 0, 0, 0, 0, 0);
    }

    @Override
    public void close() {
      // nothing held
    }
  }
}
