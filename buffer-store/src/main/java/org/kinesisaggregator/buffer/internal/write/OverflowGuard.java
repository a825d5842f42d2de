package org.kinesisaggregator.buffer.internal.write;

import java.io.IOException;
import org.kinesisaggregator.buffer.BufferOverflowException;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferStats;
import org.kinesisaggregator.buffer.file.ChunkFileFormat;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.internal.BufferMetrics;
import org.kinesisaggregator.buffer.internal.BufferState;
import org.kinesisaggregator.buffer.internal.ChunkHandle;
import org.kinesisaggregator.buffer.internal.delivery.ChunkDisposal;
import org.kinesisaggregator.buffer.internal.store.BufferLedger;
import org.slf4j.Logger;

/**
 * Keeps the buffer within {@code total_limit_size} and {@code queue_limit_length} before an append
 * is written, as {@code overflow_action} says: refuse it ({@code throw_exception}), let it wait
 * ({@code block}: the writer thread holds it until room frees), or set the oldest queued chunk
 * that is not in delivery aside to {@code failed/} ({@code drop_oldest_chunk}, logged and counted).
 *
 * <p>Not thread-safe: confined to the writer thread. It reads the totals under
 * {@link BufferState#lock}; a chunk it drops is marked in flight first, so no flush thread takes it.
 */
public final class OverflowGuard {
    private static final Logger log = BufferEngine.ENGINE_LOG;

    private final String outputId;
    private final BufferSettings settings;
    private final BufferState state;
    private final BufferLedger ledger;
    private final BufferMetrics metrics;
    private final ChunkDisposal disposal;

    public OverflowGuard(
            String outputId,
            BufferSettings settings,
            BufferState state,
            BufferLedger ledger,
            BufferMetrics metrics,
            ChunkDisposal disposal) {
        this.outputId = outputId;
        this.settings = settings;
        this.state = state;
        this.ledger = ledger;
        this.metrics = metrics;
        this.disposal = disposal;
    }

    /**
     * Makes room for {@code bytes} under {@code overflow_action}: true when there is room, false when
     * the request must wait (block); throws {@link BufferOverflowException} when it is refused.
     */
    boolean makeRoom(long bytes, String tag) throws IOException {
        if (bytes > settings.totalLimitBytes()) {
            throw new BufferOverflowException("append of tag " + tag + " is " + bytes
                    + " bytes, more than total_limit_size " + settings.totalLimitBytes() + " of output " + outputId
                    + "; raise total_limit_size or send smaller messages");
        }
        while (!hasRoom(bytes)) {
            switch (settings.overflowAction()) {
                case BLOCK -> {
                    return false;
                }
                case DROP_OLDEST_CHUNK -> {
                    if (!dropOldestChunk()) {
                        throw overflow(
                                bytes,
                                tag,
                                "; no queued chunk could be dropped (all in delivery, or moving the oldest "
                                        + "to failed/ failed: see the log)");
                    }
                }
                default -> throw overflow(bytes, tag, "");
            }
        }
        return true;
    }

    private BufferOverflowException overflow(long bytes, String tag, String extra) {
        BufferStats s = state.stats();
        return new BufferOverflowException("buffer of output " + outputId + " is full (" + s.totalBytes() + " of "
                + settings.totalLimitBytes() + " bytes, " + s.queuedChunks() + " queued chunks"
                + (settings.queueLimitLength() > 0 ? " of queue_limit_length " + settings.queueLimitLength() : "")
                + "): append of " + bytes + " bytes of tag " + tag + " refused (overflow_action throw_exception)"
                + extra
                + "; the forwarder gets no ack and re-sends; check that the output delivers");
    }

    private boolean hasRoom(long bytes) {
        state.lock.lock();
        try {
            if (state.totalBytes + bytes > settings.totalLimitBytes()) {
                return false;
            }
            return settings.queueLimitLength() == 0 || state.queued.size() < settings.queueLimitLength();
        } finally {
            state.lock.unlock();
        }
    }

    private boolean dropOldestChunk() throws IOException {
        ChunkHandle victim = null;
        state.lock.lock();
        try {
            for (ChunkHandle h : state.queued.values()) {
                if (!h.inFlight) {
                    victim = h;
                    h.inFlight = true;
                    break;
                }
            }
        } finally {
            state.lock.unlock();
        }
        if (victim == null) {
            return false;
        }
        int events = victim.pendingEvents();
        String where = disposal.setAside(victim, "dropped by overflow_action drop_oldest_chunk: buffer full");
        if (where == null) {
            // kept: it stays queued, for the flush threads to take again
            state.lock.lock();
            try {
                victim.inFlight = false;
                state.recordIfAsked(victim, ledger);
                state.flushWork.signalAll();
            } finally {
                state.lock.unlock();
            }
            return false;
        }
        metrics.chunksDropped.increment();
        metrics.eventsDropped.increment(events);
        log.warn(
                "Buffer of output {} full: dropped the oldest chunk {} ({} events, overflow_action drop_oldest_chunk); "
                        + "kept in {}",
                outputId,
                ChunkFileFormat.idToString(victim.chunk.id),
                events,
                where);
        return true;
    }
}
