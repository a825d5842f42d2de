package org.kinesisaggregator.buffer.file;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Verifies the frames of one chunk file, one position at a time, reading through a bounded buffer
 * (a frame of any size is checked with {@link #BUFFER_BYTES} of memory), and finds the next frame
 * after a corrupt region ({@link #resync}).
 *
 * <p>Not thread-safe; one reader per file, used by recovery on the starting thread.
 */
public final class FrameReader {
    static final int BUFFER_BYTES = 1 << 20;
    static final int SCAN_BYTES = 1 << 16;

    private final FileChannel channel;
    private final long fileBytes;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.BIG_ENDIAN);
    private final CRC32C crc = new CRC32C();
    /** Bytes of a frame header before the tag in this file's version. */
    private final int headerBytes;
    /** Bytes the header holds beyond {@code length} and {@code crc32c}, before the tag. */
    private final int headerRest;

    /** A reader of a file of the current {@link ChunkFileFormat#FORMAT_VERSION}. */
    public FrameReader(FileChannel channel, long fileBytes) {
        this(channel, fileBytes, ChunkFileFormat.FORMAT_VERSION);
    }

    /** A reader of a file whose header says {@code version}. */
    public FrameReader(FileChannel channel, long fileBytes, short version) {
        this.channel = channel;
        this.fileBytes = fileBytes;
        this.headerBytes = ChunkFileFormat.frameHeaderBytes(version);
        this.headerRest = headerBytes - ChunkFileFormat.FRAME_PREFIX_BYTES;
    }

    /** Checks the frame that starts at {@code position} (a position in the file, not in the data). */
    public FrameCheck check(long position) throws IOException {
        long available = fileBytes - position;
        if (available < headerBytes) {
            return new FrameCheck.Truncated(headerBytes - available);
        }
        ByteBuffer header = read(position, headerBytes);
        long length = Integer.toUnsignedLong(header.getInt());
        int storedCrc = header.getInt();
        long eventCount = Integer.toUnsignedLong(header.getInt());
        int tagLength = Short.toUnsignedInt(header.getShort());
        long storedAt = 0;
        long keyHi = 0;
        long keyLo = 0;
        if (headerBytes > ChunkFileFormat.FRAME_HEADER_BYTES_V1) {
            storedAt = header.getLong();
            keyHi = header.getLong();
            keyLo = header.getLong();
        }
        if (length < headerRest + tagLength + 1 || eventCount == 0 || eventCount > Integer.MAX_VALUE) {
            if (isZeroFrom(position)) {
                // A tail of zeros: blocks the file system allocated for a write that never landed.
                return new FrameCheck.Truncated(0);
            }
            return new FrameCheck.Corrupt(
                    storedCrc,
                    0,
                    "impossible frame header: length " + length + ", tag length " + tagLength + ", event count "
                            + eventCount);
        }
        long frameBytes = ChunkFileFormat.FRAME_PREFIX_BYTES + length;
        if (frameBytes > available) {
            return new FrameCheck.Truncated(frameBytes - available);
        }
        crc.reset();
        long from = position + ChunkFileFormat.FRAME_PREFIX_BYTES;
        long end = position + frameBytes;
        String tag = null;
        while (from < end) {
            int n = (int) Math.min(BUFFER_BYTES, end - from);
            ByteBuffer piece = read(from, n);
            if (tag == null) {
                ByteBuffer t = piece.duplicate();
                t.position(headerRest).limit(Math.min(headerRest + tagLength, t.limit()));
                tag = t.remaining() == tagLength
                        ? StandardCharsets.UTF_8.decode(t).toString()
                        : "?";
            }
            crc.update(piece);
            from += n;
        }
        int actual = (int) crc.getValue();
        if (actual != storedCrc) {
            return new FrameCheck.Corrupt(storedCrc, actual, "crc32c mismatch");
        }
        return new FrameCheck.Valid((int) eventCount, tag, frameBytes, storedAt, keyHi, keyLo);
    }

    /**
     * The first position at or after {@code from} where a whole frame validates: a plausible
     * header, its crc32c, and entries that are exactly {@code event count} msgpack arrays filling
     * the frame. -1 when there is none before the end of the file.
     *
     * <p>Linear in the bytes scanned: each position costs a few comparisons in a scan window; the
     * crc32c and entries check run only for positions whose header is plausible (length within the
     * file, at least 2 bytes per event, the first entry an array), which random bytes rarely are.
     * A false resync (a frame-shaped pattern inside the corrupt region) must also match its
     * crc32c (odds 2^-32) and parse as exactly its entries.
     */
    public long resync(long from) throws IOException {
        ByteBuffer scan = ByteBuffer.allocate(SCAN_BYTES).order(ByteOrder.BIG_ENDIAN);
        int minBytes = headerBytes + 2;
        long windowStart = from;
        while (fileBytes - windowStart >= minBytes) {
            int n = (int) Math.min(SCAN_BYTES, fileBytes - windowStart);
            scan.clear().limit(n);
            long p = windowStart;
            while (scan.hasRemaining()) {
                int read = channel.read(scan, p);
                if (read < 0) {
                    throw new IOException("unexpected end of file at position " + p);
                }
                p += read;
            }
            int last = n - minBytes;
            for (int i = 0; i <= last; i++) {
                long position = windowStart + i;
                if (isPlausibleHeader(scan, i, position) && check(position) instanceof FrameCheck.Valid valid) {
                    if (hasValidEntries(position, valid)) {
                        return position;
                    }
                }
            }
            windowStart += last + 1;
        }
        return -1;
    }

    private boolean isPlausibleHeader(ByteBuffer scan, int i, long position) {
        long length = Integer.toUnsignedLong(scan.getInt(i));
        long eventCount = Integer.toUnsignedLong(scan.getInt(i + 8));
        int tagLength = Short.toUnsignedInt(scan.getShort(i + 12));
        long entriesBytes = length - headerRest - tagLength;
        if (entriesBytes < 2
                || eventCount == 0
                || eventCount * 2 > entriesBytes
                || position + ChunkFileFormat.FRAME_PREFIX_BYTES + length > fileBytes) {
            return false;
        }
        int first = i + headerBytes + tagLength;
        if (first >= scan.limit()) {
            return true; // beyond the window: the crc32c and entries check decide
        }
        int b = scan.get(first) & 0xFF;
        return (b & 0xF0) == 0x90 || b == 0xDC || b == 0xDD;
    }

    private boolean hasValidEntries(long position, FrameCheck.Valid valid) throws IOException {
        ByteBuffer header = read(position, headerBytes);
        int tagLength = Short.toUnsignedInt(header.getShort(12));
        long from = position + headerBytes + tagLength;
        long end = position + valid.frameBytes();
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(new RegionInput(from, end))) {
            for (int i = 0; i < valid.eventCount(); i++) {
                if (!u.hasNext() || u.getNextFormat().getValueType() != ValueType.ARRAY) {
                    return false;
                }
                u.skipValue();
            }
            return u.getTotalReadBytes() == end - from;
        } catch (MessagePackException e) {
            return false;
        }
    }

    /** The bytes {@code [from, end)} of the file, read with positional reads. */
    private final class RegionInput extends InputStream {
        private long position;
        private final long end;

        RegionInput(long from, long end) {
            this.position = from;
            this.end = end;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (position >= end) {
                return -1;
            }
            int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - position)), position);
            if (n > 0) {
                position += n;
            }
            return n;
        }
    }

    private boolean isZeroFrom(long position) throws IOException {
        long from = position;
        while (from < fileBytes) {
            int n = (int) Math.min(BUFFER_BYTES, fileBytes - from);
            ByteBuffer piece = read(from, n);
            while (piece.hasRemaining()) {
                if (piece.get() != 0) {
                    return false;
                }
            }
            from += n;
        }
        return true;
    }

    private ByteBuffer read(long position, int bytes) throws IOException {
        buffer.clear().limit(bytes);
        long p = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, p);
            if (n < 0) {
                throw new IOException("unexpected end of file at position " + p);
            }
            p += n;
        }
        return buffer.flip();
    }
}
