package org.kinesisaggregator.buffer.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import org.kinesisaggregator.buffer.ChunkMetadata;

/**
 * The chunk file format: a fixed header, then frames, one per append.
 *
 * <pre>
 * header (28 bytes):  u32 magic "KACK" | u16 format version | u16 flags (0) | u64 chunk id
 *                     | u64 created-at (epoch millis) | u32 crc32c of the preceding 24 bytes
 * version 3 adds:     u32 metadata length | metadata ({@link ChunkMetadata#encode()})
 *                     | u32 crc32c of the metadata length and metadata
 * frame, version 2/3:   u32 length | u32 crc32c | u32 event count | u16 tag length
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
 * says which frame layout follows: this code writes {@link #FORMAT_VERSION} and reads 1, 2 and 3.
 * Version 3 (record-key chunk keys) carries the chunk's metadata in the header, so that the frames
 * start at {@link Header#dataOffset()} rather than at {@link #HEADER_BYTES}; its frames are version
 * 2's. Files of versions 1 and 2 have no metadata ({@link ChunkMetadata#NONE}).
 *
 * <p><b>Do not reorder, add, remove or change the type of any field</b> without bumping
 * {@link #FORMAT_VERSION}: files written by earlier versions are read by this code after an upgrade.
 *
 * <p>Stateless; thread-safe.
 */
public final class ChunkFileFormat {

    /** "KACK": kinesis-aggregator chunk. */
    public static final int MAGIC = 0x4B41434B;

    /** Version of the header and frame layout written. Checked on open: 1, 2 and 3 are read, others refused. */
    public static final short FORMAT_VERSION = 3;

    /** Frames with stored-at and dedup key, a fixed header without metadata (read after an upgrade). */
    public static final short FORMAT_VERSION_2 = 2;

    /** The first layout: frames without stored-at and dedup key (read after an upgrade). */
    public static final short FORMAT_VERSION_1 = 1;

    /** The fixed part of the header (all of it in versions 1 and 2). */
    public static final int HEADER_BYTES = 28;

    /** Version 3's metadata length and crc around the metadata. */
    public static final int METADATA_OVERHEAD_BYTES = 8;

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

    /** The header of a new chunk file without metadata. */
    public static ByteBuffer encodeHeader(long chunkId, long createdAtEpochMillis) {
        return encodeHeader(chunkId, createdAtEpochMillis, ChunkMetadata.NONE);
    }

