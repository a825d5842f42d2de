package org.kinesisaggregator.buffer.internal.dedup;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.internal.BufferMetrics;
import org.kinesisaggregator.buffer.internal.store.BufferLedger;
import org.slf4j.Logger;

/**
 * The dedup keys ({@link DedupKey}: chunk id + tag + entries digest) of the appends stored within
 * {@code dedup_window}: a forwarder that re-sends a message after a lost ack is acked again without
 * its events being stored twice. Anything else that reuses a chunk id (another tag, other entries)
 * is stored; an absent or empty chunk id has no key and never dedups.
 *
 * <p>The keys live in a {@link DedupTable} bounded by {@code dedup_memory_limit}. So that a restart
 * remembers them, the key of an append written as one frame rides in that frame's header (written
 * and fsynced with the events, nothing else on the ack path); the few appends whose key cannot
 * (one split over several frames, a streamed append) keep theirs in the ledger (16-byte keys).
 * At start the window is rebuilt from the valid frames of the chunk files still held (and those
 * ledger keys) that are inside the window, the youngest first up to the table's capacity
 * ({@link RecoveredKeys}); the keys of chunks already delivered (and deleted) are gone, so their
 * re-sends after a restart are stored again (a duplicate, never a loss). When more keys arrive
 * within the window than the table holds, the oldest are evicted first: the effective window
 * shrinks to the age of the youngest evicted key. That is gauged
 * ({@code buffer.dedup.window.effective}) and logged at WARN (once a minute at most) with the
 * limit to raise. Evicted and expired ledger keys leave the ledger too. Hits are counted
 * ({@code buffer.dedup.hits}) and logged (once a minute at most, with the count of the hits not
 * logged).
 *
 * <p>Not thread-safe: {@link #load} runs on the starting thread before the writer thread starts;
 * everything else is confined to the writer thread, except the gauges' getters (any thread).
 */
public final class DedupWindow {
    private static final Logger log = BufferEngine.ENGINE_LOG;
    private static final long EXPIRY_INTERVAL_MILLIS = 10_000;
    private static final long LOG_INTERVAL_MILLIS = 60_000;
    private static final int MAX_LOGGED_CHUNK_ID_BYTES = 64;
    private static final int MAX_LOGGED_TAG_CHARS = 200;

    private final String outputId;
    private final Duration window;
    private final long memoryLimitBytes;
    private final Clock clock;
    private final BufferLedger ledger;
    private final BufferMetrics metrics;
    private final DedupTable table;
    private final DedupTable.Removal dropFromLedger;
    /** The keys held in the ledger (not in a frame): only theirs are removed from it. */
    private final Set<LedgerKey> inLedger = new HashSet<>();
    /** Set when the ledger was written since the last {@link #remember}; the round commits it. */
    private boolean ledgerTouched;
    /** The ledger generation {@link #inLedger} was written to (see {@link #recordKeysIfReplaced}). */
    private int ledgerGeneration;

    private long lastExpiryMillis;
    /** Seen-at of the youngest key evicted while still inside the window (read by the gauge). */
    private volatile long lastEvictedInWindowMillis = Long.MIN_VALUE;
    /** Keys held (read by the gauge). */
    private volatile int keys;

    private long lastShrinkLogMillis = Long.MIN_VALUE;
    private long lastHitLogMillis = Long.MIN_VALUE;
    private long hitsNotLogged;

    public DedupWindow(
            String outputId,
            Duration window,
            long memoryLimitBytes,
            Clock clock,
            BufferLedger ledger,
            BufferMetrics metrics) {
        this.outputId = outputId;
        this.window = window;
        this.memoryLimitBytes = memoryLimitBytes;
        this.clock = clock;
        this.ledger = ledger;
        this.ledgerGeneration = ledger.recordedGeneration();
        this.metrics = metrics;
        this.table = window.isZero() ? new DedupTable(0) : new DedupTable(memoryLimitBytes);
        this.dropFromLedger = (hi, lo, seenAt) -> removeFromLedger(hi, lo, "expire dedup key");
    }

