package org.kinesisaggregator.buffer.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.file.ChunkFileFormat;
import org.kinesisaggregator.buffer.ledger.Progress;

/**
 * A chunk file {@code <path>/<16 hex id>.chunk} (or {@code .chunk.private} for a streamed
 * append not yet published): the header, then one frame per append, each written by one gathering
 * write at the end of the file. Writer thread until sealed (see {@link StoredChunk}).
 */
final class FileStoredChunk extends StoredChunk {
    private final Path dir;
    private Path path;
    private FileChannel channel;
    private boolean dirty;

    private FileStoredChunk(
            Path dir,
            Path path,
            long id,
            long createdAtEpochMillis,
            long dataBytes,
            int eventCount,
            FileChannel channel) {
        super(id, createdAtEpochMillis, dataBytes, eventCount);
        this.dir = dir;
        this.path = path;
        this.channel = channel;
    }

    /** Creates a new chunk file (header written, not yet synced). */
    static FileStoredChunk create(Path dir, long id, long createdAtEpochMillis, boolean isPrivate) throws IOException {
        Path path = dir.resolve(isPrivate ? ChunkFileFormat.privateFileName(id) : ChunkFileFormat.fileName(id));
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            ByteBuffer header = ChunkFileFormat.encodeHeader(id, createdAtEpochMillis);
            while (header.hasRemaining()) {
                channel.write(header);
            }
        } catch (IOException e) {
            try {
                channel.close();
                Files.deleteIfExists(path);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        FileStoredChunk chunk = new FileStoredChunk(dir, path, id, createdAtEpochMillis, 0, 0, channel);
        chunk.dirty = true;
        return chunk;
    }

    /** A recovered, sealed chunk file. */
    static FileStoredChunk sealed(Path path, long id, long createdAtEpochMillis, long dataBytes, int eventCount) {
        return new FileStoredChunk(path.getParent(), path, id, createdAtEpochMillis, dataBytes, eventCount, null);
    }

    Path path() {
        return path;
    }

    @Override
    void append(ByteBuffer frameHeader, ByteBuffer entries, int events) throws IOException {
        long position = ChunkFileFormat.HEADER_BYTES + dataBytes;
        ByteBuffer[] buffers = {frameHeader.duplicate(), entries.duplicate()};
        long total = buffers[0].remaining() + buffers[1].remaining();
        try {
            channel.position(position);
            long written = 0;
            while (written < total) {
                written += channel.write(buffers);
            }
        } catch (IOException e) {
            dirty = true;
            try {
                channel.truncate(position);
            } catch (IOException cut) {
                e.addSuppressed(cut);
            }
            throw e;
        }
        dirty = true;
        dataBytes += total;
        eventCount += events;
    }

    @Override
    void truncateTo(long bytes, int events) throws IOException {
        if (channel == null) {
            throw new IOException(path + ": sealed, cannot truncate");
        }
        channel.truncate(ChunkFileFormat.HEADER_BYTES + bytes);
        dataBytes = bytes;
        eventCount = events;
        dirty = true;
    }

    @Override
    void sync() throws IOException {
        if (dirty && channel != null) {
            channel.force(false);
            dirty = false;
        }
    }

    @Override
    boolean isDirty() {
        return dirty && channel != null;
    }

    @Override
    void seal() throws IOException {
        if (channel != null) {
            sync();
            channel.close();
            channel = null;
        }
    }

    @Override
    void publish() throws IOException {
        seal();
        Path target = dir.resolve(ChunkFileFormat.fileName(id));
        if (!path.equals(target)) {
            Files.move(path, target, StandardCopyOption.ATOMIC_MOVE);
            path = target;
        }
    }

    @Override
    Chunk view(Progress progress, int retryCount) {
        return new FileChunkView(path, id, createdAtEpochMillis, dataBytes, eventCount, retryCount, progress);
    }

    @Override
    void delete() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
        Files.deleteIfExists(path);
    }

    /** Moves the file to {@code target} (failed/); this object then describes the moved file. */
    void moveTo(Path target) throws IOException {
        seal();
        Files.move(path, target, StandardCopyOption.ATOMIC_MOVE);
        path = target;
    }

    @Override
    String describe() {
        return path.toString();
    }
}
