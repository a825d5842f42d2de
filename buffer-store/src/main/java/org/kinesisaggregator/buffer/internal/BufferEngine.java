package org.kinesisaggregator.buffer.internal;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferException;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferStats;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.buffer.internal.dedup.DedupWindow;
import org.kinesisaggregator.buffer.internal.dedup.RecoveredKeys;
import org.kinesisaggregator.buffer.internal.delivery.BoundedWrite;
import org.kinesisaggregator.buffer.internal.delivery.ChunkDisposal;
import org.kinesisaggregator.buffer.internal.delivery.Flusher;
import org.kinesisaggregator.buffer.internal.store.BufferLedger;
import org.kinesisaggregator.buffer.internal.store.ChunkStore;
import org.kinesisaggregator.buffer.internal.store.FileChunkStore;
import org.kinesisaggregator.buffer.internal.store.FileStoredChunk;
import org.kinesisaggregator.buffer.internal.store.MemoryChunkStore;
import org.kinesisaggregator.buffer.internal.store.StorageHealth;
import org.kinesisaggregator.buffer.internal.write.FrameWriter;
import org.kinesisaggregator.buffer.internal.write.GroupCommit;
import org.kinesisaggregator.buffer.internal.write.OverflowGuard;
import org.kinesisaggregator.buffer.internal.write.RequestQueue;
import org.kinesisaggregator.buffer.internal.write.RequestQueue.AppendRequest;
import org.kinesisaggregator.buffer.internal.write.StreamedAppendHandle;
import org.kinesisaggregator.buffer.internal.write.StreamedAppends;
import org.kinesisaggregator.buffer.internal.write.WriterLoop;
import org.kinesisaggregator.buffer.ledger.ChunkState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The buffer ({@link EventBuffer}) over a {@link ChunkStore} (files + MapDB ledger, or heap): its
 * lifecycle and its entry points. The work is done by the parts it wires together in
 * {@link #start()}:
 *
 * <ul>
 *   <li>Callers ({@link #append}, {@link #openStream}, {@link #stats}) never block: requests go to
 *       the {@link RequestQueue}; a streamed append is a {@link StreamedAppendHandle}.
 *   <li>One <em>writer thread</em> ({@code buffer-writer-<output>}) runs the {@link WriterLoop}: it
 *       owns the staged chunks, the streamed appends' private chunks ({@link StreamedAppends}), the
 *       {@link DedupWindow} and the appends waiting for room ({@link OverflowGuard}); it writes
 *       frames ({@link FrameWriter}) and ends each round with a {@link GroupCommit}: one fsync per
 *       dirty chunk file for every append of the round, sealing, one ledger commit, then the acks.
 *   <li>{@code flush_thread_count} <em>flush threads</em> ({@code buffer-flush-<output>-N}) run the
 *       {@link Flusher}: each owns the queued chunk it took (marked in flight), calls the output
 *       ({@link BoundedWrite}), persists progress and schedules retries; {@link ChunkDisposal}
 *       purges delivered chunks and moves events to the secondary or {@code failed/}.
 *   <li>{@link BufferState} is what those threads share: the chunk table and totals, guarded by
 *       its lock, which is held for short sections only. {@link BufferLedger} is the ledger (thread-safe).
 * </ul>
 *
 * <p>The constructor does no I/O and starts no threads; {@link #start()} locks, recovers and starts
 * the threads; {@link #close()} is bounded by {@code shutdown_timeout}. Lifecycle methods are
 * called by the buffer's owner; {@link #close()} and {@link #halt()} are idempotent.
 */
public final class BufferEngine implements EventBuffer {
    /**
     * The one log category of the whole engine: every class of this package logs under
     * {@code org.kinesisaggregator.buffer.internal.BufferEngine}, the name operators' log settings use.
     */
    public static final Logger ENGINE_LOG = LoggerFactory.getLogger(BufferEngine.class);

    private static final Logger log = ENGINE_LOG;

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
    private final StorageHealth storage;

    private final AtomicBoolean started = new AtomicBoolean();
    // set by start()
    private WriterLoop writerLoop;
    private Thread writer;
    private final List<Thread> flushers = new ArrayList<>();

    BufferEngine(
            String outputId,
            BufferSettings settings,
            Output output,
            Output secondary,
            Clock clock,
            RandomGenerator random,
            ChunkStore store,
            MeterRegistry registry) {
        this.outputId = Objects.requireNonNull(outputId, "outputId");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.output = Objects.requireNonNull(output, "output");
        this.secondary = secondary;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.store = store;
        this.state = new BufferState(clock);
        this.requests = new RequestQueue(outputId);
        this.storage = new StorageHealth(clock);
        this.metrics = new BufferMetrics(registry, outputId, store.type(), this::stats);
    }

    /**
     * A buffer of {@code settings.type()}: files under {@code settings.path()} with a MapDB ledger,
     * or the heap. No I/O, no threads until {@link #start()}.
     */
    public static BufferEngine create(
            String outputId,
            BufferSettings settings,
            Output output,
            Output secondary,
            Clock clock,
            RandomGenerator random,
            MeterRegistry registry) {
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
        long startNanos = System.nanoTime();
        long now = clock.millis();
        RecoveredKeys frameKeys =
                DedupWindow.recoveredKeys(settings.dedupWindow(), settings.dedupMemoryLimitBytes(), now);
        List<ChunkStore.Recovered> recovered = store.open(metrics, frameKeys);
        BufferLedger ledger = new BufferLedger(store.ledger(), outputId, state::recordHeldAgain);
        FrameWriter frames = new FrameWriter(outputId, settings, clock, store, state, storage);
        queueRecovered(recovered, frames);
        DedupWindow dedup = new DedupWindow(
                outputId, settings.dedupWindow(), settings.dedupMemoryLimitBytes(), clock, ledger, metrics);
        dedup.load(now, frameKeys);
        metrics.registerDedup(dedup);
        long recoveryMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        long recoveredBytes = 0;
        for (ChunkStore.Recovered r : recovered) {
            recoveredBytes += r.chunk().dataBytes;
        }

        BoundedWrite boundedWrite = new BoundedWrite(settings.delayedCommitTimeout());
        ChunkDisposal disposal = new ChunkDisposal(
                outputId,
                settings,
                output,
                secondary,
                clock,
                store,
                state,
                ledger,
                metrics,
                () -> requests.add(RequestQueue.WAKE),
                boundedWrite);
        Flusher flusher = new Flusher(
                outputId, settings, output, secondary, clock, random, state, ledger, metrics, boundedWrite, disposal);
        OverflowGuard overflow = new OverflowGuard(outputId, settings, state, ledger, metrics, disposal);
        StreamedAppends streams = new StreamedAppends(outputId, store, state, ledger, metrics, dedup, frames, overflow);
        GroupCommit groupCommit =
                new GroupCommit(outputId, settings, store, state, ledger, metrics, frames, streams, dedup);
        writerLoop = new WriterLoop(
                outputId,
                settings,
                clock,
                store,
                state,
                requests,
                ledger,
                metrics,
                dedup,
                frames,
                overflow,
                streams,
                groupCommit);

        writer = new Thread(writerLoop, "buffer-writer-" + outputId);
        requests.open(writer);
        writer.setDaemon(true);
        writer.start();
        for (int i = 0; i < settings.flushThreadCount(); i++) {
            Thread t = new Thread(flusher, "buffer-flush-" + outputId + "-" + i);
            t.setDaemon(true);
            flushers.add(t);
            t.start();
        }
        log.info(
                "Buffer of output {} started ({}{}, {} chunks, {} events queued, {} bytes; {} dedup keys restored;"
                        + " recovery took {} ms)",
                outputId,
                store.type(),
                settings.path() == null ? "" : " " + settings.path(),
                recovered.size(),
                state.pendingEvents,
                recoveredBytes,
                dedup.keys(),
                recoveryMillis);
    }

    /** The chunks found at start-up are queued with their ledger state; new chunk ids are larger. */
    private void queueRecovered(List<ChunkStore.Recovered> recovered, FrameWriter frames) {
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
                    state.flushWork.awaitNanos(
                            Math.min(deadline - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(50)));
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
        // staged chunks stay staged for the next start, but their files are closed (synced) now: an open
        // channel would leak a descriptor per buffer and reload, and keep the disk from being remounted
        closeStagedFiles();
        if (!crash) {
            store.close();
        } else {
            closeWithoutCommit();
        }
        if ("memory".equals(store.type()) && left.totalEvents() > 0) {
            log.warn(
                    "Buffer of output {} closed with {} undelivered events in memory: they are lost (memory buffer)",
                    outputId,
                    left.totalEvents());
        } else {
            log.info(
                    "Buffer of output {} closed; {} chunks ({} events) left for the next start",
                    outputId,
                    left.stagedChunks() + left.queuedChunks(),
                    left.totalEvents());
        }
    }

    private void closeWithoutCommit() {
        // Close file handles and the lock without the final ledger commit a clean close does.
        if (store instanceof FileChunkStore f) {
            f.abort();
        } else {
            store.close();
        }
    }

    private void closeStagedFiles() {
        state.lock.lock();
        try {
            for (ChunkHandle h : state.staged.values()) {
                try {
                    if (h.chunk instanceof FileStoredChunk) {
                        h.chunk.seal();
                    }
                } catch (IOException e) {
                    log.warn(
                            "Buffer of output {}: closing staged chunk {} failed: {}; the next start recovers it",
                            outputId,
                            Long.toHexString(h.chunk.id),
                            e.toString());
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
        writerLoop.failBlocked(closedEx);
    }

    // ---------------------------------------------------------------- appends (any thread)

    @Override
    public CompletableFuture<AppendResult> append(
            String tag, ChunkMetadata metadata, ByteBuffer entries, int eventCount, byte[] dedupKey) {
        Objects.requireNonNull(metadata, "metadata");
        CompletableFuture<AppendResult> future = new CompletableFuture<>();
        if (!requests.isAccepting()) {
            future.completeExceptionally(requests.notAccepting());
            return future;
        }
        requests.enqueue(new AppendRequest(tag, metadata, entries, eventCount, dedupKey, future));
        return future;
    }

    @Override
    public CompletableFuture<Integer> flushNow() {
        CompletableFuture<Integer> future = new CompletableFuture<>();
        if (!requests.isAccepting()) {
            future.completeExceptionally(requests.notAccepting());
            return future;
        }
        requests.enqueue(new RequestQueue.FlushRequest(future));
        return future;
    }

    @Override
    public StreamedAppend openStream(String tag, ChunkMetadata metadata) {
        return new StreamedAppendHandle(tag, Objects.requireNonNull(metadata, "metadata"), requests);
    }

    // ---------------------------------------------------------------- stats

    @Override
    public BufferStats stats() {
        return state.stats().with(metrics.counters(), settings.totalLimitBytes());
    }

    @Override
    public List<String> healthProblems() {
        return storage.problems();
    }

    @Override
    public String toString() {
        return "BufferEngine[" + outputId + ", " + store.type() + "]";
    }
}
