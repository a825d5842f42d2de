package org.kinesisaggregator.buffer.internal.store;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Whether the buffer's storage takes appends now, for {@code /health/ready}: after an append was refused
 * because the disk failed it (full, read-only, an I/O error, a failed fsync), the buffer reports that problem
 * until an append is stored again. A node that cannot store should get no new connections: behind a load
 * balancer its forwarders move to nodes that can.
 *
 * <p>Invariant: a problem is reported exactly while the last storage outcome was a failure.
 *
 * <p>Thread-safe: the writer thread records outcomes; any thread reads {@link #problems()}.
 */
public final class StorageHealth {
    private record Failure(long atMillis, String reason) {}

    private final Clock clock;
    private volatile Failure lastFailure;

    public StorageHealth(Clock clock) {
        this.clock = clock;
    }

    /** An append was refused because the storage failed it. */
    public void failed(String reason) {
        lastFailure = new Failure(clock.millis(), reason);
    }

    /** An append was stored (written, and synced where the durability asks for it). */
    public void stored() {
        if (lastFailure != null) {
            lastFailure = null;
        }
    }

    /** Empty while appends are stored; else one line saying what failed, since when, and what to check. */
    public List<String> problems() {
        Failure f = lastFailure;
        if (f == null) {
            return List.of();
        }
        return List.of("appends refused since " + Instant.ofEpochMilli(f.atMillis()) + ": " + f.reason()
                + " (check free space, a read-only mount and I/O errors of the buffer's disk)");
    }
}