    /** False under {@code dedup_window 0}: no keys, no digests. */
    boolean isEnabled() {
        return !window.isZero();
    }

    /** The key of an append, or null (no chunk id, or dedup disabled). Entries are not moved. */
    public DedupKey keyOf(byte[] chunkId, String tag, ByteBuffer entries, int eventCount) {
        return isEnabled() ? DedupKey.of(chunkId, tag, entries, eventCount) : null;
    }

    /** A running digest for a streamed append, or null when dedup is disabled. */
    public DedupKey.Digest newDigest() {
        return isEnabled() ? new DedupKey.Digest() : null;
    }

    /** A key as the ledger holds it. */
    private record LedgerKey(long hi, long lo) {}

    /** The current time of the window's clock (epoch millis). */
    public long now() {
        return clock.millis();
    }

    /**
     * What recovery hands the keys of the chunk files' frames to: those inside {@code window} as of
     * {@code nowMillis}, at most what {@code memoryLimitBytes} holds (none when dedup is off).
     */
    public static RecoveredKeys recoveredKeys(Duration window, long memoryLimitBytes, long nowMillis) {
        return new RecoveredKeys(
                window.isZero() ? 0 : DedupTable.sizing(memoryLimitBytes).capacity(), nowMillis - window.toMillis());
    }

    /**
     * Rebuilds the window: the keys of the frames ({@code fromFrames}, filled by recovery) and the
     * ledger's keys still inside the window, the youngest up to the table's capacity; the ledger's
     * other keys are dropped from it.
     */
    public void load(long nowMillis, RecoveredKeys fromFrames) {
        lastExpiryMillis = nowMillis;
        List<Map.Entry<ByteBuffer, Long>> stored =
                new ArrayList<>(ledger.dedupKeys().entrySet());
        int dropped = 0;
        for (Map.Entry<ByteBuffer, Long> e : stored) {
            ByteBuffer k = e.getKey();
            // other lengths: raw chunk ids of an older release, not digests; dropped (a re-send is stored)
            if (k.remaining() == DedupKey.BYTES
                    && fromFrames.add(k.getLong(k.position()), k.getLong(k.position() + Long.BYTES), e.getValue())) {
                inLedger.add(new LedgerKey(k.getLong(k.position()), k.getLong(k.position() + Long.BYTES)));
            } else {
                byte[] raw = new byte[k.remaining()];
                k.duplicate().get(raw);
                ledger.tryUpdate(() -> ledger.removeDedupKey(raw), "drop dedup key");
                dropped++;
            }
        }
        long droppedForRoom = fromFrames.dropped();
        long youngestDropped = fromFrames.youngestDropped();
        DedupTable.Removal none = (h, l, at) -> {};
        fromFrames.drainOldestFirst((h, l, at) -> table.add(h, l, at, none));
        for (Iterator<LedgerKey> it = inLedger.iterator(); it.hasNext(); ) {
            LedgerKey k = it.next();
            if (table.seenAt(k.hi(), k.lo()) == Long.MIN_VALUE) {
                it.remove(); // dropped for room
                removeLedgerKey(k.hi(), k.lo(), "drop dedup key");
                dropped++;
            }
        }
        if (dropped > 0) {
            ledger.tryUpdate(ledger::commit, "load dedup keys");
        }
        keys = table.size();
        if (youngestDropped != Long.MIN_VALUE) {
            lastEvictedInWindowMillis = youngestDropped;
            metrics.dedupEvictions.increment(droppedForRoom);
            log.warn(
                    "Buffer of output {}: dedup window is now {} s (dedup_window {} s) after the restart:"
                            + " dedup_memory_limit {} bytes holds {} keys, fewer than the {} stored in dedup_window;"
                            + " re-sends older than that are stored again (duplicates, never a loss)",
                    outputId,
                    effectiveWindowMillis(nowMillis) / 1000,
                    window.toSeconds(),
                    memoryLimitBytes,
                    table.capacity(),
                    table.capacity() + droppedForRoom);
        }
        if (keys > 0 || dropped > 0) {
            log.info(
                    "Buffer of output {}: dedup window rebuilt with {} keys ({} from the chunk files' frames, {} from the"
                            + " ledger; {} expired, of an older format or over dedup_memory_limit dropped from the"
                            + " ledger)",
                    outputId,
                    keys,
                    keys - inLedger.size(),
                    inLedger.size(),
                    dropped);
        }
    }

