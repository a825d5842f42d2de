package org.kinesisaggregator.buffer.ledger;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.BitSet;

/**
 * Which events of a chunk are done (delivered, or handed to the secondary / {@code failed/}), as
 * sorted disjoint half-open ranges {@code [start, end)}. Compact when delivery is mostly in order
 * (the usual case: a whole chunk, or a prefix, or a few holes).
 *
 * <p>Immutable; thread-safe.
 */
public final class Progress {
    public static final Progress NONE = new Progress(new int[0]);

    /** {@code [start0, end0, start1, end1, ...]}, sorted, disjoint, non-adjacent. */
    private final int[] ranges;

    private Progress(int[] ranges) {
        this.ranges = ranges;
    }

    public static Progress of(BitSet done) {
        int[] out = new int[8];
        int n = 0;
        int start = done.nextSetBit(0);
        while (start >= 0) {
            int end = done.nextClearBit(start);
            if (n + 2 > out.length) {
                out = Arrays.copyOf(out, out.length * 2);
            }
            out[n++] = start;
            out[n++] = end;
            start = done.nextSetBit(end);
        }
        return n == 0 ? NONE : new Progress(Arrays.copyOf(out, n));
    }

    /** Everything in {@code [0, eventCount)}. */
    public static Progress all(int eventCount) {
        return eventCount == 0 ? NONE : new Progress(new int[] {0, eventCount});
    }

    public boolean isDone(int index) {
        // binary search over range starts
        int lo = 0;
        int hi = ranges.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (ranges[2 * mid] <= index) {
                if (index < ranges[2 * mid + 1]) {
                    return true;
                }
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return false;
    }

    public int doneCount() {
        int count = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            count += ranges[i + 1] - ranges[i];
        }
        return count;
    }

    public boolean isComplete(int eventCount) {
        return doneCount() >= eventCount;
    }

    public boolean isEmpty() {
        return ranges.length == 0;
    }

    public BitSet toBitSet() {
        BitSet b = new BitSet();
        for (int i = 0; i < ranges.length; i += 2) {
            b.set(ranges[i], ranges[i + 1]);
        }
        return b;
    }

    public Progress with(BitSet more) {
        if (more.isEmpty()) {
            return this;
        }
        BitSet b = toBitSet();
        b.or(more);
        return of(b);
    }

    /** Number of ranges: the size of the record in the ledger is 8 bytes per range. */
    public int rangeCount() {
        return ranges.length / 2;
    }

    void writeTo(DataOutput out) throws IOException {
        out.writeInt(ranges.length / 2);
        for (int r : ranges) {
            out.writeInt(r);
        }
    }

    static Progress readFrom(DataInput in) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > (1 << 24)) {
            throw new IOException("progress: " + count + " ranges (expected: 0..2^24)");
        }
        if (count == 0) {
            return NONE;
        }
        int[] r = new int[count * 2];
        for (int i = 0; i < r.length; i++) {
            r[i] = in.readInt();
        }
        return new Progress(r);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Progress p && Arrays.equals(ranges, p.ranges);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ranges);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Progress[");
        for (int i = 0; i < ranges.length; i += 2) {
            sb.append(i == 0 ? "" : ",").append(ranges[i]).append("..").append(ranges[i + 1]);
        }
        return sb.append(']').toString();
    }
}
