package org.kinesisaggregator.buffer.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-validates every frame of a chunk file (Kafka's {@code LogSegment.recover} shape), with a
 * resynchronisation past corrupt regions:
 *
 * <ul>
 *   <li>A torn tail (the file ends inside its last frame, or in zeros) is an expected outcome of a
 *       crash: cut off, logged at WARN with file and position, counted.
 *   <li>A frame that does not validate with more valid frames after it (bit rot, a scribbled file,
 *       a hole left by a file system that dropped pages) is a corrupt region: the scan resumes at
 *       the next position where a whole frame validates ({@link FrameReader#resync}), the frames
 *       from there on are kept, and the region (file, position, length) is logged at WARN and
 *       counted. With {@code truncate}, the file is rewritten without its corrupt regions: a copy
 *       {@code <name>.resync} is written and synced, then renamed over the file (a crash before the
 *       rename leaves the file as it was; the next start deletes the copy and recovers again).
 *   <li>A corrupt frame with no valid frame after it: the rest is cut off, logged at ERROR.
 * </ul>
 *
 * <p>Event indices after a corrupt region shift (the region's events are gone), so the caller
 * must not apply delivery progress recorded before to such a file.
 *
 * <p>Stateless; each call owns its file. Called on the thread that starts the buffer, and by the
 * writer thread for a chunk file found shorter than written.
 */
public final class ChunkRecovery {
    private static final Logger log = LoggerFactory.getLogger(ChunkRecovery.class);

    /** Suffix of the copy written while a file's corrupt regions are cut out. */
    public static final String RESYNC_SUFFIX = ".resync";

    private ChunkRecovery() {}

    /** Receives the dedup key of every valid frame that carries one (version 2), in file order. */
    public interface FrameKeys {
        FrameKeys NONE = (hi, lo, storedAt) -> {};

        void frame(long keyHi, long keyLo, long storedAtEpochMillis);
    }

    /**
     * What recovery found in one file.
     *
     * @param header the file's header
     * @param dataBytes bytes of valid frames (after the header), the file's length after recovery minus the header
     * @param frameCount valid frames
     * @param eventCount events in the valid frames
     * @param truncatedBytes bytes cut off the end (0 when the file was intact)
     * @param truncation the verdict on the frame where the cut tail starts, or null when none
     * @param skippedBytes bytes of corrupt regions in the middle, skipped (0 when none)
     * @param skippedRegions corrupt regions in the middle
     */
    public record RecoveryResult(
            ChunkFileFormat.Header header,
            long dataBytes,
            int frameCount,
            long eventCount,
            long truncatedBytes,
            FrameCheck truncation,
            long skippedBytes,
            int skippedRegions) {}

    /**
     * Scans {@code file}; with {@code truncate}, cuts it at the end of its last valid frame, cuts its
     * corrupt regions out, and fsyncs it.
     *
     * @throws ChunkFormatException when the header is missing or not ours (the caller decides: the
     *     file is never truncated or deleted here)
     */
    public static RecoveryResult recover(Path file, boolean truncate) throws IOException {
        return recover(file, truncate, FrameKeys.NONE);
    }

    /**
     * As {@link #recover(Path, boolean)}, and hands the dedup key of each valid frame (every frame
     * that is kept) to {@code keys}. A frame that does not validate (torn, corrupt) yields no key:
     * a key comes only from a frame whose events are in the file.
     */
    public static RecoveryResult recover(Path file, boolean truncate, FrameKeys keys) throws IOException {
        List<long[]> kept = new ArrayList<>(); // [start, end) ranges of valid frames, in order
        RecoveryResult result;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = channel.size();
            ChunkFileFormat.Header header = ChunkFileFormat.readHeader(channel, file.toString());
            FrameReader reader = new FrameReader(channel, size, header.version());
            long position = header.dataOffset();
            int frames = 0;
            long events = 0;
            long dataBytes = 0;
            long skipped = 0;
            int regions = 0;
            FrameCheck bad = null;
            while (position < size) {
                FrameCheck check = reader.check(position);
                if (check instanceof FrameCheck.Valid valid) {
                    long end = position + valid.frameBytes();
                    if (!kept.isEmpty() && kept.get(kept.size() - 1)[1] == position) {
                        kept.get(kept.size() - 1)[1] = end;
                    } else {
                        kept.add(new long[] {position, end});
                    }
                    position = end;
                    frames++;
                    events += valid.eventCount();
                    dataBytes += valid.frameBytes();
                    if (valid.hasDedupKey()) {
                        keys.frame(valid.keyHi(), valid.keyLo(), valid.storedAtEpochMillis());
                    }
                    continue;
                }
                long next = reader.resync(position + 1);
                if (next < 0) {
                    bad = check;
                    break;
                }
                long length = next - position;
                log.warn(
                        "Chunk file {}: corrupt region at position {} ({} bytes: {}); skipped, the valid frames after it "
                                + "are kept. Check the disk.",
                        file,
                        position,
                        length,
                        describe(check));
                skipped += length;
                regions++;
                position = next;
            }
            long truncated = size - position;
            if (bad instanceof FrameCheck.Truncated t) {
                log.warn(
                        "Chunk file {}: torn tail at position {} ({} bytes, frame {} bytes short); truncating to the last good frame",
                        file,
                        position,
                        truncated,
                        t.missingBytes());
            } else if (bad instanceof FrameCheck.Corrupt c) {
                log.error(
                        "Chunk file {}: corrupt frame at position {} ({}: expected crc32c 0x{}, actual 0x{}) and no valid "
                                + "frame after it; truncating {} bytes from there, {} good frames kept. Check the disk.",
                        file,
                        position,
                        c.reason(),
                        Integer.toHexString(c.expectedCrc()),
                        Integer.toHexString(c.actualCrc()),
                        truncated,
                        frames);
            }
            if (truncate && skipped == 0 && truncated > 0) {
                channel.truncate(position);
                channel.force(true);
            }
            result = new RecoveryResult(header, dataBytes, frames, events, truncated, bad, skipped, regions);
            if (truncate && skipped > 0) {
                rewrite(file, channel, header.dataOffset(), kept);
            }
        }
        return result;
    }

    private static String describe(FrameCheck check) {
        if (check instanceof FrameCheck.Corrupt c) {
            return c.reason();
        }
        return "frame header points past the end of the file";
    }

    /** Writes the header and the {@code kept} ranges to {@code <file>.resync}, syncs it, renames it over {@code file}. */
    private static void rewrite(Path file, FileChannel source, int headerBytes, List<long[]> kept) throws IOException {
        Path copy = file.resolveSibling(file.getFileName() + RESYNC_SUFFIX);
        try (FileChannel out = FileChannel.open(
                copy, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            transfer(source, 0, headerBytes, out);
            for (long[] range : kept) {
                transfer(source, range[0], range[1], out);
            }
            out.force(true);
        }
        Files.move(copy, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Path dir = file.toAbsolutePath().getParent();
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    private static void transfer(FileChannel source, long from, long end, FileChannel out) throws IOException {
        long position = from;
        while (position < end) {
            long n = source.transferTo(position, end - position, out);
            if (n <= 0) {
                throw new IOException("unexpected end of file at position " + position);
            }
            position += n;
        }
    }
}