    /** True when {@code key} was stored within the window (a true re-send). Null keys never are. */
    public boolean isDuplicate(DedupKey key) {
        if (key == null) {
            return false;
        }
        long seenAt = table.seenAt(key.hi(), key.lo());
        return seenAt != Long.MIN_VALUE && seenAt > clock.millis() - window.toMillis();
    }

    /** Counts a re-send acked without storing it, and logs it (rate-limited). */
    public void hit(DedupKey key) {
        metrics.dedupHits.increment();
        long now = clock.millis();
        if (lastHitLogMillis != Long.MIN_VALUE && now - lastHitLogMillis < LOG_INTERVAL_MILLIS) {
            hitsNotLogged++;
            return;
        }
        lastHitLogMillis = now;
        log.info(
                "Buffer of output {}: acked a re-send without storing it again (chunk id {}, tag {}, {} events,"
                        + " first stored {} s ago); {} more re-sends since the last such line",
                outputId,
                hex(key.chunkId()),
                printable(key.tag()),
                key.eventCount(),
                (now - table.seenAt(key.hi(), key.lo())) / 1000,
                hitsNotLogged);
        hitsNotLogged = 0;
    }

    /**
     * Remembers {@code key} as stored at {@code now}: in the table, and in the ledger unless the
     * key rides in its frame ({@code inFrame}). True when the ledger was written (the round must
     * commit): for a key in its frame only when a ledger key was evicted for room.
     */
    public boolean remember(DedupKey key, long now, boolean inFrame) {
        if (key == null || !isEnabled()) {
            return false;
        }
        ledgerTouched = false;
        table.add(key.hi(), key.lo(), now, (hi, lo, seenAt) -> evicted(hi, lo, seenAt, now));
        keys = table.size();
        if (inFrame) {
            removeFromLedger(key.hi(), key.lo(), "dedup key now in a frame");
        } else {
            byte[] bytes = key.bytes();
            inLedger.add(new LedgerKey(key.hi(), key.lo()));
            ledger.tryUpdate(() -> ledger.putDedupKey(bytes, now), "dedup key");
            ledgerTouched = true;
        }
        return ledgerTouched;
    }

    /** Forgets a key remembered for an append that then failed (the group commit makes it durable). */
    public void forget(DedupKey key) {
        if (key == null || !isEnabled()) {
            return;
        }
        table.forget(key.hi(), key.lo());
        keys = table.size();
        removeFromLedger(key.hi(), key.lo(), "forget dedup key");
        // a key in a frame needs nothing more: the frame was cut back, or, kept, holds the events
    }

    /**
     * Drops the keys that left the window, at most once per expiry interval; first, when the ledger
     * was replaced by an empty one, writes the ledger's keys into it again.
     */
    public void expire() {
        if (!isEnabled()) {
            return;
        }
        recordKeysIfReplaced();
        long now = clock.millis();
        if (now - lastExpiryMillis < Math.min(EXPIRY_INTERVAL_MILLIS, window.toMillis() + 1)) {
            return;
        }
        lastExpiryMillis = now;
        ledgerTouched = false;
        table.expire(now - window.toMillis(), dropFromLedger);
        keys = table.size();
        if (ledgerTouched) {
            ledger.tryUpdate(ledger::commit, "expire dedup keys");
        }
    }

