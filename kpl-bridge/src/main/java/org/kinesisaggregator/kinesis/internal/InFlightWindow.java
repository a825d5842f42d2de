package org.kinesisaggregator.kinesis.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bounds the bytes handed to one KPL producer and not yet settled: writers {@link #acquire} before
 * {@code addUserRecord} and wait while the window is full; KPL callbacks {@link #release}. One
 * record larger than the whole window still goes when nothing else is in flight.
 *
 * <p>Thread-safe.
 */
public final class InFlightWindow {
    private final long maxBytes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private long inFlightBytes;
    private long inFlightRecords;
    private long lastReleaseNanos = System.nanoTime();
    private boolean closed;

    public InFlightWindow(long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: > 0)");
        }
        this.maxBytes = maxBytes;
    }

    /** Outcome of {@link #acquire}. */
    public enum Acquired {
        YES,
        TIMED_OUT,
        CLOSED
    }

    /**
     * Takes {@code bytes} from the window, waiting at most {@code timeoutNanos} for room.
     *
     * @throws InterruptedException when the waiting thread is interrupted
     */
    public Acquired acquire(long bytes, long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long remaining = timeoutNanos;
            while (!closed && inFlightBytes > 0 && inFlightBytes + bytes > maxBytes) {
                if (remaining <= 0) {
                    return Acquired.TIMED_OUT;
                }
                remaining = released.awaitNanos(remaining);
            }
            if (closed) {
                return Acquired.CLOSED;
            }
            inFlightBytes += bytes;
            inFlightRecords++;
            return Acquired.YES;
        } finally {
            lock.unlock();
        }
    }

    /** Gives {@code bytes} back (one record settled). */
    public void release(long bytes) {
        lock.lock();
        try {
            inFlightBytes -= bytes;
            inFlightRecords--;
            lastReleaseNanos = System.nanoTime();
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiter; later acquires answer {@link Acquired#CLOSED}. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until nothing is in flight, at most {@code timeout}; true when empty. */
    public boolean awaitEmpty(long timeout, TimeUnit unit) throws InterruptedException {
        long remaining = unit.toNanos(timeout);
        lock.lock();
        try {
            while (inFlightRecords > 0) {
                if (remaining <= 0) {
                    return false;
                }
                remaining = released.awaitNanos(remaining);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    public long maxBytes() {
        return maxBytes;
    }

    public long inFlightBytes() {
        lock.lock();
        try {
            return inFlightBytes;
        } finally {
            lock.unlock();
        }
    }

    public long inFlightRecords() {
        lock.lock();
        try {
            return inFlightRecords;
        } finally {
            lock.unlock();
        }
    }

    /** Nanoseconds since the last release (progress), for stall detection. */
    public long nanosSinceLastRelease() {
        lock.lock();
        try {
            return System.nanoTime() - lastReleaseNanos;
        } finally {
            lock.unlock();
        }
    }
}
