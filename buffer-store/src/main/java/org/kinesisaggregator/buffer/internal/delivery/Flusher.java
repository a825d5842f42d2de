package org.kinesisaggregator.buffer.internal.delivery;

import java.time.Clock;
import java.time.Duration;
import java.util.BitSet;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.RetryPolicy;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.internal.BufferMetrics;
import org.kinesisaggregator.buffer.internal.BufferState;
import org.kinesisaggregator.buffer.internal.ChunkHandle;
import org.kinesisaggregator.buffer.internal.store.BufferLedger;
import org.kinesisaggregator.buffer.ledger.ChunkRecord;
import org.kinesisaggregator.buffer.ledger.Progress;
import org.slf4j.Logger;

/**
 * The work of the flush threads ({@code buffer-flush-<output>-N}): take the oldest queued chunk
 * that is not in delivery and whose retry time has come (at shutdown: every chunk once), hand it
 * to the output, or to the secondary once retries say so, and apply the {@link WriteResult}:
 * delivered events become progress, rejected ones go to {@link ChunkDisposal}, a chunk with every
 * event done is purged, and the rest is retried later ({@code retry_*}) or given up on.
 *
 * <p>Invariant: a failed write's ledger record (retry count, next attempt) is persisted before the
 * new retry count becomes visible to {@code stats()}; retry count and next attempt change together
 * under {@link BufferState#lock}.
 *
 * <p>Thread-safe: {@link #run} is run by {@code flush_thread_count} threads. Each owns the chunk it
 * marked in flight (under the lock) until it clears the mark.
 */
public final class Flusher implements Runnable {
    private static final Logger log = BufferEngine.ENGINE_LOG;

    private final String outputId;
    private final BufferSettings settings;
    private final Output output;
    private final Output secondary;
    private final Clock clock;
    private final RandomGenerator random;
    private final RetryPolicy retryPolicy;
    private final BufferState state;
    private final BufferLedger ledger;
    private final BufferMetrics metrics;
    private final BoundedWrite boundedWrite;
    private final ChunkDisposal disposal;

    public Flusher(
            String outputId,
            BufferSettings settings,
            Output output,
            Output secondary,
            Clock clock,
            RandomGenerator random,
            BufferState state,
            BufferLedger ledger,
            BufferMetrics metrics,
            BoundedWrite boundedWrite,
            ChunkDisposal disposal) {
        this.outputId = outputId;
        this.settings = settings;
        this.output = output;
        this.secondary = secondary;
        this.clock = clock;
        this.random = random;
        this.retryPolicy = new RetryPolicy(settings.retry());
        this.state = state;
        this.ledger = ledger;
        this.metrics = metrics;
        this.boundedWrite = boundedWrite;
        this.disposal = disposal;
    }

