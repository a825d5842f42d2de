package org.kinesisaggregator.buffer.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.mapdb.Atomic;
import org.mapdb.DB;
import org.mapdb.DBException;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger of a file buffer: one MapDB file {@code <path>/ledger.db} (plus MapDB's write-ahead
 * log files {@code ledger.db.wal.*}) with transactions on, holding
 *
 * <ul>
 *   <li>{@code chunks}: chunk id (i64) → {@link ChunkRecord#encode()} bytes;
 *   <li>{@code dedup}: dedup key (16 bytes: the 128-bit digest of chunk id, tag and entries, see
 *       the buffer's {@code DedupKey}) → seen-at epoch millis (i64). Older releases stored raw
 *       chunk ids here (same serializers); the buffer drops keys that are not 16 bytes long at start;
 *   <li>{@code format}: {@link #LEDGER_FORMAT_VERSION}.
 * </ul>
 *
 * <p><b>Do not rename the maps or change their key/value serializers</b> without bumping
 * {@link #LEDGER_FORMAT_VERSION}.
 *
 * <p>A ledger that fails to open or to read back completely is moved aside to
 * {@code <path>/ledger.corrupt-<millis>/} (kept for inspection) and a fresh one is created;
 * {@link #wasRecreated()} tells the caller to rebuild it from the chunk files. Only the newest
 * {@link #KEPT_CORRUPT_DIRS} such directories (by the time in their names) are kept: each move
 * aside deletes the older ones, logged at WARN with their names, so that a disk that keeps damaging
 * the ledger cannot fill up with copies of it.
 *
 * <p>Thread-safe: every method synchronizes on the ledger (MapDB has one transaction per store,
 * so commits are serialized anyway).
 */
public final class MapDbLedger implements Ledger {
    private static final Logger log = LoggerFactory.getLogger(MapDbLedger.class);

    public static final int LEDGER_FORMAT_VERSION = 1;
    public static final String FILE_NAME = "ledger.db";
    /** How many moved-aside ledgers ({@code ledger.corrupt-<millis>[-N]/}) are kept, the newest. */
    public static final int KEPT_CORRUPT_DIRS = 3;

    private static final Pattern CORRUPT_DIR = Pattern.compile("ledger\\.corrupt-(\\d+)(?:-(\\d+))?");

    private final Path file;
    private DB db;
    private HTreeMap<Long, byte[]> chunks;
    private HTreeMap<byte[], Long> dedup;
    private final boolean recreated;
    private final String problem;
    /** Set when an operation failed (e.g. disk full): the next operation reopens the ledger first. */
    private boolean broken;

    private int generation;

    private MapDbLedger(
            Path file,
            DB db,
            HTreeMap<Long, byte[]> chunks,
            HTreeMap<byte[], Long> dedup,
            boolean recreated,
            String problem) {
        this.file = file;
        this.db = db;
        this.chunks = chunks;
        this.dedup = dedup;
        this.recreated = recreated;
        this.problem = problem;
    }

    /**
     * Opens {@code dir/ledger.db}, creating it when missing, and moving it aside and creating a new
     * one when it cannot be read.
     */
    public static MapDbLedger open(Path dir, long nowEpochMillis) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        boolean existed = Files.exists(file);
        if (!existed) {
            return openOrThrow(file, true, "ledger " + file + " missing");
        }
        try {
            MapDbLedger ledger = openOrThrow(file, false, null);
            ledger.readBackAll();
            return ledger;
        } catch (IOException | RuntimeException | Error e) {
            if (e instanceof VirtualMachineError vme) {
                throw vme;
            }
            Path aside = moveAside(dir, nowEpochMillis);
            log.error(
                    "Ledger {} is unreadable ({}); moved it to {} and rebuilding it from the chunk files "
                            + "(all chunks queued, delivery progress lost: duplicates possible, nothing lost)",
                    file,
                    e.toString(),
                    aside);
            return openOrThrow(file, true, "ledger " + file + " unreadable (" + e + "), moved to " + aside);
        }
    }

    /**
     * Moves {@code ledger.db*} of {@code dir} into a new {@code ledger.corrupt-<millis>[-N]/} and
     * deletes the moved-aside ledgers older than the newest {@link #KEPT_CORRUPT_DIRS}; returns it.
     */
    private static Path moveAside(Path dir, long nowEpochMillis) throws IOException {
        Path aside = dir.resolve("ledger.corrupt-" + nowEpochMillis);
        for (int n = 2; Files.exists(aside); n++) {
            aside = dir.resolve("ledger.corrupt-" + nowEpochMillis + "-" + n);
        }
        Files.createDirectories(aside);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, FILE_NAME + "*")) {
            for (Path f : files) {
                Files.move(f, aside.resolve(f.getFileName()));
            }
        }
        deleteOldCorruptDirs(dir);
        return aside;
    }

    /** Deletes the {@code ledger.corrupt-*} directories of {@code dir} but the newest {@link #KEPT_CORRUPT_DIRS}. */
    private static void deleteOldCorruptDirs(Path dir) {
        List<Path> asides = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dir, "ledger.corrupt-*")) {
            for (Path d : dirs) {
                if (CORRUPT_DIR.matcher(d.getFileName().toString()).matches() && Files.isDirectory(d)) {
                    asides.add(d);
                }
            }
        } catch (IOException e) {
            log.warn("Ledger {}: listing the moved-aside ledgers to delete the old ones failed: {}", dir, e.toString());
            return;
        }
        if (asides.size() <= KEPT_CORRUPT_DIRS) {
            return;
        }
        asides.sort(Comparator.comparingLong((Path d) -> corruptDirOrder(d, 1))
                .thenComparingLong(d -> corruptDirOrder(d, 2)));
        List<Path> old = asides.subList(0, asides.size() - KEPT_CORRUPT_DIRS);
        List<String> deleted = new ArrayList<>();
        for (Path d : old) {
            try (Stream<Path> walk = Files.walk(d)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
                deleted.add(d.getFileName().toString());
            } catch (IOException | RuntimeException e) {
                log.warn("Ledger {}: deleting the old moved-aside ledger {} failed: {}", dir, d, e.toString());
            }
        }
        if (!deleted.isEmpty()) {
            log.warn(
                    "Ledger {}: deleted the moved-aside ledgers {}, older than the {} newest kept",
                    dir,
                    deleted,
                    KEPT_CORRUPT_DIRS);
        }
    }

    /** The millis (group 1) or the -N suffix (group 2, 1 when absent) of a moved-aside ledger's name. */
    private static long corruptDirOrder(Path d, int group) {
        Matcher m = CORRUPT_DIR.matcher(d.getFileName().toString());
        if (!m.matches()) {
            return 0;
        }
        String v = m.group(group);
        if (v == null) {
            return 1;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static MapDbLedger openOrThrow(Path file, boolean created, String problem) throws IOException {
        // No MapDB file lock: buffer.lock already guards the directory, and a broken ledger is reopened in-process.
        DB db = DBMaker.fileDB(file.toFile())
                .transactionEnable()
                .fileChannelEnable()
                .fileLockDisable()
                .make();
        try {
            Atomic.Integer format = db.atomicInteger("format").createOrOpen();
            if (created) {
                format.set(LEDGER_FORMAT_VERSION);
                db.commit();
            } else if (format.get() != LEDGER_FORMAT_VERSION) {
                throw new IOException("ledger " + file + ": format version " + format.get() + " (expected: "
                        + LEDGER_FORMAT_VERSION + ")");
            }
            HTreeMap<Long, byte[]> chunks =
                    db.hashMap("chunks", Serializer.LONG, Serializer.BYTE_ARRAY).createOrOpen();
            HTreeMap<byte[], Long> dedup =
                    db.hashMap("dedup", Serializer.BYTE_ARRAY, Serializer.LONG).createOrOpen();
            db.commit();
            return new MapDbLedger(file, db, chunks, dedup, created, problem);
        } catch (IOException | RuntimeException | Error e) {
            try {
                db.close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    private void readBackAll() throws IOException {
        // the store's own consistency check: record index and free-space lists (a crash can leave a
        // free-space list broken, which reads do not touch but the next update would trip over)
        db.getStore().verify();
        for (Map.Entry<Long, byte[]> e : chunks.getEntries()) {
            ChunkRecord.decode(e.getKey(), e.getValue());
        }
        for (Map.Entry<byte[], Long> e : dedup.getEntries()) {
            e.getValue().longValue();
        }
    }

    /** True when there was no readable ledger: the caller rebuilds it from the chunk files. */
    public boolean wasRecreated() {
        return recreated;
    }

    /** Why the ledger was recreated (missing, or unreadable and moved where), or null. */
    public String problem() {
        return problem;
    }

    /**
     * After a failed operation (a full disk makes MapDB's write-ahead log fail half way), the store
     * object is dropped, not closed (its locks may be inconsistent), and the ledger is reopened from
     * its last commit: changes since then are lost, which at worst re-delivers events. While the
     * disk is full the reopen fails and is tried again at the next call; a reopen that fails for
     * another reason (files the failure left unreadable) replaces the store as a corrupt one is.
     */
    private void ensureOpen() {
        if (!broken) {
            return;
        }
        try {
            MapDbLedger fresh = openOrThrow(file, false, null);
            db = fresh.db;
            chunks = fresh.chunks;
            dedup = fresh.dedup;
            broken = false;
            log.warn(
                    "Ledger {} reopened after a failure; changes since its last commit were lost (may cause duplicates)",
                    file);
        } catch (IOException | RuntimeException e) {
            if (isNoSpace(e)) {
                // still full: stay broken and try again at the next call
                throw new IllegalStateException(
                        "ledger " + file + " cannot be reopened (" + e + "); check free disk space", e);
            }
            // the files the failed operation left cannot be opened again (e.g. a write-ahead log cut
            // short by the full disk): replace them, as a corrupt store is replaced
            replaceCorrupt(new IllegalStateException("cannot be reopened after a failure: " + e, e));
        }
    }

    /** Whether {@code e} or one of its causes says the disk is full (ENOSPC). */
    private static boolean isNoSpace(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.contains("No space left on device")) {
                return true;
            }
        }
        return false;
    }

    private RuntimeException failed(RuntimeException e) {
        broken = true;
        return e;
    }

    /**
     * Runs {@code op} on the store. A store found corrupt is moved aside and replaced by an empty
     * one, and {@code op} runs again there: the chunk files are the truth, so the records the new
     * ledger lacks only cost delivery progress (chunks queued again at the next start: duplicates
     * possible, nothing lost). Corrupt means MapDB says so ({@link DBException.DataCorruption}: e.g.
     * a free-space list that a kill -9 left broken, which MapDB's write-ahead log does not always
     * protect, jankotek/mapdb#944) or fails on what it read without a DBException (an index out of
     * bounds, a negative size: MapDB keeps no checksums of its records). Any other DBException
     * (I/O: e.g. a full disk) marks the ledger broken: it is reopened from its last commit at the
     * next call.
     */
    private <T> T run(Supplier<T> op) {
        ensureOpen();
        try {
            return op.get();
        } catch (DBException e) {
            if (!(e instanceof DBException.DataCorruption)) {
                throw failed(e);
            }
            return again(op, e);
        } catch (RuntimeException e) {
            return again(op, e);
        }
    }

    private <T> T again(Supplier<T> op, RuntimeException corruption) {
        replaceCorrupt(corruption);
        try {
            return op.get();
        } catch (RuntimeException again) {
            throw failed(again);
        }
    }

    private void run(Runnable op) {
        run(() -> {
            op.run();
            return null;
        });
    }

    private void replaceCorrupt(RuntimeException e) {
        try {
            try {
                db.close();
            } catch (RuntimeException closing) {
                // a corrupt store may fail to close: its files are moved aside anyway
            }
            Path aside = moveAside(file.getParent(), System.currentTimeMillis());
            MapDbLedger fresh = openOrThrow(file, true, null);
            db = fresh.db;
            chunks = fresh.chunks;
            dedup = fresh.dedup;
            broken = false;
            generation++;
            log.error(
                    "Ledger {} is corrupt ({}); moved it to {} and started an empty one (chunks not recorded again "
                            + "are queued at the next start: duplicates possible, nothing lost)",
                    file,
                    e.toString(),
                    aside);
        } catch (IOException | RuntimeException replacing) {
            replacing.addSuppressed(e);
            throw failed(new IllegalStateException(
                    "ledger " + file + " is corrupt and cannot be replaced (" + replacing + "); check free disk space",
                    replacing));
        }
    }

    /**
     * How many times the store was found corrupt and replaced by an empty one since open (0 when
     * never): a caller that holds records the ledger should list writes them again.
     */
    @Override
    public synchronized int generation() {
        return generation;
    }

    @Override
    public synchronized Map<Long, ChunkRecord> chunks() {
        return run(() -> {
            Map<Long, ChunkRecord> out = new HashMap<>();
            for (Map.Entry<Long, byte[]> e : chunks.getEntries()) {
                try {
                    out.put(e.getKey(), ChunkRecord.decode(e.getKey(), e.getValue()));
                } catch (IOException ex) {
                    throw new IllegalStateException(ex.getMessage(), ex);
                }
            }
            return out;
        });
    }

    @Override
    public synchronized void put(ChunkRecord record) {
        run(() -> chunks.put(record.chunkId(), record.encode()));
    }

    @Override
    public synchronized void remove(long chunkId) {
        run(() -> chunks.remove(chunkId));
    }

    @Override
    public synchronized Map<ByteBuffer, Long> dedupKeys() {
        return run(() -> {
            Map<ByteBuffer, Long> out = new HashMap<>();
            for (Map.Entry<byte[], Long> e : dedup.getEntries()) {
                out.put(ByteBuffer.wrap(e.getKey()).asReadOnlyBuffer(), e.getValue());
            }
            return out;
        });
    }

    @Override
    public synchronized void putDedupKey(byte[] key, long seenAtEpochMillis) {
        run(() -> dedup.put(key, seenAtEpochMillis));
    }

    @Override
    public synchronized void removeDedupKey(byte[] key) {
        run(() -> dedup.remove(key));
    }

    @Override
    public synchronized void commit() {
        run(() -> db.commit());
    }

    @Override
    public synchronized void close() {
        if (!broken && !db.isClosed()) {
            db.close();
        }
    }
}
