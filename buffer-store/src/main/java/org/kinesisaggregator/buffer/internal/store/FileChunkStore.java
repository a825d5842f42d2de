package org.kinesisaggregator.buffer.internal.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.kinesisaggregator.buffer.BufferException;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.file.ChunkFileFormat;
import org.kinesisaggregator.buffer.file.ChunkFormatException;
import org.kinesisaggregator.buffer.file.ChunkRecovery;
import org.kinesisaggregator.buffer.internal.BufferMetrics;
import org.kinesisaggregator.buffer.ledger.ChunkRecord;
import org.kinesisaggregator.buffer.ledger.ChunkState;
import org.kinesisaggregator.buffer.ledger.Ledger;
import org.kinesisaggregator.buffer.ledger.MapDbLedger;
import org.kinesisaggregator.buffer.ledger.Progress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store of {@code @type file}: the buffer directory {@code <path>} holds {@code buffer.lock},
 * {@code ledger.db*}, {@code <id>.chunk}, {@code <id>.chunk.private} (streamed appends in progress)
 * and {@code failed/}. See the package documentation for the layout and the recovery rules.
 *
 * <p>{@link #open} runs on the starting thread; then {@link #create} and {@link #syncDirectory}
 * are writer-thread only; the failed-chunk methods are thread-safe.
 */
public final class FileChunkStore implements ChunkStore {
    private static final Logger log = LoggerFactory.getLogger(FileChunkStore.class);
    static final String LOCK_FILE = "buffer.lock";

    private final Path dir;
    private final Clock clock;
    private final FailedChunks failed;
    private final ChunkChannels channels;
    private final WriteBuffers writeBuffers = new WriteBuffers();
    private FileChannel lockChannel;
    private FileLock lock;
    private MapDbLedger ledger;

    public FileChunkStore(Path dir, Clock clock) {
        this(dir, clock, ChunkChannels.DEFAULT);
    }

    /** With {@code channels} opening the chunk files' write channels (tests inject failing ones). */
    public FileChunkStore(Path dir, Clock clock, ChunkChannels channels) {
        this.dir = dir.toAbsolutePath();
        this.clock = clock;
        this.failed = new FailedChunks(this.dir.resolve("failed"));
        this.channels = channels;
    }

    @Override
    public String type() {
        return "file";
    }

    @Override
    public Ledger ledger() {
        return ledger;
    }

    @Override
    public List<Recovered> open(BufferMetrics metrics, ChunkRecovery.FrameKeys keys) throws IOException {
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (FileSystemException e) {
            throw new BufferException(
                    "buffer path " + dir + " is not writable (" + e.getMessage()
                            + "); give the user running kinesis-aggregator write access to it, or set <buffer> path elsewhere",
                    e);
        }
        if (!Files.isWritable(dir)) {
            closeLock();
            throw new BufferException(
                    "buffer path " + dir + " is not writable; give the user running kinesis-aggregator "
                            + "write access to it, or set <buffer> path elsewhere");
        }
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            closeLock();
            throw new BufferException(
                    "buffer dir " + dir + " locked by another process (or another buffer in this one); "
                            + "stop it, or give each output its own <buffer> path");
        }
        try {
            return recover(metrics, keys);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private List<Recovered> recover(BufferMetrics metrics, ChunkRecovery.FrameKeys keys) throws IOException {
        long now = clock.millis();
        ledger = MapDbLedger.open(dir, now);
        int generation = ledger.generation();
        Map<Long, ChunkRecord> records = ledger.chunks();
        List<Path> chunkFiles = new ArrayList<>();
        List<Path> privateFiles = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (ChunkFileFormat.idOf(name, ChunkFileFormat.CHUNK_SUFFIX) >= 0) {
                    chunkFiles.add(f);
                } else if (ChunkFileFormat.idOf(name, ChunkFileFormat.PRIVATE_SUFFIX) >= 0) {
                    privateFiles.add(f);
                } else if (ChunkFileFormat.idOf(name, ChunkFileFormat.CHUNK_SUFFIX + ChunkRecovery.RESYNC_SUFFIX)
                        >= 0) {
                    // a crash while recovery cut a corrupt region out: the chunk file itself is untouched
                    Files.delete(f);
                    log.info("Buffer {}: deleted {}, an unfinished copy of a repaired chunk file", dir, name);
                }
            }
        }
        // A private file is published when the ledger already lists it (its commit reached the ledger),
        // and every one when the ledger was unreadable: a commit it held may have been acked.
        for (Path f : privateFiles) {
            long id = ChunkFileFormat.idOf(f.getFileName().toString(), ChunkFileFormat.PRIVATE_SUFFIX);
            ChunkRecord r = records.get(id);
            if (r != null && r.state() == ChunkState.QUEUED || ledger.wasRecreated()) {
                Path target = dir.resolve(ChunkFileFormat.fileName(id));
                Files.move(f, target, StandardCopyOption.ATOMIC_MOVE);
                chunkFiles.add(target);
                log.info("Buffer {}: finished publishing streamed append chunk {}", dir, target.getFileName());
            } else {
                Files.delete(f);
                log.info(
                        "Buffer {}: deleted {}, a streamed append that was never committed (never acked)",
                        dir,
                        f.getFileName());
            }
        }
        if (ledger.wasRecreated() && !chunkFiles.isEmpty()) {
            log.warn(
                    "Buffer {}: {}; rebuilding it from {} chunk files: all queued, delivery progress zero "
                            + "(events delivered before may be delivered again; nothing is lost)",
                    dir,
                    ledger.problem(),
                    chunkFiles.size());
        }
        chunkFiles.sort(Comparator.comparing(p -> p.getFileName().toString()));
        TreeMap<Long, Recovered> out = new TreeMap<>();
        Map<Long, ChunkRecord> unseen = new HashMap<>(records);
        for (Path f : chunkFiles) {
            long id = ChunkFileFormat.idOf(f.getFileName().toString(), ChunkFileFormat.CHUNK_SUFFIX);
            ChunkRecord record = unseen.remove(id);
            if (record != null && record.state() == ChunkState.DELIVERED) {
                Files.deleteIfExists(f);
                ledger.remove(id);
                log.info("Buffer {}: finished purging delivered chunk {}", dir, f.getFileName());
                continue;
            }
            ChunkRecovery.RecoveryResult result;
            long size = Files.size(f);
            try {
                result = ChunkRecovery.recover(f, true, keys);
            } catch (ChunkFormatException e) {
                if (size < ChunkFileFormat.HEADER_BYTES) {
                    // Created but its header never reached the disk: no frame, so no event, can be in it.
                    Files.delete(f);
                    ledger.remove(id);
                    log.warn(
                            "Buffer {}: chunk file {} has {} bytes, less than a header (a crash right after it was created): "
                                    + "it holds no events; deleted",
                            dir,
                            f.getFileName(),
                            size);
                } else {
                    String where =
                            failed.moveWhole(FileStoredChunk.unreadable(f, id, size), "recovery", e.getMessage());
                    ledger.remove(id);
                    log.error(
                            "Buffer {}: chunk file {} has an unreadable header ({}); moved to {} for inspection",
                            dir,
                            f.getFileName(),
                            e.getMessage(),
                            where);
                }
                continue;
            }
            if (result.truncatedBytes() > 0) {
                metrics.recoveryTruncatedBytes.increment(result.truncatedBytes());
            }
            if (result.skippedBytes() > 0) {
                metrics.recoverySkippedBytes.increment(result.skippedBytes());
            }
            if (result.header().chunkId() != id) {
                log.warn(
                        "Buffer {}: chunk file {} says its id is {}; using the file name",
                        dir,
                        f.getFileName(),
                        ChunkFileFormat.idToString(result.header().chunkId()));
            }
            if (result.eventCount() == 0) {
                Files.delete(f);
                ledger.remove(id);
                log.info("Buffer {}: chunk file {} holds no events; deleted", dir, f.getFileName());
                continue;
            }
            if (result.eventCount() > Integer.MAX_VALUE) {
                throw new IOException(f + ": " + result.eventCount() + " events (expected: < 2^31)");
            }
            int events = (int) result.eventCount();
            ChunkRecord r;
            if (record == null) {
                if (!ledger.wasRecreated()) {
                    log.warn(
                            "Buffer {}: chunk file {} is not in the ledger (a crash before its first commit); queued, "
                                    + "delivery progress zero",
                            dir,
                            f.getFileName());
                }
                r = new ChunkRecord(
                        id,
                        ChunkState.QUEUED,
                        result.header().createdAtEpochMillis(),
                        result.dataBytes(),
                        events,
                        0,
                        0,
                        0,
                        Progress.NONE);
            } else {
                if (record.eventCount() > events && record.state() == ChunkState.QUEUED) {
                    log.warn(
                            "Buffer {}: chunk file {} holds {} events, the ledger said {}",
                            dir,
                            f.getFileName(),
                            events,
                            record.eventCount());
                }
                Progress progress = record.progress();
                if (result.skippedBytes() > 0 && !progress.equals(Progress.NONE)) {
                    // the events after a skipped region moved down: the recorded indices no longer match
                    log.warn(
                            "Buffer {}: chunk file {} had {} corrupt bytes cut out; its delivery progress is reset "
                                    + "(events delivered before may be delivered again; nothing is lost)",
                            dir,
                            f.getFileName(),
                            result.skippedBytes());
                    progress = Progress.NONE;
                }
                r = new ChunkRecord(
                        id,
                        ChunkState.QUEUED,
                        result.header().createdAtEpochMillis(),
                        result.dataBytes(),
                        events,
                        record.retryCount(),
                        record.nextAttemptEpochMillis(),
                        record.firstFailureEpochMillis(),
                        progress);
            }
            ledger.put(r);
            out.put(
                    id,
                    new Recovered(
                            FileStoredChunk.sealed(
                                    f, id, r.createdAtEpochMillis(), r.sizeBytes(), events, result.header()),
                            r));
        }
        for (ChunkRecord r : unseen.values()) {
            ledger.remove(r.chunkId());
            if (r.state() != ChunkState.DELIVERED) {
                log.warn(
                        "Buffer {}: the ledger lists chunk {} ({} events) but its file is missing (set aside to failed/ "
                                + "just before a crash, or removed by hand)",
                        dir,
                        ChunkFileFormat.fileName(r.chunkId()),
                        r.eventCount());
            }
        }
        if (ledger.generation() != generation) {
            // the ledger was found corrupt during recovery and replaced by an empty one: list them again
            for (Recovered r : out.values()) {
                ledger.put(r.record());
            }
        }
        ledger.commit();
        if (!out.isEmpty()) {
            log.info("Buffer {}: recovered {} chunks", dir, out.size());
        }
        return new ArrayList<>(out.values());
    }

    @Override
    public StoredChunk create(long id, long createdAtEpochMillis, ChunkMetadata metadata, boolean isPrivate)
            throws IOException {
        return FileStoredChunk.create(dir, id, createdAtEpochMillis, metadata, isPrivate, channels, writeBuffers);
    }

    @Override
    public void syncDirectory() throws IOException {
        fsyncDirectory(dir);
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    @Override
    public boolean hasFailedDir() {
        return true;
    }

    @Override
    public String moveToFailed(StoredChunk chunk, String outputId, String reason) throws IOException {
        return failed.moveWhole((FileStoredChunk) chunk, outputId, reason);
    }

    @Override
    public String writeToFailed(Chunk view, String outputId, String reason, Map<Integer, String> reasons)
            throws IOException {
        return failed.write(view, outputId, reason, reasons);
    }

    @Override
    public void close() {
        if (ledger != null) {
            try {
                ledger.commit();
            } catch (RuntimeException e) {
                log.warn("Buffer {}: final ledger commit failed: {}", dir, e.toString());
            }
            try {
                ledger.close();
            } catch (RuntimeException e) {
                log.warn("Buffer {}: closing the ledger failed: {}", dir, e.toString());
            }
            ledger = null;
        }
        closeLock();
    }

    /** Closes without the final ledger commit (tests: a crash). */
    public void abort() {
        if (ledger != null) {
            try {
                ledger.close();
            } catch (RuntimeException e) {
                log.debug("Buffer {}: abort: {}", dir, e.toString());
            }
            ledger = null;
        }
        closeLock();
    }

    private void closeLock() {
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException e) {
            log.warn("Buffer {}: releasing the lock failed: {}", dir, e.toString());
        }
        lock = null;
        lockChannel = null;
    }
}
