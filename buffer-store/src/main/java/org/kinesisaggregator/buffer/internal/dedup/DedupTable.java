package org.kinesisaggregator.buffer.internal.dedup;

import java.util.Arrays;

/**
 * A bounded table of 128-bit dedup keys with the time each was seen, oldest evicted first. Keys
 * live in a ring of three {@code long} arrays ({@code hi}, {@code lo}, {@code seenAt}: 24 bytes a
 * key) in the order they were added; an open-addressing index ({@code int} ring positions, linear
 * probing, at most half full: 4 bytes a slot, 8–16 bytes a key) finds them. Nothing else is
 * allocated per key. The arrays start small and double up to the capacity that
 * {@code memoryLimitBytes} allows ({@link #sizing}); when the ring is full, adding a key evicts the
 * oldest one. While the arrays double, the old (half-size) ones are held until the copy is done:
 * the heap peaks at 1.5 times the limit for a moment, once, on the last doubling.
 *
 * <p>Invariant: ring order is add order (a key added again is moved to the end), so expiry and
 * eviction both take from the head. A forgotten key leaves a dead slot behind that is dropped when
 * it reaches the head, or reclaimed (the ring rebuilt in place) before a live key would be evicted
 * for room: a live key is evicted only when the table holds {@link #capacity()} live keys.
 *
 * <p>Not thread-safe: confined to the writer thread.
 */
final class DedupTable {
    /** Heap bytes per ring slot: {@code hi}, {@code lo}, {@code seenAt}. */
    static final int RING_BYTES_PER_KEY = 3 * Long.BYTES;
    /** Heap bytes per index slot. */
    static final int INDEX_BYTES_PER_SLOT = Integer.BYTES;

    private static final long DEAD = Long.MIN_VALUE;
    private static final int INITIAL_CAPACITY = 1024;
    private static final int MAX_INDEX_SLOTS = 1 << 30;

    /** Called for each key that leaves the table by expiry or eviction (not by {@link #forget}). */
    interface Removal {
        void removed(long hi, long lo, long seenAt);
    }

    /**
     * How many keys a memory limit holds: {@code capacity} ring slots and {@code indexSlots} (a
     * power of two, at least twice the capacity) index slots, {@link #bytes()} at most the limit.
     */
    record Sizing(int capacity, int indexSlots) {
        long bytes() {
            return (long) capacity * RING_BYTES_PER_KEY + (long) indexSlots * INDEX_BYTES_PER_SLOT;
        }
    }

    /** The largest capacity whose arrays fit in {@code memoryLimitBytes} (at least 1 key). */
    static Sizing sizing(long memoryLimitBytes) {
        Sizing best = new Sizing(1, 2);
        for (int slots = 2; slots > 0 && slots <= MAX_INDEX_SLOTS; slots <<= 1) {
            long rest = memoryLimitBytes - (long) slots * INDEX_BYTES_PER_SLOT;
            if (rest <= 0) {
                break;
            }
            long capacity = Math.min(slots / 2, rest / RING_BYTES_PER_KEY);
            if (capacity > best.capacity()) {
                best = new Sizing((int) capacity, slots);
            }
        }
        return best;
    }

    private final Sizing max;
    private long[] hi;
    private long[] lo;
    private long[] seenAt;
    /** Ring position + 1 of the key in each slot; 0 = empty. */
    private int[] index;

    private int head;
    /** Ring slots in use, dead ones included. */
    private int used;
    /** Keys held (ring slots in use minus dead ones). */
    private int live;

    DedupTable(long memoryLimitBytes) {
        this.max = sizing(memoryLimitBytes);
        int capacity = Math.min(max.capacity(), INITIAL_CAPACITY);
        allocate(capacity, capacity == max.capacity() ? max.indexSlots() : indexSlotsFor(capacity));
    }

    /** The most keys the table holds. */
    int capacity() {
        return max.capacity();
    }

    /** Keys held now. */
    int size() {
        return live;
    }

    /** Heap bytes the table's arrays take now (grows up to {@link #maxBytes()}). */
    long allocatedBytes() {
        return (long) hi.length * Long.BYTES
                + (long) lo.length * Long.BYTES
                + (long) seenAt.length * Long.BYTES
                + (long) index.length * Integer.BYTES;
    }

    /** Heap bytes the table's arrays take once grown to {@link #capacity()} keys. */
    long maxBytes() {
        return max.bytes();
    }

    /** When the key was seen, or {@link Long#MIN_VALUE} when the table does not hold it. */
    long seenAt(long keyHi, long keyLo) {
        int slot = find(keyHi, keyLo);
        return slot < 0 ? Long.MIN_VALUE : seenAt[index[slot] - 1];
    }

