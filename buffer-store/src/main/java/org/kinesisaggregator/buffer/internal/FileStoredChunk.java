package org.kinesisaggregator.buffer.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.file.ChunkFileFormat;
import org.kinesisaggregator.buffer.file.ChunkRecovery;
import org.kinesisaggregator.buffer.ledger.Progress;

/**
 * A chunk file {@code <path>/<16 hex id>.chunk} (or {@code .chunk.private} for a streamed
 * append not yet published): the header, then one frame per append, each written by one gathering
 * write at the end of the file. Writer thread until sealed (see {@link StoredChunk}).
 *
 * <p>Invariant: the file's first {@code HEADER_BYTES + syncedBytes} bytes are what the last
 * successful fsync made durable. An fsync that fails, or a file found shorter than the writer
 * wrote (a cheap fstat after each fsync, and before the first append after one), never counts as
 * a sync: the file system may have dropped the pages not yet written back and report success
 * next time (Linux after a failed writeback), so the caller cuts the chunk back to
 * {@code syncedBytes} ({@link #cutToSynced}) and seals it instead of appending past a hole.
 */
final class FileStoredChunk extends StoredChunk {
    private final Path dir;
    /** The file's format version (its frame layout): the current one, or older for a recovered file. */
    private final short formatVersion;
    /** Where the frames start: after the header (and, from format version 3, the metadata). */
    private final int dataOffset;

    private Path path;
    private FileChannel channel;
    private boolean dirty;
    /** Data bytes and events made durable by the last successful {@link #sync}. */
    private long syncedBytes;

    private int syncedEvents;
    /** The file was found shorter than what was synced: it takes no more appends. */
    private boolean tailLost;

    private FileStoredChunk(
            Path dir,
            Path path,
            long id,
            long createdAtEpochMillis,
            long dataBytes,
            int eventCount,
            FileChannel channel,
            short formatVersion,
            ChunkMetadata metadata,
            int dataOffset) {
        super(id, createdAtEpochMillis, metadata, dataBytes, eventCount);
        this.dir = dir;
        this.formatVersion = formatVersion;
        this.dataOffset = dataOffset;
        this.path = path;
        this.channel = channel;
        this.syncedBytes = dataBytes;
        this.syncedEvents = eventCount;
    }

    /** Creates a new chunk file (header written, not yet synced). */
    static FileStoredChunk create(
            Path dir,
            long id,
            long createdAtEpochMillis,
            ChunkMetadata metadata,
            boolean isPrivate,
            ChunkChannels channels)
            throws IOException {
        Path path = dir.resolve(isPrivate ? ChunkFileFormat.privateFileName(id) : ChunkFileFormat.fileName(id));
        ByteBuffer header = ChunkFileFormat.encodeHeader(id, createdAtEpochMillis, metadata);
        int dataOffset = header.remaining();
        FileChannel channel = channels.openNew(path);
        try {
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
        FileStoredChunk chunk = new FileStoredChunk(
                dir,
                path,
                id,
                createdAtEpochMillis,
                0,
                0,
                channel,
                ChunkFileFormat.FORMAT_VERSION,
                metadata,
                dataOffset);
        chunk.dirty = true;
        return chunk;
    }

    /** A recovered, sealed chunk file with this header. */
    static FileStoredChunk sealed(
            Path path,
            long id,
            long createdAtEpochMillis,
            long dataBytes,
            int eventCount,
            ChunkFileFormat.Header header) {
        return new FileStoredChunk(
                path.getParent(),
                path,
                id,
                createdAtEpochMillis,
                dataBytes,
                eventCount,
                null,
                header.version(),
                header.metadata(),
                header.dataOffset());
    }

    /** A file whose header could not be read, as a whole (to be moved to failed/). */
    static FileStoredChunk unreadable(Path path, long id, long sizeBytes) {
        return new FileStoredChunk(
                path.getParent(),
                path,
                id,
                0,
                sizeBytes,
                0,
                null,
                ChunkFileFormat.FORMAT_VERSION,
                ChunkMetadata.NONE,
                ChunkFileFormat.HEADER_BYTES);
    }

    Path path() {
        return path;
    }

    @Override
    void append(ByteBuffer frameHeader, ByteBuffer entries, int events) throws IOException {
        long position = dataOffset + dataBytes;
        ByteBuffer[] buffers = {frameHeader.duplicate(), entries.duplicate()};
        long total = buffers[0].remaining() + buffers[1].remaining();
        if (tailLost) {
            throw new IOException(path + ": lost data on the disk earlier; it takes no more appends");
        }
        if (!dirty) {
            // first append since a sync: the file must still be as long as what was synced
            long size = channel.size();
            if (size < position) {
                tailLost = true;
                throw new IOException(path + ": " + size + " bytes on disk, shorter than the " + position
                        + " bytes written and synced; the file system lost data (check the disk)");
            }
        }
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
        channel.truncate(dataOffset + bytes);
        dataBytes = bytes;
        eventCount = events;
        dirty = true;
    }

    @Override
    void sync() throws IOException {
        if (dirty && channel != null) {
            channel.force(false);
            long expected = dataOffset + dataBytes;
            long size = channel.size();
            if (size < expected) {
                throw new IOException(path + ": " + size + " bytes after fsync (expected: " + expected
                        + "); the file system dropped writes that were not yet synced");
            }
            dirty = false;
            syncedBytes = dataBytes;
            syncedEvents = eventCount;
        }
    }

    @Override
    long unsyncedBytes() {
        return dataBytes - syncedBytes;
    }

    @Override
    int unsyncedEvents() {
        return eventCount - syncedEvents;
    }

    @Override
    boolean hasLostTail() {
        return tailLost;
    }

    @Override
    void revalidate() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
        ChunkRecovery.RecoveryResult r = ChunkRecovery.recover(path, true);
        dataBytes = r.dataBytes();
        eventCount = Math.toIntExact(r.eventCount());
        syncedBytes = dataBytes;
        syncedEvents = eventCount;
        dirty = false;
    }

    @Override
    void cutToSynced() throws IOException {
        // in memory first: views and the ledger record never reach past the synced length, even if
        // the truncate below fails
        dataBytes = syncedBytes;
        eventCount = syncedEvents;
        dirty = true;
        if (channel != null && !tailLost) {
            channel.truncate(dataOffset + syncedBytes);
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
        return new FileChunkView(
                path,
                id,
                createdAtEpochMillis,
                dataBytes,
                eventCount,
                retryCount,
                progress,
                formatVersion,
                metadata,
                dataOffset);
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
