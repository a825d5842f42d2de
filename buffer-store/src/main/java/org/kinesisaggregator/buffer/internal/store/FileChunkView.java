package org.kinesisaggregator.buffer.internal.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.EventEntries;
import org.kinesisaggregator.buffer.Frame;
import org.kinesisaggregator.buffer.file.ChunkFileFormat;
import org.kinesisaggregator.buffer.ledger.Progress;

/**
 * A sealed chunk file as an output sees it. Each cursor maps the file read-only in windows of at
 * most {@link #WINDOW_BYTES} and walks its frames lazily, so reading a chunk of any size takes a
 * bounded amount of heap (the page cache does the rest). Thread-safe: cursors are independent.
 */
final class FileChunkView implements Chunk {
    static final long WINDOW_BYTES = 1L << 30;

    private final Path path;
    private final long id;
    private final long createdAtEpochMillis;
    private final long dataBytes;
    private final int eventCount;
    private final int retryCount;
    private final Progress progress;
    /** Bytes of a frame header before the tag, by the file's format version. */
    private final int frameHeaderBytes;

    private final ChunkMetadata metadata;
    /** Where the first frame starts in the file. */
    private final int dataOffset;

    FileChunkView(
            Path path,
            long id,
            long createdAtEpochMillis,
            long dataBytes,
            int eventCount,
            int retryCount,
            Progress progress,
            short formatVersion,
            ChunkMetadata metadata,
            int dataOffset) {
        this.path = path;
        this.metadata = metadata;
        this.dataOffset = dataOffset;
        this.frameHeaderBytes = ChunkFileFormat.frameHeaderBytes(formatVersion);
        this.id = id;
        this.createdAtEpochMillis = createdAtEpochMillis;
        this.dataBytes = dataBytes;
        this.eventCount = eventCount;
        this.retryCount = retryCount;
        this.progress = progress;
    }

    @Override
    public String id() {
        return ChunkFileFormat.idToString(id);
    }

    @Override
    public ChunkMetadata metadata() {
        return metadata;
    }

    @Override
    public int eventCount() {
        return eventCount;
    }

    @Override
    public long sizeBytes() {
        return dataBytes;
    }

    @Override
    public Instant createdAt() {
        return Instant.ofEpochMilli(createdAtEpochMillis);
    }

    @Override
    public int retryCount() {
        return retryCount;
    }

    @Override
    public boolean isDone(int index) {
        return progress.isDone(index);
    }

    @Override
    public EventCursor events() throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        FrameIterator frames = new FrameIterator(channel);
        EventCursor cursor = EventEntries.cursor(frames, progress::isDone);
        return new EventCursor() {
            @Override
            public boolean next() throws IOException {
                try {
                    return cursor.next();
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
            }

            @Override
            public int index() {
                return cursor.index();
            }

            @Override
            public String tag() {
                return cursor.tag();
            }

            @Override
            public long epochSecond() {
                return cursor.epochSecond();
            }

            @Override
            public int nanos() {
                return cursor.nanos();
            }

            @Override
            public ByteBuffer record() {
                return cursor.record();
            }

            @Override
            public ByteBuffer entry() {
                return cursor.entry();
            }

            @Override
            public void close() {
                cursor.close();
                frames.close();
            }
        };
    }

    @Override
    public String toString() {
        return "FileChunk[" + path + ", events=" + eventCount + ", bytes=" + dataBytes + "]";
    }

    /** Frames of the file, read from read-only mappings. Not thread-safe. */
    private final class FrameIterator implements Iterator<Frame> {
        private final FileChannel channel;
        private ByteBuffer window;
        private long windowStart;
        private long position = dataOffset;
        private final long end = dataOffset + dataBytes;
        private int nextIndex;
        private byte[] lastTagBytes = new byte[0];
        private String lastTag = "";

        FrameIterator(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public boolean hasNext() {
            if (position >= end) {
                close();
                return false;
            }
            return true;
        }

        @Override
        public Frame next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            try {
                ByteBuffer header = slice(position, frameHeaderBytes).order(ByteOrder.BIG_ENDIAN);
                long length = Integer.toUnsignedLong(header.getInt(0));
                int events = header.getInt(8);
                int tagLength = Short.toUnsignedInt(header.getShort(12));
                long frameBytes = ChunkFileFormat.FRAME_PREFIX_BYTES + length;
                if (position + frameBytes > end
                        || length < frameHeaderBytes - ChunkFileFormat.FRAME_PREFIX_BYTES + tagLength) {
                    throw new IOException(path + ": frame at position " + position + " of " + frameBytes
                            + " bytes exceeds the chunk's " + end
                            + " bytes; the chunk file changed after it was sealed");
                }
                ByteBuffer frame = slice(position, frameBytes);
                String tag = tag(frame, tagLength);
                frame.position(frameHeaderBytes + tagLength);
                Frame f = new Frame(tag, frame.slice().asReadOnlyBuffer(), events, nextIndex);
                nextIndex += events;
                position += frameBytes;
                return f;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private String tag(ByteBuffer frame, int tagLength) {
            ByteBuffer t = frame.duplicate();
            t.limit(frameHeaderBytes + tagLength).position(frameHeaderBytes);
            if (t.remaining() == lastTagBytes.length && t.equals(ByteBuffer.wrap(lastTagBytes))) {
                return lastTag;
            }
            lastTagBytes = new byte[tagLength];
            t.duplicate().get(lastTagBytes);
            lastTag = StandardCharsets.UTF_8.decode(t).toString();
            return lastTag;
        }

        private ByteBuffer slice(long from, long bytes) throws IOException {
            if (window == null || from < windowStart || from + bytes > windowStart + window.capacity()) {
                long length = Math.max(bytes, Math.min(WINDOW_BYTES, end - from));
                if (length > Integer.MAX_VALUE) {
                    throw new IOException(
                            path + ": frame at position " + from + " is " + bytes + " bytes (expected: < 2 GiB)");
                }
                window = channel.map(FileChannel.MapMode.READ_ONLY, from, length);
                windowStart = from;
            }
            ByteBuffer s = window.duplicate();
            s.position((int) (from - windowStart)).limit((int) (from - windowStart + bytes));
            return s.slice();
        }

        void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // read-only channel: nothing to lose
            }
        }
    }
}
