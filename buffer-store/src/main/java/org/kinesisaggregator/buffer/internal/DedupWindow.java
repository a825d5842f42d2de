package org.kinesisaggregator.buffer.internal;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;

/**
 * The dedup keys ({@link DedupKey}: chunk id + tag + entries digest) of the appends stored within
 * {@code dedup_window}: a forwarder that re-sends a message after a lost ack is acked again without
 * its events being stored twice. Anything else that reuses a chunk id (another tag, other entries)
 * is stored; an absent or empty chunk id has no key and never dedups.
 *
 * <p>The keys live in a {@link DedupTable} bounded by {@code dedup_memory_limit} and in the ledger
 * (16-byte keys), so that a restart remembers them. When more keys arrive within the window than
 * the table holds, the oldest are evicted first: the effective window shrinks to the age of the
 * youngest evicted key. That is gauged ({@code buffer.dedup.window.effective}) and logged at WARN
 * (once a minute at most) with the limit to raise. Evicted and expired keys leave the ledger too.
 * Hits are counted ({@code buffer.dedup.hits}) and logged (once a minute at most, with the count of
 * the hits not logged).
 *
 * <p>Not thread-safe: {@link #load} runs on the starting thread before the writer thread starts;
 * everything else is confined to the writer thread, except the gauges' getters (any thread).
 */
final class DedupWindow {
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
    private long lastExpiryMillis;
    /** Seen-at of the youngest key evicted while still inside the window (read by the gauge). */
    private volatile long lastEvictedInWindowMillis = Long.MIN_VALUE;
    /** Keys held (read by the gauge). */
    private volatile int keys;

    private long lastShrinkLogMillis = Long.MIN_VALUE;
    private long lastHitLogMillis = Long.MIN_VALUE;
    private long hitsNotLogged;

    DedupWindow(
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
        this.metrics = metrics;
        this.table = window.isZero() ? new DedupTable(0) : new DedupTable(memoryLimitBytes);
        this.dropFromLedger = (hi, lo, seenAt) -> removeFromLedger(hi, lo, "expire dedup key");
    }

    /** False under {@code dedup_window 0}: no keys, no digests. */
    boolean isEnabled() {
        return !window.isZero();
    }

    /** The key of an append, or null (no chunk id, or dedup disabled). Entries are not moved. */
    DedupKey keyOf(byte[] chunkId, String tag, ByteBuffer entries, int eventCount) {
        return isEnabled() ? DedupKey.of(chunkId, tag, entries, eventCount) : null;
    }

    /** A running digest for a streamed append, or null when dedup is disabled. */
    DedupKey.Digest newDigest() {
        return isEnabled() ? new DedupKey.Digest() : null;
    }

    /** Takes the keys still inside the window from the ledger, and drops the others from it. */
    void load(long nowMillis) {
        lastExpiryMillis = nowMillis;
        List<Map.Entry<ByteBuffer, Long>> stored =
                new ArrayList<>(ledger.dedupKeys().entrySet());
        if (stored.isEmpty()) {
            return;
        }
        stored.sort(Map.Entry.comparingByValue());
        int dropped = 0;
        for (Map.Entry<ByteBuffer, Long> e : stored) {
            ByteBuffer k = e.getKey();
            // other lengths: raw chunk ids of an older release, not digests; dropped (a re-send is stored)
            if (isEnabled() && k.remaining() == DedupKey.BYTES && e.getValue() > nowMillis - window.toMillis()) {
                long hi = k.getLong(k.position());
                long lo = k.getLong(k.position() + Long.BYTES);
                table.add(hi, lo, e.getValue(), (h, l, seenAt) -> evicted(h, l, seenAt, nowMillis));
            } else {
                byte[] raw = new byte[k.remaining()];
                k.duplicate().get(raw);
                ledger.tryUpdate(() -> ledger.removeDedupKey(raw), "drop dedup key");
                dropped++;
            }
        }
        ledger.tryUpdate(ledger::commit, "load dedup keys");
        keys = table.size();
        log.info(
                "Buffer of output {}: dedup window loaded {} keys from the ledger ({} expired or of an older format"
                        + " dropped)",
                outputId,
                keys,
                dropped);
    }

    /** True when {@code key} was stored within the window (a true re-send). Null keys never are. */
    boolean isDuplicate(DedupKey key) {
        if (key == null) {
            return false;
        }
        long seenAt = table.seenAt(key.hi(), key.lo());
        return seenAt != Long.MIN_VALUE && seenAt > clock.millis() - window.toMillis();
    }

    /** Counts a re-send acked without storing it, and logs it (rate-limited). */
    void hit(DedupKey key) {
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

    /** Remembers {@code key} as stored now. True when the ledger was written (the round must commit). */
    boolean remember(DedupKey key) {
        if (key == null || !isEnabled()) {
            return false;
        }
        long now = clock.millis();
        table.add(key.hi(), key.lo(), now, (hi, lo, seenAt) -> evicted(hi, lo, seenAt, now));
        keys = table.size();
        byte[] bytes = key.bytes();
        ledger.tryUpdate(() -> ledger.putDedupKey(bytes, now), "dedup key");
        return true;
    }

    /** Forgets a key remembered for an append that then failed (the group commit makes it durable). */
    void forget(DedupKey key) {
        if (key == null || !isEnabled()) {
            return;
        }
        table.forget(key.hi(), key.lo());
        keys = table.size();
        removeFromLedger(key.hi(), key.lo(), "forget dedup key");
    }

    /** Drops the keys that left the window, at most once per expiry interval. */
    void expire() {
        if (!isEnabled()) {
            return;
        }
        long now = clock.millis();
        if (now - lastExpiryMillis < Math.min(EXPIRY_INTERVAL_MILLIS, window.toMillis() + 1)) {
            return;
        }
        lastExpiryMillis = now;
        int before = table.size();
        table.expire(now - window.toMillis(), dropFromLedger);
        keys = table.size();
        if (keys != before) {
            ledger.tryUpdate(ledger::commit, "expire dedup keys");
        }
    }

    /** The window re-sends are detected in now, in seconds: {@code dedup_window} unless keys were evicted. */
    double effectiveWindowSeconds() {
        return effectiveWindowMillis(clock.millis()) / 1000.0;
    }

    /** Keys held now. */
    int keys() {
        return keys;
    }

    /** The most keys {@code dedup_memory_limit} holds. */
    int capacity() {
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

    private void removeFromLedger(long hi, long lo, String what) {
        byte[] bytes =
                ByteBuffer.allocate(DedupKey.BYTES).putLong(hi).putLong(lo).array();
        ledger.tryUpdate(() -> ledger.removeDedupKey(bytes), what);
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