    /**
     * After the ledger was replaced by an empty one (the buffer's ledger saw it and recorded the held
     * chunks again): the keys only the ledger keeps across a restart (split and streamed appends) are
     * written into it again, with their seen-at times, and committed.
     */
    private void recordKeysIfReplaced() {
        int generation = ledger.recordedGeneration();
        if (generation == ledgerGeneration) {
            return;
        }
        ledgerGeneration = generation;
        boolean written = false;
        for (LedgerKey k : inLedger) {
            long seenAt = table.seenAt(k.hi(), k.lo());
            if (seenAt == Long.MIN_VALUE) {
                continue;
            }
            byte[] bytes = ByteBuffer.allocate(DedupKey.BYTES)
                    .putLong(k.hi())
                    .putLong(k.lo())
                    .array();
            ledger.tryUpdate(() -> ledger.putDedupKey(bytes, seenAt), "dedup key again");
            written = true;
        }
        if (written) {
            ledger.tryUpdate(ledger::commit, "dedup keys again");
        }
    }

    /** The window re-sends are detected in now, in seconds: {@code dedup_window} unless keys were evicted. */
    public double effectiveWindowSeconds() {
        return effectiveWindowMillis(clock.millis()) / 1000.0;
    }

    /** Keys held now. */
    public int keys() {
        return keys;
    }

    /** The most keys {@code dedup_memory_limit} holds. */
    public int capacity() {
        return table.capacity();
    }

    /** Heap bytes the key table takes now (see {@link DedupTable#allocatedBytes()}). */
    long allocatedBytes() {
        return table.allocatedBytes();
    }

    private long effectiveWindowMillis(long now) {
        long evictedAt = lastEvictedInWindowMillis;
        long w = window.toMillis();
        return evictedAt == Long.MIN_VALUE ? w : Math.max(0, Math.min(w, now - evictedAt));
    }

    /** A key pushed out by a new one because the table is full. */
    private void evicted(long hi, long lo, long seenAt, long now) {
        removeFromLedger(hi, lo, "evict dedup key");
        if (seenAt <= now - window.toMillis()) {
            return; // it was leaving the window anyway
        }
        lastEvictedInWindowMillis = Math.max(lastEvictedInWindowMillis, seenAt);
        metrics.dedupEvictions.increment();
        if (lastShrinkLogMillis != Long.MIN_VALUE && now - lastShrinkLogMillis < LOG_INTERVAL_MILLIS) {
            return;
        }
        lastShrinkLogMillis = now;
        long effective = effectiveWindowMillis(now);
        long needed = effective <= 0
                ? 0
                : (long) Math.ceil((double) table.maxBytes() * window.toMillis() / effective / (1024 * 1024));
        log.warn(
                "Buffer of output {}: dedup window is now {} s (dedup_window {} s): dedup_memory_limit {} bytes holds"
                        + " {} keys, fewer than the messages stored in dedup_window; re-sends older than that are"
                        + " stored again (duplicates, never a loss); raise dedup_memory_limit to about {}m to cover"
                        + " dedup_window",
                outputId,
                effective / 1000,
                window.toSeconds(),
                memoryLimitBytes,
                table.capacity(),
                needed);
    }

    /** Removes a key from the ledger when it is one of the ledger's (a key in a frame is not there). */
    private void removeFromLedger(long hi, long lo, String what) {
        if (!inLedger.isEmpty() && inLedger.remove(new LedgerKey(hi, lo))) {
            removeLedgerKey(hi, lo, what);
        }
    }

    private void removeLedgerKey(long hi, long lo, String what) {
        byte[] bytes =
                ByteBuffer.allocate(DedupKey.BYTES).putLong(hi).putLong(lo).array();
        ledger.tryUpdate(() -> ledger.removeDedupKey(bytes), what);
        ledgerTouched = true;
    }

    private static String hex(byte[] chunkId) {
        if (chunkId.length <= MAX_LOGGED_CHUNK_ID_BYTES) {
            return HexFormat.of().formatHex(chunkId);
        }
        return HexFormat.of().formatHex(chunkId, 0, MAX_LOGGED_CHUNK_ID_BYTES) + "...(" + chunkId.length + " bytes)";
    }

    /** A peer-supplied string made safe for a log line: control and non-ASCII characters escaped, length cut. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX_LOGGED_TAG_CHARS) + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            if (sb.length() > MAX_LOGGED_TAG_CHARS) {
                sb.append("...");
                break;
            }
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c >= 0x7f) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
