package org.kinesisaggregator.buffer.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Verifies the frames of one chunk file, one position at a time, reading through a bounded buffer
 * (a frame of any size is checked with {@link #BUFFER_BYTES} of memory).
 *
 * <p>Not thread-safe; one reader per file, used by recovery on the starting thread.
 */
public final class FrameReader {
    static final int BUFFER_BYTES = 1 << 20;

    private final FileChannel channel;
    private final long fileBytes;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.BIG_ENDIAN);
    private final CRC32C crc = new CRC32C();

    public FrameReader(FileChannel channel, long fileBytes) {
        this.channel = channel;
        this.fileBytes = fileBytes;
    }

    /** Checks the frame that starts at {@code position} (a position in the file, not in the data). */
    public FrameCheck check(long position) throws IOException {
        long available = fileBytes - position;
        if (available < ChunkFileFormat.FRAME_HEADER_BYTES) {
            return new FrameCheck.Truncated(ChunkFileFormat.FRAME_HEADER_BYTES - available);
        }
        ByteBuffer header = read(position, ChunkFileFormat.FRAME_HEADER_BYTES);
        long length = Integer.toUnsignedLong(header.getInt());
        int storedCrc = header.getInt();
        long eventCount = Integer.toUnsignedLong(header.getInt());
        int tagLength = Short.toUnsignedInt(header.getShort());
        if (length < 6 + tagLength + 1 || eventCount == 0 || eventCount > Integer.MAX_VALUE) {
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
                t.position(6).limit(Math.min(6 + tagLength, t.limit()));
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
        return new FrameCheck.Valid((int) eventCount, tag, frameBytes);
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
