package org.kinesisaggregator.buffer.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-validates every frame of a chunk file and truncates it at the first frame that is not
 * {@link FrameCheck.Valid} (Kafka's {@code LogSegment.recover} shape): a torn tail is an expected
 * outcome of a crash and is logged at WARN with file and position; a corrupt frame in the middle is
 * logged at ERROR, since the frames after it are cut off too.
 *
 * <p>Stateless; each call owns its file. Called on the thread that starts the buffer.
 */
public final class ChunkRecovery {
    private static final Logger log = LoggerFactory.getLogger(ChunkRecovery.class);

    private ChunkRecovery() {}

    /**
     * What recovery found in one file.
     *
     * @param header the file's header
     * @param dataBytes bytes of valid frames (after the header), the file's length after recovery minus the header
     * @param frameCount valid frames
     * @param eventCount events in the valid frames
     * @param truncatedBytes bytes cut off the end (0 when the file was intact)
     * @param truncation the first bad frame's verdict, or null when none
     */
    public record RecoveryResult(
            ChunkFileFormat.Header header,
            long dataBytes,
            int frameCount,
            long eventCount,
            long truncatedBytes,
            FrameCheck truncation) {}

    /**
     * Scans {@code file}; with {@code truncate}, cuts it at the end of its last valid frame (and
     * fsyncs it).
     *
     * @throws ChunkFormatException when the header is missing or not ours (the caller decides: the
     *     file is never truncated or deleted here)
     */
    public static RecoveryResult recover(Path file, boolean truncate) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = channel.size();
            ByteBuffer headerBytes = ByteBuffer.allocate(ChunkFileFormat.HEADER_BYTES);
            while (headerBytes.hasRemaining() && channel.read(headerBytes, headerBytes.position()) > 0) {
                // read until full or EOF
            }
            ChunkFileFormat.Header header = ChunkFileFormat.decodeHeader(headerBytes.flip(), file.toString());
            FrameReader reader = new FrameReader(channel, size);
            long position = ChunkFileFormat.HEADER_BYTES;
            int frames = 0;
            long events = 0;
            FrameCheck bad = null;
            while (position < size) {
                FrameCheck check = reader.check(position);
                if (check instanceof FrameCheck.Valid valid) {
                    position += valid.frameBytes();
                    frames++;
                    events += valid.eventCount();
                } else {
                    bad = check;
                    break;
                }
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
                        "Chunk file {}: corrupt frame at position {} ({}: expected crc32c 0x{}, actual 0x{}); truncating {} bytes "
                                + "from there, {} good frames kept. Check the disk.",
                        file,
                        position,
                        c.reason(),
                        Integer.toHexString(c.expectedCrc()),
                        Integer.toHexString(c.actualCrc()),
                        truncated,
                        frames);
            }
            if (truncate && truncated > 0) {
                channel.truncate(position);
                channel.force(true);
            }
            return new RecoveryResult(header, position - ChunkFileFormat.HEADER_BYTES, frames, events, truncated, bad);
        }
    }
}