    /** The loop of one flush thread: returns when the buffer closes (or the thread is interrupted). */
    @Override
    public void run() {
        try {
            while (true) {
                ChunkHandle h;
                boolean burst;
                state.lock.lock();
                try {
                    while (true) {
                        if (state.flushersStopping) {
                            return;
                        }
                        h = nextReady();
                        if (h != null) {
                            h.inFlight = true;
                            if (state.shutdownFlush) {
                                h.attemptedAtShutdown = true;
                            }
                            break;
                        }
                        state.flushWork.await(settings.flushThreadInterval().toMillis(), TimeUnit.MILLISECONDS);
                    }
                } finally {
                    state.lock.unlock();
                }
                try {
                    deliver(h);
                } catch (RuntimeException e) {
                    log.error(
                            "Buffer of output {}: delivering chunk {} failed unexpectedly; it is retried",
                            outputId,
                            h.chunk.describe(),
                            e);
                } finally {
                    state.lock.lock();
                    try {
                        h.inFlight = false;
                        state.recordIfAsked(h, ledger);
                        burst = nextReady() != null;
                        state.flushWork.signalAll();
                    } finally {
                        state.lock.unlock();
                    }
                }
                long burstMillis = settings.flushThreadBurstInterval().toMillis();
                if (burst && burstMillis > 0 && !state.shutdownFlush) {
                    state.lock.lock();
                    try {
                        if (!state.flushersStopping) {
                            state.flushWork.await(burstMillis, TimeUnit.MILLISECONDS);
                        }
                    } finally {
                        state.lock.unlock();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Oldest queued chunk not in flight whose retry time has come. Caller holds the lock. */
    private ChunkHandle nextReady() {
        long now = clock.millis();
        for (ChunkHandle h : state.queued.values()) {
            if (h.inFlight) {
                continue;
            }
            if (state.shutdownFlush) {
                if (!h.attemptedAtShutdown) {
                    return h;
                }
            } else if (h.nextAttemptEpochMillis <= now) {
                return h;
            }
        }
        return null;
    }

    private void deliver(ChunkHandle h) {
        boolean toSecondary = h.useSecondary && secondary != null;
        Output target = toSecondary ? secondary : output;
        Chunk view = h.chunk.view(h.progress, h.retryCount);
        metrics.flushAttempts.increment();
        if (toSecondary) {
            metrics.flushSecondaryAttempts.increment();
        }
        long t0 = System.nanoTime();
        WriteResult result = boundedWrite.call(target, view);
        long elapsedNanos = System.nanoTime() - t0;
        metrics.flushLatency.record(elapsedNanos, TimeUnit.NANOSECONDS);
        if (elapsedNanos > settings.slowFlushLogThreshold().toNanos()) {
            metrics.slowFlushes.increment();
            log.warn(
                    "Buffer of output {}: buffer flush took longer time than slow_flush_log_threshold:"
                            + " elapsed_time={} slow_flush_log_threshold={} chunk={}",
                    outputId,
                    Duration.ofNanos(elapsedNanos),
                    settings.slowFlushLogThreshold(),
                    view.id());
        }
        if (result == null || state.halted) {
            return; // interrupted by close: nothing recorded, retried after restart
        }
        applyResult(h, view, result, toSecondary);
    }

    private void applyResult(ChunkHandle h, Chunk view, WriteResult result, boolean wasSecondary) {
        int n = h.chunk.eventCount;
        Progress before = h.progress;
        BitSet delivered = new BitSet();
        Map<Integer, String> rejected = new TreeMap<>();
        if (result.isAllDelivered()) {
            for (int i = 0; i < n; i++) {
                if (!before.isDone(i)) {
                    delivered.set(i);
                }
            }
        } else {
            BitSet d = result.delivered();
            for (int i = d.nextSetBit(0); i >= 0 && i < n; i = d.nextSetBit(i + 1)) {
                if (!before.isDone(i)) {
                    delivered.set(i);
                }
            }
            for (Map.Entry<Integer, String> e : result.rejected().entrySet()) {
                int i = e.getKey();
                if (i >= 0 && i < n && !before.isDone(i) && !delivered.get(i)) {
                    rejected.put(i, e.getValue());
                }
            }
        }
        metrics.eventsDelivered.increment(delivered.cardinality());
        if (wasSecondary) {
            metrics.eventsToSecondary.increment(delivered.cardinality());
        }
        BitSet handledRejects = new BitSet();
        if (!rejected.isEmpty()) {
            metrics.eventsRejected.increment(rejected.size());
            if (disposal.handleRejected(h, rejected, wasSecondary)) {
                rejected.keySet().forEach(handledRejects::set);
            }
        }
        Progress after = before.with(delivered).with(handledRejects);
        int newlyDone = after.doneCount() - before.doneCount();
        state.adjustTotals(0, -newlyDone);
        h.progress = after;
        if (after.isComplete(n)) {
            metrics.flushSuccesses.increment();
            disposal.purge(h);
            return;
        }
        metrics.flushFailures.increment();
        long now = clock.millis();
        int failures = h.retryCount + 1;
        long firstFailure = h.firstFailureEpochMillis == 0 ? now : h.firstFailureEpochMillis;
        String reason = result.failureReason() != null
                ? result.failureReason()
                : (n - after.doneCount()) + " events neither delivered nor rejected";
        if (retryPolicy.isExhausted(failures, firstFailure, now)) {
            h.retryCount = failures;
            h.firstFailureEpochMillis = firstFailure;
            disposal.giveUp(h, reason);
            return;
        }
        long delay;
        synchronized (random) {
            delay = retryPolicy.delayMillis(failures, random);
        }
        // The failure is recorded in the ledger first, then published: once stats() shows the new retry
        // count, a crash cannot lose it. Retry count and next attempt change together, under the lock
        // (stats() and the flush threads read them there).
        ledger.persist(
                new ChunkRecord(
                        h.chunk.id,
                        h.state,
                        h.chunk.createdAtEpochMillis,
                        h.chunk.dataBytes,
                        h.chunk.eventCount,
                        failures,
                        now + delay,
                        firstFailure,
                        h.progress),
                h);
        state.lock.lock();
        try {
            h.retryCount = failures;
            h.firstFailureEpochMillis = firstFailure;
            h.nextAttemptEpochMillis = now + delay;
        } finally {
            state.lock.unlock();
        }
        boolean nextToSecondary =
                secondary != null && retryPolicy.shouldUseSecondary(h.retryCount, h.firstFailureEpochMillis, now);
        if (nextToSecondary && !h.useSecondary) {
            log.warn(
                    "Buffer of output {}: chunk {} switches to the secondary output {} after {} failures",
                    outputId,
                    view.id(),
                    secondary.type(),
                    h.retryCount);
        }
        h.useSecondary = nextToSecondary;
        metrics.retries.increment();
        log.warn(
                "Buffer of output {}: write of chunk {} failed ({} of {} events still pending, failure {}): {}; "
                        + "retrying in {} ms",
                outputId,
                view.id(),
                n - after.doneCount(),
                n,
                h.retryCount,
                reason,
                delay);
    }
}