    /**
     * Adds a key seen at {@code now} (moving it to the end when held). When the table is full, the
     * oldest key is evicted first and reported to {@code evicted}.
     */
    void add(long keyHi, long keyLo, long now, Removal evicted) {
        forget(keyHi, keyLo);
        if (used == hi.length) {
            if (live < used) {
                compact(); // forgotten keys' dead slots are reclaimed before any live key goes
            } else if (hi.length < max.capacity()) {
                rebuild((int) Math.min(max.capacity(), 2L * hi.length));
            } else {
                removeHead(evicted);
            }
        }
        int pos = (head + used) % hi.length;
        hi[pos] = keyHi;
        lo[pos] = keyLo;
        seenAt[pos] = now;
        used++;
        live++;
        indexInsert(pos);
    }

    private void indexInsert(int pos) {
        int slot = home(lo[pos]);
        while (index[slot] != 0) {
            slot = (slot + 1) & (index.length - 1);
        }
        index[slot] = pos + 1;
    }

    /** Drops the dead slots in place (live keys keep their order) and rebuilds the index. */
    private void compact() {
        int n = 0;
        for (int k = 0; k < used; k++) {
            int from = (head + k) % hi.length;
            if (seenAt[from] != DEAD) {
                int to = (head + n) % hi.length;
                hi[to] = hi[from];
                lo[to] = lo[from];
                seenAt[to] = seenAt[from];
                n++;
            }
        }
        used = n;
        live = n;
        Arrays.fill(index, 0);
        for (int k = 0; k < n; k++) {
            indexInsert((head + k) % hi.length);
        }
    }

    /** Removes a key; true when it was held. Its ring slot stays, dead, until it reaches the head. */
    boolean forget(long keyHi, long keyLo) {
        int slot = find(keyHi, keyLo);
        if (slot < 0) {
            return false;
        }
        seenAt[index[slot] - 1] = DEAD;
        removeIndexSlot(slot);
        live--;
        return true;
    }

    /** Removes the keys seen at or before {@code cutoff} (and dead slots) from the head. */
    void expire(long cutoff, Removal expired) {
        while (used > 0 && (seenAt[head] == DEAD || seenAt[head] <= cutoff)) {
            removeHead(expired);
        }
    }

    private void removeHead(Removal removal) {
        long at = seenAt[head];
        if (at != DEAD) {
            removeIndexSlot(find(hi[head], lo[head]));
            live--;
            removal.removed(hi[head], lo[head], at);
        }
        head = (head + 1) % hi.length;
        used--;
    }

    private int home(long keyLo) {
        return (int) (keyLo ^ (keyLo >>> 32)) & (index.length - 1);
    }

    /** The index slot of a key, or -1. */
    private int find(long keyHi, long keyLo) {
        int mask = index.length - 1;
        for (int slot = home(keyLo); index[slot] != 0; slot = (slot + 1) & mask) {
            int pos = index[slot] - 1;
            if (hi[pos] == keyHi && lo[pos] == keyLo) {
                return slot;
            }
        }
        return -1;
    }

    /** Empties an index slot, shifting later entries of its probe run back (no tombstones). */
    private void removeIndexSlot(int slot) {
        int mask = index.length - 1;
        int gap = slot;
        int j = slot;
        while (true) {
            j = (j + 1) & mask;
            if (index[j] == 0) {
                break;
            }
            int k = home(lo[index[j] - 1]);
            boolean staysPut = gap <= j ? gap < k && k <= j : gap < k || k <= j;
            if (!staysPut) {
                index[gap] = index[j];
                gap = j;
            }
        }
        index[gap] = 0;
    }

    private static int indexSlotsFor(int capacity) {
        return Integer.highestOneBit(Math.max(1, capacity - 1)) << 2;
    }

    private void allocate(int capacity, int indexSlots) {
        hi = new long[capacity];
        lo = new long[capacity];
        seenAt = new long[capacity];
        index = new int[indexSlots];
    }

    /** Moves the live keys, in order, into arrays of {@code capacity} slots and rebuilds the index. */
    private void rebuild(int capacity) {
        long[] oldHi = hi;
        long[] oldLo = lo;
        long[] oldSeenAt = seenAt;
        int oldHead = head;
        int oldUsed = used;
        allocate(capacity, capacity == max.capacity() ? max.indexSlots() : indexSlotsFor(capacity));
        head = 0;
        used = 0;
        live = 0;
        Removal none = (h, l, s) -> {};
        for (int k = 0; k < oldUsed; k++) {
            int from = (oldHead + k) % oldHi.length;
            if (oldSeenAt[from] != DEAD) {
                add(oldHi[from], oldLo[from], oldSeenAt[from], none);
            }
        }
    }
}
