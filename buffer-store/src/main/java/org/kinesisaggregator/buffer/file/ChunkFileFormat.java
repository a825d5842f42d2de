package org.kinesisaggregator.buffer.file;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The chunk file format: a fixed header, then frames, one per append.
 *
 * <pre>
 * header (28 bytes):  u32 magic "KACK" | u16 format version | u16 flags (0) | u64 chunk id
 *                     | u64 created-at (epoch millis) | u32 crc32c of the preceding 24 bytes
 * frame, version 2:   u32 length | u32 crc32c | u32 event count | u16 tag length
 *                     | u64 stored-at (epoch millis) | u64 dedup key hi | u64 dedup key lo | tag (UTF-8) | entries
 * frame, version 1:   u32 length | u32 crc32c | u32 event count | u16 tag length | tag (UTF-8) | entries
 * </pre>
 *
 * <p>All integers are big-endian. A frame's {@code length} counts the bytes after the crc field
 * ({@code 4 + 2 + 24 + tag length + entries length} in version 2); its {@code crc32c} covers
 * exactly those bytes, so a frame's identity (count, tag, dedup key) and payload are checksummed
 * together. The dedup key (version 2) is the append's 128-bit key (the forwarder's chunk id and the
 * tag, hashed, mixed with the entries digest; see the buffer's dedup) when the append was written
 * as this one frame, or {@code 0, 0} when it has none (no chunk id, dedup off, an append split over
 * several frames, a streamed append, a frame written to {@code failed/}). The file header's version
 * says which frame layout follows: this code writes {@link #FORMAT_VERSION} and reads both.
 *
 * <p><b>Do not reorder, add, remove or change the type of any field</b> without bumping
 * {@link #FORMAT_VERSION}: files written by earlier versions are read by this code after an upgrade.
 *
 * <p>Stateless; thread-safe.
 */
public final class ChunkFileFormat {

    /** "KACK": kinesis-aggregator chunk. */
    public static final int MAGIC = 0x4B41434B;

    /** Version of the header and frame layout written. Checked on open: 1 and 2 are read, others refused. */
    public static final short FORMAT_VERSION = 2;

    /** The first layout: frames without stored-at and dedup key (read after an upgrade). */
    public static final short FORMAT_VERSION_1 = 1;

    public static final int HEADER_BYTES = 28;

    /** {@code u32 length | u32 crc32c}. */
    public static final int FRAME_PREFIX_BYTES = 8;

    /** Version 1: {@code u32 length | u32 crc32c | u32 event count | u16 tag length}. */
    public static final int FRAME_HEADER_BYTES_V1 = 14;

    /** Version 2 adds {@code u64 stored-at | u64 dedup key hi | u64 dedup key lo}. */
    public static final int FRAME_HEADER_BYTES = FRAME_HEADER_BYTES_V1 + 3 * Long.BYTES;

    public static final int MAX_TAG_BYTES = 0xFFFF;

    /** File name suffix of a published chunk. */
    public static final String CHUNK_SUFFIX = ".chunk";

    /** File name suffix of a streamed append's private chunk, not yet published. */
    public static final String PRIVATE_SUFFIX = ".chunk.private";

    private ChunkFileFormat() {}

    /** {@code <16 hex digits>}, so that names sort like ids. */
    public static String idToString(long chunkId) {
        return String.format("%016x", chunkId);
    }

    /** The id in a chunk file name, or -1 when {@code fileName} is not a chunk file of ours. */
    public static long idOf(String fileName, String suffix) {
        if (!fileName.endsWith(suffix) || fileName.length() != 16 + suffix.length()) {
            return -1;
        }
        try {
            return Long.parseUnsignedLong(fileName.substring(0, 16), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public static String fileName(long chunkId) {
        return idToString(chunkId) + CHUNK_SUFFIX;
    }

    public static String privateFileName(long chunkId) {
        return idToString(chunkId) + PRIVATE_SUFFIX;
    }

    /** The header of a new chunk file. */
    public static ByteBuffer encodeHeader(long chunkId, long createdAtEpochMillis) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.BIG_ENDIAN);
        b.putInt(MAGIC)
                .putShort(FORMAT_VERSION)
                .putShort((short) 0)
                .putLong(chunkId)
                .putLong(createdAtEpochMillis);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER_BYTES - 4);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    /** A decoded header; {@code version} says which frame layout follows. */
    public record Header(long chunkId, long createdAtEpochMillis, short version) {
        /** Bytes of a frame header (before the tag) in this file. */
        public int frameHeaderBytes() {
            return ChunkFileFormat.frameHeaderBytes(version);
        }
    }

    /** Bytes of a frame header (before the tag) in a file of {@code version}. */
    public static int frameHeaderBytes(short version) {
        return version == FORMAT_VERSION_1 ? FRAME_HEADER_BYTES_V1 : FRAME_HEADER_BYTES;
    }

    /**
     * Decodes a header.
     *
     * @throws ChunkFormatException naming what is wrong, when the header is not one of ours
     */
    public static Header decodeHeader(ByteBuffer b, String where) throws ChunkFormatException {
        if (b.remaining() < HEADER_BYTES) {
            throw new ChunkFormatException(
                    where + ": header: " + b.remaining() + " bytes (expected: " + HEADER_BYTES + ")");
        }
        ByteBuffer h = b.duplicate().order(ByteOrder.BIG_ENDIAN);
        int start = h.position();
        int magic = h.getInt();
        if (magic != MAGIC) {
            throw new ChunkFormatException(where + ": magic: 0x" + Integer.toHexString(magic) + " (expected: 0x"
                    + Integer.toHexString(MAGIC) + ")");
        }
        short version = h.getShort();
        if (version != FORMAT_VERSION && version != FORMAT_VERSION_1) {
            throw new ChunkFormatException(where + ": format version: " + version + " (expected: " + FORMAT_VERSION_1
                    + " or " + FORMAT_VERSION + "); written by another release of kinesis-aggregator");
        }
        h.getShort();
        long id = h.getLong();
        long createdAt = h.getLong();
        int storedCrc = h.getInt();
        CRC32C crc = new CRC32C();
        ByteBuffer covered = b.duplicate();
        covered.limit(start + HEADER_BYTES - 4).position(start);
        crc.update(covered);
        if ((int) crc.getValue() != storedCrc) {
            throw new ChunkFormatException(where + ": header crc32c: 0x" + Integer.toHexString((int) crc.getValue())
                    + " (expected: 0x" + Integer.toHexString(storedCrc) + ")");
        }
        return new Header(id, createdAt, version);
    }

    /** Bytes a frame of this tag and entries takes in a file of the current version. */
    public static long frameBytes(int tagBytes, long entriesBytes) {
        return FRAME_HEADER_BYTES + tagBytes + entriesBytes;
    }

    public static byte[] tagBytes(String tag) {
        byte[] bytes = tag.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_TAG_BYTES) {
            throw new IllegalArgumentException("tag: " + bytes.length + " bytes (expected: <= " + MAX_TAG_BYTES + ")");
        }
        return bytes;
    }

    /**
     * The frame header and tag for {@code entries} (whose position and limit are not moved), in the
     * current version, without a dedup key and with stored-at 0: written together with the entries
     * in one gathering write.
     */
    public static ByteBuffer encodeFrameHeader(byte[] tag, ByteBuffer entries, int eventCount) {
        return encodeFrameHeader(tag, entries, eventCount, 0, 0, 0);
    }

    /**
     * The frame header and tag for {@code entries} (not moved), in the current version, carrying
     * the time it was stored and the append's dedup key ({@code 0, 0}: none).
     */
    public static ByteBuffer encodeFrameHeader(
            byte[] tag, ByteBuffer entries, int eventCount, long storedAtEpochMillis, long keyHi, long keyLo) {
        ByteBuffer b = ByteBuffer.allocate(FRAME_HEADER_BYTES + tag.length).order(ByteOrder.BIG_ENDIAN);
        int length = FRAME_HEADER_BYTES - FRAME_PREFIX_BYTES + tag.length + entries.remaining();
        b.putInt(length)
                .putInt(0)
                .putInt(eventCount)
                .putShort((short) tag.length)
                .putLong(storedAtEpochMillis)
                .putLong(keyHi)
                .putLong(keyLo)
                .put(tag);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), FRAME_PREFIX_BYTES, b.position() - FRAME_PREFIX_BYTES);
        crc.update(entries.duplicate());
        b.putInt(4, (int) crc.getValue());
        return b.flip();
    }
}
