package org.kinesisaggregator.buffer.internal.dedup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * The dedup key of one append: 128 bits that stand for the forwarder's chunk id, the tag and the
 * entries (their CRC32C, their CRC32, their byte length and their event count). Two appends have
 * the same key only when they are a true re-send of each other (or, by accident, with odds of about
 * 2^-64 for the same chunk id and tag). {@code chunkId}, {@code tag} and {@code eventCount} ride
 * along for the log line of a hit only.
 *
 * <p>Why checksums and not a cryptographic hash: the key is computed on the writer thread, in the
 * ack path, over every byte of every keyed append; CRC32C and CRC32 are hardware-accelerated
 * intrinsics (several GB/s). They are not collision resistant, and need not be: a collision needs
 * the same chunk id and tag, and a forwarder only knows its own chunk ids (random 128-bit values
 * from out_forward), so a crafted collision can only drop its own events. For differing entries of
 * the same length the two CRCs (distinct polynomials) miss together with odds of about 2^-64.
 *
 * @param hi chunk id and tag, hashed
 * @param lo entries digest, mixed with {@code hi}
 */
public record DedupKey(long hi, long lo, byte[] chunkId, String tag, int eventCount) {
    /** Bytes of {@link #bytes()}: the key as stored in the ledger. */
    static final int BYTES = 16;

    /**
     * The key of {@code entries} (not moved) sent with {@code chunkId} under {@code tag}; null when
     * the chunk id is absent or empty (such appends never dedup).
     */
    static DedupKey of(byte[] chunkId, String tag, ByteBuffer entries, int eventCount) {
        if (chunkId == null || chunkId.length == 0) {
            return null;
        }
        Digest d = new Digest();
        d.update(entries, eventCount);
        return d.finish(chunkId, tag);
    }

    /** The key as 16 big-endian bytes (the ledger's form). */
    byte[] bytes() {
        return ByteBuffer.allocate(BYTES).putLong(hi).putLong(lo).array();
    }

    /**
     * The running digest of entries that arrive in pieces (a streamed append): the result does
     * not depend on where the pieces were cut, so a re-send streamed in other pieces, or sent
     * whole, has the same key. Not thread-safe.
     */
    public static final class Digest {
        private final CRC32C crc32c = new CRC32C();
        private final CRC32 crc32 = new CRC32();
        private long bytes;
        private long events;

        /** Adds the next piece ({@code entries} is not moved). */
        public void update(ByteBuffer entries, int eventCount) {
            crc32c.update(entries.duplicate());
            crc32.update(entries.duplicate());
            bytes += entries.remaining();
            events += eventCount;
        }

        /** The key of everything added, sent with {@code chunkId} under {@code tag}; null without an id. */
        public DedupKey finish(byte[] chunkId, String tag) {
            if (chunkId == null || chunkId.length == 0) {
                return null;
            }
            byte[] tagBytes = tag.getBytes(StandardCharsets.UTF_8);
            long hi = fmix64(hash(tagBytes, hash(chunkId, 0x9E3779B97F4A7C15L ^ chunkId.length)));
            long checksums = (crc32c.getValue() << 32) | crc32.getValue();
            long sizes = fmix64(bytes * 0xC2B2AE3D27D4EB4FL + events);
            long lo = fmix64(checksums ^ Long.rotateLeft(sizes, 29) ^ hi);
            return new DedupKey(hi, lo, chunkId, tag, (int) Math.min(events, Integer.MAX_VALUE));
        }
    }

    /** FNV-1a over {@code b}, continuing from {@code h}; mixed by {@link #fmix64} afterwards. */
    private static long hash(byte[] b, long h) {
        for (byte x : b) {
            h ^= x & 0xff;
            h *= 0x100000001B3L;
        }
        return fmix64(h ^ b.length);
    }

    /** MurmurHash3's 64-bit finalizer: every input bit affects every output bit. */
    static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xFF51AFD7ED558CCDL;
        k ^= k >>> 33;
        k *= 0xC4CEB9FE1A85EC53L;
        k ^= k >>> 33;
        return k;
    }
}
