package org.kinesisaggregator.buffer.internal.store;

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
 * append not yet published): the header, then one frame per append. A frame of at most
 * {@link WriteBuffers#SIZE} bytes is gathered in a write buffer with the round's other small frames
 * of this chunk and written with them by one positional write in {@link #writePending} (the group
 * commit calls it for every dirty chunk before the fsync and before any ack, whatever
 * {@code ack_durability}); a bigger frame is written at once. Writer thread until sealed (see
 * {@link StoredChunk}).
 *
 * <p>Invariant: the file holds the first {@code dataOffset + fileBytes} bytes; the write buffer
 * {@code pending} holds data bytes {@code [fileBytes, dataBytes)}.
 *
 * <p>Invariant: the file's first {@code dataOffset + syncedBytes} bytes are what the last
 * successful fsync made durable. An fsync that fails, or a file found shorter than the writer
 * wrote (a cheap fstat after each fsync, and before the first append after one), never counts as
 * a sync: the file system may have dropped the pages not yet written back and report success
 * next time (Linux after a failed writeback), so the caller cuts the chunk back to
 * {@code syncedBytes} ({@link #cutToSynced}) and seals it instead of appending past a hole.
 */
public final class FileStoredChunk extends StoredChunk {
    private final Path dir;
    /** The file's format version (its frame layout): the current one, or older for a recovered file. */
    private final short formatVersion;
    /** Where the frames start: after the header (and, from format version 3, the metadata). */
    private final int dataOffset;

    private final WriteBuffers buffers;

    private Path path;
    private FileChannel channel;
    private boolean dirty;
    /** Data bytes written to the file; the rest, up to {@code dataBytes}, is in {@code pending}. */
    private long fileBytes;
    /** Events in the file's {@code fileBytes}. */
    private int fileEvents;
    /** The round's small frames not yet written (position = bytes held), or null. */
    private ByteBuffer pending;
    /**
     * Set when the gathered frames could not be written within the round (before a big frame, or
     * because the write buffer was full): the round's earlier appends are lost, so later appends of
     * the round are refused at once and the next {@link #writePending} (the group commit) cuts the
     * chunk back to {@code goodBytes} and throws this, refusing the round.
     */
    private IOException lostRound;

    private long goodBytes;
    private int goodEvents;
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
            int dataOffset,
            WriteBuffers buffers) {
        super(id, createdAtEpochMillis, metadata, dataBytes, eventCount);
        this.dir = dir;
        this.dataOffset = dataOffset;
        this.buffers = buffers;
        this.fileBytes = dataBytes;
        this.fileEvents = eventCount;
        this.formatVersion = formatVersion;
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
            ChunkChannels channels,
            WriteBuffers buffers)
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
                dataOffset,
                buffers);
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
                header.dataOffset(),
                null);
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
                ChunkFileFormat.HEADER_BYTES,
                null);
    }

    public Path path() {
        return path;
    }

    @Override
    public void append(ByteBuffer frameHeader, ByteBuffer entries, int events) throws IOException {
        long position = dataOffset + dataBytes;
        ByteBuffer header = frameHeader.duplicate();
        ByteBuffer data = entries.duplicate();
        long total = header.remaining() + data.remaining();
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
        if (lostRound != null) {
            // a write of this round failed: the round is refused at the commit, so is this append
            throw new IOException(path + ": a write of this round failed (" + lostRound.getMessage() + ")", lostRound);
        }
        if (total <= WriteBuffers.SIZE) {
            if (pending != null && pending.remaining() < total) {
                writeGatheredInRound();
            }
            if (pending == null && buffers != null) {
                pending = buffers.take();
            }
            if (pending != null) {
                pending.put(header).put(data);
                dirty = true;
                dataBytes += total;
                eventCount += events;
                return;
            }
        }
        if (pending != null) {
            writeGatheredInRound();
        }
        try {
            long at = position;
            while (header.hasRemaining()) {
                at += channel.write(header, at);
            }
            while (data.hasRemaining()) {
                at += channel.write(data, at);
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
        fileBytes = dataBytes;
        fileEvents = eventCount;
    }

    /**
     * Writes the gathered frames (one positional write) and gives the write buffer back. On a
     * failure (e.g. the disk is full) the gathered frames are dropped: the chunk is cut back to
     * what the file held before (counters first, then the file) and the exception is rethrown; the
     * caller refuses the round's appends.
     */
    @Override
    public void writePending() throws IOException {
        if (lostRound != null) {
            IOException e = lostRound;
            lostRound = null;
            dropPending();
            cutTo(goodBytes, goodEvents, e);
            throw e;
        }
        if (pending == null) {
            return;
        }
        long bytesBefore = fileBytes;
        int eventsBefore = fileEvents;
        try {
            writeGathered();
        } catch (IOException e) {
            cutTo(bytesBefore, eventsBefore, e);
            throw e;
        }
    }

    /**
     * Writes the gathered frames before more of the round's appends: a failure refuses the whole
     * round (the frames gathered before belong to appends whose futures wait for the commit), so it
     * is kept in {@code lostRound} and {@link #writePending} cuts the chunk back at the commit.
     */
    private void writeGatheredInRound() throws IOException {
        long bytesBefore = fileBytes;
        int eventsBefore = fileEvents;
        try {
            writeGathered();
        } catch (IOException e) {
            lostRound = e;
            goodBytes = bytesBefore;
            goodEvents = eventsBefore;
            throw e;
        }
    }

    /** Writes the gathered frames at their place and gives the buffer back (also on failure). */
    private void writeGathered() throws IOException {
        ByteBuffer b = pending;
        pending = null;
        try {
            b.flip();
            long at = dataOffset + fileBytes;
            while (b.hasRemaining()) {
                at += channel.write(b, at);
            }
            fileBytes = dataBytes;
            fileEvents = eventCount;
        } finally {
            buffers.give(b);
        }
    }

    /** After a failed write: the chunk is what the file held before the round's writes (counters, then the file). */
    private void cutTo(long bytes, int events, IOException failure) {
        dataBytes = bytes;
        eventCount = events;
        fileBytes = bytes;
        fileEvents = events;
        try {
            channel.truncate(dataOffset + bytes);
        } catch (IOException cut) {
            failure.addSuppressed(cut);
        }
    }

    /** Drops the gathered frames (the chunk is cut back, or goes away). */
    private void dropPending() {
        if (pending != null) {
            buffers.give(pending);
            pending = null;
        }
    }

    @Override
    public void truncateTo(long bytes, int events) throws IOException {
        if (channel == null) {
            throw new IOException(path + ": sealed, cannot truncate");
        }
        if (lostRound != null) {
            // the round is refused at the commit (writePending cuts the chunk back): only the counters
            dropPending();
        } else if (pending != null && bytes >= fileBytes) {
            // the frames cut are still in the write buffer
            pending.position(Math.toIntExact(bytes - fileBytes));
        } else {
            dropPending();
            channel.truncate(dataOffset + bytes);
            fileBytes = bytes;
            fileEvents = events;
        }
        dataBytes = bytes;
        eventCount = events;
        dirty = true;
    }

    @Override
    public void sync() throws IOException {
        if (dirty && channel != null) {
            writePending();
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
    public long unsyncedBytes() {
        return dataBytes - syncedBytes;
    }

    @Override
    public int unsyncedEvents() {
        return eventCount - syncedEvents;
    }

    @Override
    public boolean hasLostTail() {
        return tailLost;
    }

    @Override
    public void revalidate() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
        dropPending();
        ChunkRecovery.RecoveryResult r = ChunkRecovery.recover(path, true);
        dataBytes = r.dataBytes();
        fileBytes = dataBytes;
        fileEvents = Math.toIntExact(r.eventCount());
        eventCount = Math.toIntExact(r.eventCount());
        syncedBytes = dataBytes;
        syncedEvents = eventCount;
        dirty = false;
    }

    @Override
    public void cutToSynced() throws IOException {
        // in memory first: views and the ledger record never reach past the synced length, even if
        // the truncate below fails
        dropPending();
        dataBytes = syncedBytes;
        fileBytes = syncedBytes;
        fileEvents = syncedEvents;
        eventCount = syncedEvents;
        dirty = true;
        if (channel != null && !tailLost) {
            channel.truncate(dataOffset + syncedBytes);
        }
    }

    @Override
    public boolean isDirty() {
        return dirty && channel != null;
    }

    @Override
    public void seal() throws IOException {
        if (channel != null) {
            sync();
            channel.close();
            channel = null;
        }
    }

    @Override
    public void publish() throws IOException {
        seal();
        Path target = dir.resolve(ChunkFileFormat.fileName(id));
        if (!path.equals(target)) {
            Files.move(path, target, StandardCopyOption.ATOMIC_MOVE);
            path = target;
        }
    }

    @Override
    public Chunk view(Progress progress, int retryCount) {
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
    public boolean isPrivate() {
        return path.getFileName().toString().endsWith(ChunkFileFormat.PRIVATE_SUFFIX);
    }

    @Override
    public void delete() throws IOException {
        dropPending();
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
    public String describe() {
        return path.toString();
    }
}
