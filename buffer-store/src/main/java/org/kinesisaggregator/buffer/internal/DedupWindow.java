package org.kinesisaggregator.buffer.internal;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The forwarder chunk ids (dedup keys) seen within {@code dedup_window}: a forwarder that re-sends
 * a message after a lost ack is acked again without its events being stored twice. Each key is
 * kept in memory and in the ledger, so that a restart remembers it.
 *
 * <p>Invariant: the keys are in seen-at order (a key seen again moves to the end), so expiry stops
 * at the first key still inside the window. A zero window keeps nothing.
 *
 * <p>Not thread-safe: {@link #load} runs on the starting thread before the writer thread starts;
 * everything else is confined to the writer thread.
 */
final class DedupWindow {
    private static final long EXPIRY_INTERVAL_MILLIS = 10_000;

    private final Duration window;
    private final Clock clock;
    private final BufferLedger ledger;
    private final LinkedHashMap<ByteBuffer, Long> seen = new LinkedHashMap<>();
    private long lastExpiryMillis;

    DedupWindow(Duration window, Clock clock, BufferLedger ledger) {
        this.window = window;
        this.clock = clock;
        this.ledger = ledger;
    }

    /** Takes the keys still inside the window from the ledger, and drops the others from it. */
    void load(long nowMillis) {
        if (window.toMillis() > 0) {
            List<Map.Entry<ByteBuffer, Long>> keys =
                    new ArrayList<>(ledger.dedupKeys().entrySet());
            keys.sort(Map.Entry.comparingByValue());
            for (Map.Entry<ByteBuffer, Long> e : keys) {
                if (e.getValue() > nowMillis - window.toMillis()) {
                    seen.put(e.getKey(), e.getValue());
                } else {
                    ledger.removeDedupKey(bytes(e.getKey()));
                }
            }
            ledger.commit();
        }
        lastExpiryMillis = nowMillis;
    }

    boolean isDuplicate(byte[] key) {
        if (key == null || window.isZero()) {
            return false;
        }
        Long seenAt = seen.get(ByteBuffer.wrap(key));
        return seenAt != null && seenAt > clock.millis() - window.toMillis();
    }

    /** Remembers {@code key} as seen now. True when the ledger was written (the round must commit). */
    boolean remember(byte[] key) {
        if (window.isZero()) {
            return false;
        }
        byte[] copy = key.clone();
        long now = clock.millis();
        seen.remove(ByteBuffer.wrap(copy));
        seen.put(ByteBuffer.wrap(copy), now);
        ledger.tryUpdate(() -> ledger.putDedupKey(copy, now), "dedup key");
        return true;
    }

    /** Forgets a key remembered for an append that then failed (the group commit makes it durable). */
    void forget(byte[] key) {
        if (key == null || window.isZero()) {
            return;
        }
        seen.remove(ByteBuffer.wrap(key));
        ledger.tryUpdate(() -> ledger.removeDedupKey(key), "forget dedup key");
    }

    /** Drops the keys that left the window, at most once per expiry interval. */
    void expire() {
        long now = clock.millis();
        if (now - lastExpiryMillis < Math.min(EXPIRY_INTERVAL_MILLIS, window.toMillis() + 1)) {
            return;
        }
        lastExpiryMillis = now;
        long oldest = now - window.toMillis();
        boolean removed = false;
        Iterator<Map.Entry<ByteBuffer, Long>> it = seen.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<ByteBuffer, Long> e = it.next();
            if (e.getValue() > oldest) {
                break;
            }
            it.remove();
            byte[] key = bytes(e.getKey());
            ledger.tryUpdate(() -> ledger.removeDedupKey(key), "expire dedup key");
            removed = true;
        }
        if (removed) {
            ledger.tryUpdate(ledger::commit, "expire dedup keys");
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
