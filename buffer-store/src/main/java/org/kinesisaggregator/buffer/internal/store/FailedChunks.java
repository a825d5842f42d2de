package org.kinesisaggregator.buffer.internal.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.file.ChunkFileFormat;

/**
 * The {@code failed/} directory: chunk files (same format as the buffer's) of events that could not
 * be delivered, each with a {@code .reason} text file beside it saying which output, when, why and
 * how many events. Nothing here is ever deleted by the buffer; an operator inspects, replays or
 * removes it.
 *
 * <p>Thread-safe (methods synchronize): the writer thread (drop_oldest_chunk) and flush threads
 * (rejected events, retries exhausted) both move chunks here.
 */
final class FailedChunks {
    private static final int MAX_REASONS = 20;
    private static final int MAX_FRAME_ENTRY_BYTES = 1 << 20;

    private final Path dir;

    FailedChunks(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /** Moves the whole file into failed/; returns its new path. */
    synchronized String moveWhole(FileStoredChunk chunk, String outputId, String reason) throws IOException {
        Files.createDirectories(dir);
        Path target = freeName(ChunkFileFormat.idToString(chunk.id));
        chunk.moveTo(target);
        writeReason(target, outputId, chunk.id, chunk.eventCount, reason, Map.of());
        syncDir();
        return target.toString();
    }

    /** Writes the not-done events of {@code view} to a new file in failed/; null when there were none. */
    synchronized String write(Chunk view, String outputId, String reason, Map<Integer, String> reasons)
            throws IOException {
        Files.createDirectories(dir);
        long id = Long.parseUnsignedLong(view.id(), 16);
        Path target = freeName(view.id());
        int events = 0;
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                EventCursor cursor = view.events()) {
            writeFully(out, ChunkFileFormat.encodeHeader(id, view.createdAt().toEpochMilli(), view.metadata()));
            ByteBuffer pending = ByteBuffer.allocate(64 * 1024);
            String pendingTag = null;
            int pendingEvents = 0;
            while (cursor.next()) {
                ByteBuffer entry = cursor.entry();
                if (pendingTag != null
                        && (!pendingTag.equals(cursor.tag())
                                || pending.position() + entry.remaining() > MAX_FRAME_ENTRY_BYTES)) {
                    writeFrame(out, pendingTag, pending, pendingEvents);
                    pendingEvents = 0;
                }
                if (pending.remaining() < entry.remaining()) {
                    ByteBuffer bigger = ByteBuffer.allocate(
                            Math.max(pending.capacity() * 2, pending.position() + entry.remaining()));
                    pending.flip();
                    bigger.put(pending);
                    pending = bigger;
                }
                pending.put(entry.duplicate());
                pendingTag = cursor.tag();
                pendingEvents++;
                events++;
            }
            if (pendingEvents > 0) {
                writeFrame(out, pendingTag, pending, pendingEvents);
            }
            out.force(true);
        }
        if (events == 0) {
            Files.deleteIfExists(target);
            return null;
        }
        writeReason(target, outputId, id, events, reason, reasons);
        syncDir();
        return target.toString();
    }

    private static void writeFrame(FileChannel out, String tag, ByteBuffer pending, int events) throws IOException {
        pending.flip();
        ByteBuffer header = ChunkFileFormat.encodeFrameHeader(ChunkFileFormat.tagBytes(tag), pending, events);
        writeFully(out, header);
        writeFully(out, pending);
        pending.clear();
    }

    private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    private Path freeName(String base) {
        Path p = dir.resolve(base + ChunkFileFormat.CHUNK_SUFFIX);
        for (int n = 1; Files.exists(p); n++) {
            p = dir.resolve(base + "." + n + ChunkFileFormat.CHUNK_SUFFIX);
        }
        return p;
    }

    private void writeReason(
            Path chunkFile, String outputId, long chunkId, int events, String reason, Map<Integer, String> reasons)
            throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("chunk: ").append(ChunkFileFormat.idToString(chunkId)).append('\n');
        sb.append("file: ").append(chunkFile.getFileName()).append('\n');
        sb.append("output: ").append(outputId).append('\n');
        sb.append("moved-at: ").append(Instant.now()).append('\n');
        sb.append("events: ").append(events).append('\n');
        sb.append("reason: ").append(reason).append('\n');
        if (!reasons.isEmpty()) {
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (String r : new TreeMap<>(reasons).values()) {
                if (counts.size() < MAX_REASONS || counts.containsKey(r)) {
                    counts.merge(r, 1, Integer::sum);
                }
            }
            counts.forEach((r, n) -> sb.append("event-reason: ")
                    .append(n)
                    .append(" x ")
                    .append(r)
                    .append('\n'));
        }
        String name = chunkFile.getFileName().toString();
        Path reasonFile =
                dir.resolve(name.substring(0, name.length() - ChunkFileFormat.CHUNK_SUFFIX.length()) + ".reason");
        try (FileChannel out = FileChannel.open(
                reasonFile,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            writeFully(out, ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8)));
            out.force(true);
        }
    }

    private void syncDir() throws IOException {
        FileChunkStore.fsyncDirectory(dir);
    }
}
