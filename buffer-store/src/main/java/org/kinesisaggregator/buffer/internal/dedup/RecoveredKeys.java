package org.kinesisaggregator.buffer.internal.dedup;

import java.util.Arrays;
import org.kinesisaggregator.buffer.file.ChunkRecovery;

/**
 * The dedup keys found at start-up (in the frames of the chunk files, and the few the ledger
 * holds), bounded: only keys seen after {@code cutoff} (inside {@code dedup_window}) are taken, and
 * at most {@code capacity} of them (what {@code dedup_memory_limit} holds), the youngest. Chunk
 * files are read in id order, but frames of chunks staged at the same time (one per tag under
 * {@code chunk_keys tag}) interleave in time, so the keys are held in a min-heap by seen-at
 * (three {@code long} arrays, 24 bytes a key, grown by doubling up to {@code capacity}): a key
 * younger than the oldest held replaces it once the heap is full. {@link #drainOldestFirst} hands
 * them out oldest first, the order {@link DedupTable} keeps.
 *
 * <p>Not thread-safe: used by the starting thread only, then dropped.
 */
public final class RecoveredKeys implements ChunkRecovery.FrameKeys {
    private static final int INITIAL = 1024;

    /** Receives the keys, oldest first. */
    interface Sink {
        void key(long hi, long lo, long seenAt);
    }

    private final int capacity;
    private final long cutoff;
    private long[] hi = new long[0];
    private long[] lo = new long[0];
    private long[] seenAt = new long[0];
    private int size;
    private long youngestDropped = Long.MIN_VALUE;
    private long dropped;

    /** Takes keys seen after {@code cutoff}, at most {@code capacity} (0: none at all). */
    RecoveredKeys(int capacity, long cutoff) {
        this.capacity = capacity;
        this.cutoff = cutoff;
    }

    @Override
    public void frame(long keyHi, long keyLo, long storedAtEpochMillis) {
        add(keyHi, keyLo, storedAtEpochMillis);
    }

    /** Offers a key; true when it was inside the window (it may still be dropped for room later). */
    boolean add(long keyHi, long keyLo, long at) {
        if (capacity == 0 || at <= cutoff) {
            return false;
        }
        if (size == capacity) {
            if (at <= seenAt[0]) {
                drop(at);
                return true;
            }
            drop(seenAt[0]);
            set(0, keyHi, keyLo, at);
            siftDown(0);
            return true;
        }
        if (size == hi.length) {
            grow();
        }
        set(size, keyHi, keyLo, at);
        siftUp(size);
        size++;
        return true;
    }

    /** Keys held. */
    int size() {
        return size;
    }

    /** Keys inside the window dropped because {@code capacity} was reached. */
    long dropped() {
        return dropped;
    }

    /** Seen-at of the youngest key dropped for room, or {@link Long#MIN_VALUE} when none was. */
    long youngestDropped() {
        return youngestDropped;
    }

    /** Hands every key held to {@code sink}, oldest first, and empties the heap. */
    void drainOldestFirst(Sink sink) {
        while (size > 0) {
            sink.key(hi[0], lo[0], seenAt[0]);
            size--;
            if (size > 0) {
                set(0, hi[size], lo[size], seenAt[size]);
                siftDown(0);
            }
        }
        hi = lo = seenAt = new long[0];
    }

    private void drop(long at) {
        dropped++;
        youngestDropped = Math.max(youngestDropped, at);
    }

    private void grow() {
        int n = (int) Math.min(capacity, Math.max(INITIAL, 2L * hi.length));
        hi = Arrays.copyOf(hi, n);
        lo = Arrays.copyOf(lo, n);
        seenAt = Arrays.copyOf(seenAt, n);
    }

    private void set(int i, long h, long l, long at) {
        hi[i] = h;
        lo[i] = l;
        seenAt[i] = at;
    }

    private void swap(int i, int j) {
        long h = hi[i];
        long l = lo[i];
        long a = seenAt[i];
        set(i, hi[j], lo[j], seenAt[j]);
        set(j, h, l, a);
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (seenAt[parent] <= seenAt[i]) {
                return;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(int i) {
        while (true) {
            int left = 2 * i + 1;
            if (left >= size) {
                return;
            }
            int smallest = left + 1 < size && seenAt[left + 1] < seenAt[left] ? left + 1 : left;
            if (seenAt[i] <= seenAt[smallest]) {
                return;
            }
            swap(i, smallest);
            i = smallest;
        }
    }
}