    /** The header of a new chunk file (version {@link #FORMAT_VERSION}) carrying {@code metadata}. */
    public static ByteBuffer encodeHeader(long chunkId, long createdAtEpochMillis, ChunkMetadata metadata) {
        byte[] meta = metadata.encode();
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + METADATA_OVERHEAD_BYTES + meta.length)
                .order(ByteOrder.BIG_ENDIAN);
        b.putInt(MAGIC)
                .putShort(FORMAT_VERSION)
                .putShort((short) 0)
                .putLong(chunkId)
                .putLong(createdAtEpochMillis);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER_BYTES - 4);
        b.putInt((int) crc.getValue());
        b.putInt(meta.length).put(meta);
        CRC32C metaCrc = new CRC32C();
        metaCrc.update(b.array(), HEADER_BYTES, 4 + meta.length);
        b.putInt((int) metaCrc.getValue());
        return b.flip();
    }

    /**
     * A decoded header; {@code version} says which frame layout follows.
     *
     * @param metadata the chunk's metadata (version 3), {@link ChunkMetadata#NONE} for older files
     * @param dataOffset where the first frame starts: {@link #HEADER_BYTES} in versions 1 and 2
     */
    public record Header(
            long chunkId, long createdAtEpochMillis, short version, ChunkMetadata metadata, int dataOffset) {
        public Header(long chunkId, long createdAtEpochMillis, short version) {
            this(chunkId, createdAtEpochMillis, version, ChunkMetadata.NONE, HEADER_BYTES);
        }

        /** Bytes of a frame header (before the tag) in this file. */
        public int frameHeaderBytes() {
            return ChunkFileFormat.frameHeaderBytes(version);
        }
    }

    /**
     * Reads and decodes the header at the start of {@code channel} (any version).
     *
     * @throws ChunkFormatException naming what is wrong, when the header is not one of ours or is cut short
     */
    public static Header readHeader(FileChannel channel, String where) throws IOException {
        ByteBuffer fixed = ByteBuffer.allocate(HEADER_BYTES);
        readFully(channel, fixed, 0);
        Header h = decodeFixed(fixed.flip(), where);
        if (h.version() < FORMAT_VERSION) {
            return h;
        }
        ByteBuffer length = ByteBuffer.allocate(4);
        readFully(channel, length, HEADER_BYTES);
        if (length.position() < 4) {
            throw new ChunkFormatException(where + ": header: metadata length cut short (expected: 4 bytes)");
        }
        int metaLength = length.flip().getInt();
        if (metaLength < 0 || metaLength > ChunkMetadata.MAX_ENCODED_BYTES) {
            throw new ChunkFormatException(where + ": header: metadata length " + metaLength + " (expected: 0.."
                    + ChunkMetadata.MAX_ENCODED_BYTES + ")");
        }
        ByteBuffer rest = ByteBuffer.allocate(METADATA_OVERHEAD_BYTES + metaLength);
        readFully(channel, rest, HEADER_BYTES);
        return decodeMetadata(h, rest.flip(), where);
    }

    private static void readFully(FileChannel channel, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining() && channel.read(b, at + b.position()) > 0) {
            // until full or EOF
        }
    }

    /** {@code rest}: the bytes after the fixed header, from the metadata length on. */
    private static Header decodeMetadata(Header fixed, ByteBuffer rest, String where) throws ChunkFormatException {
        ByteBuffer r = rest.duplicate().order(ByteOrder.BIG_ENDIAN);
        if (r.remaining() < METADATA_OVERHEAD_BYTES) {
            throw new ChunkFormatException(where + ": header: metadata cut short (expected: " + METADATA_OVERHEAD_BYTES
                    + " bytes or more after the fixed header)");
        }
        int start = r.position();
        int metaLength = r.getInt(start);
        if (metaLength < 0 || metaLength > r.remaining() - METADATA_OVERHEAD_BYTES) {
            throw new ChunkFormatException(where + ": header: metadata length " + metaLength + " (expected: <= "
                    + (r.remaining() - METADATA_OVERHEAD_BYTES) + ", the bytes in the file)");
        }
        CRC32C crc = new CRC32C();
        ByteBuffer covered = r.duplicate();
        covered.limit(start + 4 + metaLength).position(start);
        crc.update(covered);
        int storedCrc = r.getInt(start + 4 + metaLength);
        if ((int) crc.getValue() != storedCrc) {
            throw new ChunkFormatException(where + ": header metadata crc32c: 0x"
                    + Integer.toHexString((int) crc.getValue()) + " (expected: 0x" + Integer.toHexString(storedCrc)
                    + ")");
        }
        ByteBuffer meta = r.duplicate();
        meta.limit(start + 4 + metaLength).position(start + 4);
        ChunkMetadata metadata;
        try {
            metadata = ChunkMetadata.decode(meta);
        } catch (IllegalArgumentException e) {
            throw new ChunkFormatException(where + ": header: " + e.getMessage());
        }
        return new Header(
                fixed.chunkId(),
                fixed.createdAtEpochMillis(),
                fixed.version(),
                metadata,
                HEADER_BYTES + METADATA_OVERHEAD_BYTES + metaLength);
    }

    /** Bytes of a frame header (before the tag) in a file of {@code version}. */
    public static int frameHeaderBytes(short version) {
        return version == FORMAT_VERSION_1 ? FRAME_HEADER_BYTES_V1 : FRAME_HEADER_BYTES;
    }

    /**
     * Decodes a header from {@code b}, which holds the whole header (for version 3, the fixed part and
     * the metadata after it).
     *
     * @throws ChunkFormatException naming what is wrong, when the header is not one of ours
     */
    public static Header decodeHeader(ByteBuffer b, String where) throws ChunkFormatException {
        Header fixed = decodeFixed(b, where);
        if (fixed.version() < FORMAT_VERSION) {
            return fixed;
        }
        ByteBuffer rest = b.duplicate();
        rest.position(b.position() + HEADER_BYTES);
        return decodeMetadata(fixed, rest, where);
    }

    /** The fixed part of a header (any version); version 3's metadata is not read. */
    private static Header decodeFixed(ByteBuffer b, String where) throws ChunkFormatException {
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
        if (version != FORMAT_VERSION && version != FORMAT_VERSION_2 && version != FORMAT_VERSION_1) {
            throw new ChunkFormatException(where + ": format version: " + version + " (expected: " + FORMAT_VERSION_1
                    + ".." + FORMAT_VERSION + "); written by another release of kinesis-aggregator");
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
