package org.kinesisaggregator.buffer.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferException;
import org.kinesisaggregator.buffer.BufferOverflowException;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferSettings.AckDurability;
import org.kinesisaggregator.buffer.BufferSettings.FlushMode;
import org.kinesisaggregator.buffer.BufferSettings.OverflowAction;
import org.kinesisaggregator.buffer.BufferStats;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.EventTooLargeException;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.RetryPolicy;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.buffer.file.ChunkFileFormat;
import org.kinesisaggregator.buffer.internal.CommitBatch.PendingPublish;
import org.kinesisaggregator.buffer.internal.RequestQueue.AbandonRequest;
import org.kinesisaggregator.buffer.internal.RequestQueue.AppendRequest;
import org.kinesisaggregator.buffer.internal.RequestQueue.CommitRequest;
import org.kinesisaggregator.buffer.internal.RequestQueue.PieceRequest;
import org.kinesisaggregator.buffer.ledger.ChunkRecord;
import org.kinesisaggregator.buffer.ledger.ChunkState;
import org.kinesisaggregator.buffer.ledger.Ledger;
import org.kinesisaggregator.buffer.ledger.Progress;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The buffer: appends, sealing, group commit, flushing, retries, overflow, dedup, streamed
 * appends, over a {@link ChunkStore} (files + MapDB ledger, or heap).
 *
 * <p><b>Threads.</b>
 * <ul>
 *   <li>Callers ({@link #append}, {@link #openStream}, {@link #stats}) never block: requests go to
 *       an unbounded queue of small objects (the server bounds how many appends each connection has
 *       in flight, so this queue is bounded by the number of connections).
 *   <li>One <em>writer thread</em> ({@code buffer-writer-<output>}) owns the staged chunks, the
 *       streamed appends' private chunks, the dedup memory and the blocked appends; it writes frames,
 *       seals chunks and group-commits: one fsync per dirty chunk file for every append taken from
 *       the queue since the previous commit, then one ledger commit, then the futures complete.
 *   <li>{@code flush_thread_count} <em>flush threads</em> ({@code buffer-flush-<output>-N}) own the
 *       queued chunk they took (marked in flight): they call the output, persist progress, purge,
 *       schedule retries, and move events to the secondary or {@code failed/}.
 *   <li>{@link BufferState#lock} guards the chunk maps and totals shared by those threads; no I/O is done while
 *       holding it.
 * </ul>
 *
 * <p>The constructor does no I/O and starts no threads; {@link #start()} locks, recovers and starts
 * the threads; {@link #close()} is bounded by {@code shutdown_timeout}.
 */
public final class BufferEngine implements EventBuffer {
  private static final Logger log = LoggerFactory.getLogger(BufferEngine.class);
  private static final int MAX_REQUESTS_PER_BATCH = 100_000;
  private static final long MAX_BYTES_PER_BATCH = 256L * 1024 * 1024;

  private final String outputId;
  private final BufferSettings settings;
  private final Output output;
  private final Output secondary;
  private final Clock clock;
  private final RandomGenerator random;
  private final ChunkStore store;
  private final BufferMetrics metrics;

  private final BufferState state;

  private final RequestQueue requests;

  // writer thread only
  private final ArrayDeque<Object> blocked = new ArrayDeque<>();
  private DedupWindow dedup;
  private BufferLedger ledger;
  private ChunkDisposal disposal;
  private FrameWriter frames;
  private OverflowGuard overflow;
  private StreamedAppends streams;

  private final AtomicBoolean started = new AtomicBoolean();
  private Thread writer;
  private final List<Thread> flushers = new ArrayList<>();

  BufferEngine(String outputId, BufferSettings settings, Output output, Output secondary, Clock clock,
      RandomGenerator random, ChunkStore store, io.micrometer.core.instrument.MeterRegistry registry) {
    this.outputId = Objects.requireNonNull(outputId, "outputId");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.output = Objects.requireNonNull(output, "output");
    this.secondary = secondary;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    this.store = store;
    this.state = new BufferState(clock);
    this.requests = new RequestQueue(outputId);
    this.metrics = new BufferMetrics(registry, outputId, store.type(), this::stats);
  }

  /**
   * A buffer of {@code settings.type()}: files under {@code settings.path()} with a MapDB ledger,
   * or the heap. No I/O, no threads until {@link #start()}.
   */
  public static BufferEngine create(String outputId, BufferSettings settings, Output output, Output secondary,
      Clock clock, RandomGenerator random, io.micrometer.core.instrument.MeterRegistry registry) {
    ChunkStore store = settings.type() == BufferSettings.BufferType.FILE
        ? new FileChunkStore(settings.path(), clock)
        : new MemoryChunkStore(settings.path());
    return new BufferEngine(outputId, settings, output, secondary, clock, random, store, registry);
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void start() throws IOException {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("buffer of output " + outputId + " already started");
    }
    List<ChunkStore.Recovered> recovered = store.open(metrics);
    ledger = new BufferLedger(store.ledger(), outputId);
    BoundedWrite boundedWrite = new BoundedWrite(settings.delayedCommitTimeout());
    disposal = new ChunkDisposal(outputId, settings, output, secondary, clock, store, state, ledger, metrics, requests,
        boundedWrite);
    Flusher flusher = new Flusher(outputId, settings, output, secondary, clock, random, state, ledger, metrics,
        boundedWrite, disposal);
    frames = new FrameWriter(outputId, settings, clock, store, state);
    overflow = new OverflowGuard(outputId, settings, state, metrics, disposal);
    long now = clock.millis();
    state.lock.lock();
    try {
      for (ChunkStore.Recovered r : recovered) {
        ChunkHandle h = new ChunkHandle(r.chunk(), "");
        h.state = ChunkState.QUEUED;
        h.progress = r.record().progress();
        h.retryCount = r.record().retryCount();
        h.nextAttemptEpochMillis = r.record().nextAttemptEpochMillis();
        h.firstFailureEpochMillis = r.record().firstFailureEpochMillis();
        state.queued.put(h.chunk.id, h);
        state.totalBytes += h.chunk.dataBytes;
        state.pendingEvents += h.pendingEvents();
        frames.noteExisting(h.chunk.id);
      }
    } finally {
      state.lock.unlock();
    }
    dedup = new DedupWindow(settings.dedupWindow(), clock, ledger);
    dedup.load(now);
    streams = new StreamedAppends(outputId, store, state, ledger, metrics, dedup, frames, overflow);
    writer = new Thread(this::runWriter, "buffer-writer-" + outputId);
    requests.open(writer);
    writer.setDaemon(true);
    writer.start();
    for (int i = 0; i < settings.flushThreadCount(); i++) {
      Thread t = new Thread(flusher, "buffer-flush-" + outputId + "-" + i);
      t.setDaemon(true);
      flushers.add(t);
      t.start();
    }
    log.info("Buffer of output {} started ({}{}, {} chunks, {} events queued)", outputId, store.type(),
        settings.path() == null ? "" : " " + settings.path(), recovered.size(), state.pendingEvents);
  }

  @Override
  public void close() {
    shutdown(false);
  }

  /**
   * Stops like a crash would, for tests: no sealing, no flush at shutdown, in-flight write results
   * are ignored. What is on disk stays as it is (the ledger gets no further commit).
   */
  public void halt() {
    state.halted = true;
    shutdown(true);
  }

  private void shutdown(boolean crash) {
    if (!requests.close()) {
      return;
    }
    if (!started.get() || writer == null) {
      metrics.close();
      return; // never started, or start failed (and closed the store)
    }
    long deadline = System.nanoTime() + settings.shutdownTimeout().toNanos();
    boolean flushAtShutdown = settings.flushAtShutdown() && !crash;
    if (flushAtShutdown) {
      state.lock.lock();
      try {
        state.shutdownFlush = true;
        state.flushWork.signalAll();
      } finally {
        state.lock.unlock();
      }
    }
    requests.add(RequestQueue.STOP);
    join(writer, deadline);
    if (flushAtShutdown) {
      state.lock.lock();
      try {
        while (state.hasShutdownWork() && System.nanoTime() < deadline) {
          state.flushWork.awaitNanos(Math.min(deadline - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(50)));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        state.lock.unlock();
      }
    }
    state.lock.lock();
    try {
      state.flushersStopping = true;
      state.flushWork.signalAll();
    } finally {
      state.lock.unlock();
    }
    for (Thread t : flushers) {
      join(t, deadline);
    }
    for (Thread t : flushers) {
      if (t.isAlive()) {
        t.interrupt();
        join(t, System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
      }
    }
    if (writer.isAlive()) {
      writer.interrupt();
      join(writer, System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
    }
    failLeftoverRequests();
    BufferStats left = stats();
    metrics.close();
    if (!crash) {
      store.close();
    } else {
      closeWithoutCommit();
    }
    if ("memory".equals(store.type()) && left.totalEvents() > 0) {
      log.warn("Buffer of output {} closed with {} undelivered events in memory: they are lost (memory buffer)",
          outputId, left.totalEvents());
    } else {
      log.info("Buffer of output {} closed; {} chunks ({} events) left for the next start", outputId,
          left.stagedChunks() + left.queuedChunks(), left.totalEvents());
    }
  }

  private void closeWithoutCommit() {
    // Close file handles and the lock without the final ledger commit a clean close does.
    if (store instanceof FileChunkStore f) {
      f.abort();
    } else {
      store.close();
    }
    state.lock.lock();
    try {
      for (ChunkHandle h : state.staged.values()) {
        try {
          if (h.chunk instanceof FileStoredChunk) {
            h.chunk.seal();
          }
        } catch (IOException e) {
          log.debug("halt: {}", e.toString());
        }
      }
    } finally {
      state.lock.unlock();
    }
  }

  private static void join(Thread t, long deadlineNanos) {
    if (t == null) {
      return;
    }
    try {
      long millis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
      if (millis > 0) {
        t.join(millis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void failLeftoverRequests() {
    BufferException closedEx = new BufferException("buffer of output " + outputId
        + " closed before the append was stored; the forwarder gets no ack and re-sends it");
    requests.failAll(closedEx);
    Object r;
    while ((r = blocked.poll()) != null) {
      RequestQueue.fail(r, closedEx);
    }
  }

  // ---------------------------------------------------------------- appends (any thread)

  @Override
  public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
    CompletableFuture<AppendResult> future = new CompletableFuture<>();
    if (!requests.isAccepting()) {
      future.completeExceptionally(requests.notAccepting());
      return future;
    }
    requests.enqueue(new AppendRequest(tag, entries, eventCount, dedupKey, future));
    return future;
  }

  @Override
  public StreamedAppend openStream(String tag) {
    return new Stream(tag, requests);
  }

  // ---------------------------------------------------------------- writer thread

  private void runWriter() {
    boolean stopping = false;
    try {
      while (!stopping) {
        Object r = requests.poll(writerWaitMillis());
        CommitBatch batch = new CommitBatch();
        int n = 0;
        while (r != null) {
          if (r == RequestQueue.STOP) {
            stopping = true;
            break;
          }
          if (r != RequestQueue.WAKE) {
            handle(r, batch);
          }
          if (++n >= MAX_REQUESTS_PER_BATCH || batch.bytes >= MAX_BYTES_PER_BATCH) {
            break;
          }
          r = requests.poll();
        }
        try {
          retryBlocked(batch);
          if (!state.halted) {
            sealDue(batch, stopping);
          }
          dedup.expire();
        } catch (RuntimeException e) {
          log.error("Buffer of output {}: writer round failed: {}; continuing", outputId, e.toString(), e);
        }
        commit(batch);
      }
      BufferException closing = new BufferException("buffer of output " + outputId
          + " is closing; the append was not stored and gets no ack");
      Object b;
      while ((b = blocked.poll()) != null) {
        RequestQueue.fail(b, closing);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      log.error("Buffer of output {}: writer thread failed; appends are refused from now on", outputId, t);
      requests.stopAccepting();
      BufferException dead = new BufferException("buffer of output " + outputId + ": writer thread failed (" + t
          + "); see the log, then restart", t);
      Object r;
      while ((r = blocked.poll()) != null) {
        RequestQueue.fail(r, dead);
      }
      requests.failAll(dead);
    }
  }

  private long writerWaitMillis() {
    long wait = settings.flushThreadInterval().toMillis();
    if (settings.flushMode() != FlushMode.LAZY && settings.flushMode() != FlushMode.IMMEDIATE) {
      wait = Math.min(wait, settings.flushInterval().toMillis());
    }
    return Math.max(1, wait);
  }

  private void handle(Object r, CommitBatch batch) {
    if (r instanceof AbandonRequest a) {
      streams.abandon(a.stream());
      return;
    }
    if (!blocked.isEmpty()) {
      blocked.add(r);
      return;
    }
    if (!process(r, batch)) {
      blocked.add(r);
    }
  }

  private void retryBlocked(CommitBatch batch) {
    while (!blocked.isEmpty()) {
      if (!process(blocked.peek(), batch)) {
        return;
      }
      blocked.poll();
    }
  }

  /** Returns false when the request must wait for room (overflow_action block). */
  private boolean process(Object r, CommitBatch batch) {
    if (r instanceof AppendRequest a) {
      return processAppend(a, batch);
    } else if (r instanceof PieceRequest p) {
      return streams.processPiece(p, batch);
    } else if (r instanceof CommitRequest c) {
      streams.processCommit(c, batch);
    }
    return true;
  }

  private boolean processAppend(AppendRequest a, CommitBatch batch) {
    try {
      if (dedup.isDuplicate(a.dedupKey())) {
        metrics.appendsDuplicate.increment();
        batch.complete(a.future(), AppendResult.duplicate());
        return true;
      }
      if (a.eventCount() == 0) {
        // nothing to store: an empty frame would read as an impossible one at recovery
        batch.complete(a.future(), AppendResult.stored(0));
        return true;
      }
      FrameWriter.checkEntries(a.entries(), a.eventCount(), a.tag());
      byte[] tagBytes = ChunkFileFormat.tagBytes(a.tag());
      long bytes = ChunkFileFormat.frameBytes(tagBytes.length, a.entries().remaining());
      if (!overflow.makeRoom(bytes, a.tag())) {
        return false;
      }
      String key = settings.chunkKeys() == BufferSettings.ChunkKeys.TAG ? a.tag() : "";
      StagedTarget target = new StagedTarget(key, batch);
      frames.write(a.tag(), tagBytes, a.entries(), a.eventCount(), target, batch);
      if (a.dedupKey() != null) {
        batch.ledgerDirty |= dedup.remember(a.dedupKey());
      }
      metrics.appendsStored.increment();
      metrics.appendBytes.increment(a.entries().remaining());
      metrics.appendEvents.increment(a.eventCount());
      AppendResult result = AppendResult.stored(a.eventCount());
      if (settings.ackDurability() == AckDurability.WRITE || "memory".equals(store.type())) {
        a.future().complete(result);
      } else {
        batch.complete(a.future(), result);
      }
    } catch (BufferException e) {
      metrics.appendsRefused.increment();
      a.future().completeExceptionally(e);
    } catch (IOException e) {
      metrics.appendsRefused.increment();
      a.future().completeExceptionally(frames.ioFailure(e));
    } catch (RuntimeException e) {
      metrics.appendsRefused.increment();
      a.future().completeExceptionally(new BufferException("append of tag " + a.tag() + " to output " + outputId
          + " refused: " + e.getMessage(), e));
    }
    return true;
  }

  private final class StagedTarget implements FrameWriter.Target {
    private final String key;
    private final CommitBatch batch;

    StagedTarget(String key, CommitBatch batch) {
      this.key = key;
      this.batch = batch;
    }

    @Override
    public StoredChunk current() throws IOException {
      ChunkHandle h = state.staged(key);
      if (h == null) {
        StoredChunk chunk = frames.newChunk(false);
        h = new ChunkHandle(chunk, key);
        h.state = ChunkState.STAGED;
        ChunkHandle created = h;
        ledger.tryUpdate(() -> ledger.put(created.record()), "new chunk");
        batch.ledgerDirty = true;
        batch.newFiles = true;
        state.lock.lock();
        try {
          state.staged.put(key, h);
        } finally {
          state.lock.unlock();
        }
      }
      return h.chunk;
    }

    @Override
    public StoredChunk currentIfAny() {
      ChunkHandle h = state.staged(key);
      return h == null ? null : h.chunk;
    }

    @Override
    public boolean sealsEveryAppend() {
      return settings.flushMode() == FlushMode.IMMEDIATE;
    }

    @Override
    public void rollover() {
      state.lock.lock();
      try {
        ChunkHandle h = state.staged.remove(key);
        if (h != null) {
          batch.toSeal.add(h);
        }
      } finally {
        state.lock.unlock();
      }
    }
  }

  /** Seals staged chunks whose flush_interval has passed (and all of them at shutdown). */
  private void sealDue(CommitBatch batch, boolean stopping) {
    long now = clock.millis();
    boolean byInterval = settings.flushMode() == FlushMode.INTERVAL || settings.flushMode() == FlushMode.DEFAULT;
    state.lock.lock();
    try {
      Iterator<ChunkHandle> it = state.staged.values().iterator();
      while (it.hasNext()) {
        ChunkHandle h = it.next();
        boolean due = byInterval && now - h.chunk.createdAtEpochMillis >= settings.flushInterval().toMillis()
            && (settings.queuedChunksLimitCount() == 0
                || state.queued.size() + batch.toSeal.size() < settings.queuedChunksLimitCount());
        if ((stopping && settings.flushAtShutdown()) || (due && h.chunk.eventCount > 0)) {
          it.remove();
          batch.toSeal.add(h);
        }
      }
    } finally {
      state.lock.unlock();
    }
  }

  /** The group commit: sync, seal, publish, ledger commit, then complete the futures. */
  private void commit(CommitBatch batch) {
    IOException failure = null;
    boolean fsync = settings.ackDurability() == AckDurability.FSYNC;
    if (fsync) {
      for (StoredChunk c : batch.dirty) {
        if (c.isDirty()) {
          long t0 = System.nanoTime();
          try {
            c.sync();
          } catch (IOException e) {
            failure = e;
            log.error("Buffer of output {}: fsync of {} failed: {}", outputId, c.describe(), e.toString());
          }
          metrics.fsyncLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
          metrics.fsyncs.increment();
        }
      }
    }
    try {
      if (batch.newFiles && fsync) {
        store.syncDirectory();
      }
    } catch (IOException e) {
      failure = e;
    }
    for (ChunkHandle h : batch.toSeal) {
      seal(h);
    }
    for (PendingPublish p : batch.publish) {
      streams.publish(p);
    }
    if (batch.ledgerDirty || !batch.toSeal.isEmpty()) {
      // The chunk files (synced above) hold the events: a failed ledger commit does not fail the acks.
      ledger.tryUpdate(ledger::commit, "group commit");
    }
    for (int i = 0; i < batch.futures.size(); i++) {
      if (failure != null && !batch.results.get(i).isDuplicate()) {
        metrics.appendsRefused.increment();
        batch.futures.get(i).completeExceptionally(frames.ioFailure(failure));
      } else {
        batch.futures.get(i).complete(batch.results.get(i));
      }
    }
    if (!batch.toSeal.isEmpty()) {
      state.signalFlushWork();
    }
  }

  private void seal(ChunkHandle h) {
    try {
      h.chunk.seal();
    } catch (IOException e) {
      log.error("Buffer of output {}: sealing {} failed: {}; it is queued as it is", outputId, h.chunk.describe(),
          e.toString());
    }
    state.lock.lock();
    try {
      if (h.chunk.eventCount == 0) {
        state.totalBytes -= h.chunk.dataBytes;
        try {
          h.chunk.delete();
        } catch (IOException e) {
          log.warn("Buffer of output {}: deleting empty chunk {} failed: {}", outputId, h.chunk.describe(), e.toString());
        }
        ledger.tryUpdate(() -> ledger.remove(h.chunk.id), "drop empty chunk");
        return;
      }
      h.state = ChunkState.QUEUED;
      state.queued.put(h.chunk.id, h);
      ledger.tryUpdate(() -> ledger.put(h.record()), "seal");
    } finally {
      state.lock.unlock();
    }
    metrics.chunksSealed.increment();
  }

  // ---------------------------------------------------------------- stats

  @Override
  public BufferStats stats() {
    return state.stats();
  }

  @Override
  public String toString() {
    return "BufferEngine[" + outputId + ", " + store.type() + "]";
  }
}
