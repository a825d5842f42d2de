package org.kinesisaggregator.buffer.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.testing.Events;

/** Recovery of real chunk files that were cut or scribbled on (Kafka's testRecoveryWithCorruptMessage shape). */
class ChunkRecoveryTest {
    @TempDir
    Path dir;

    /** Writes a chunk of {@code frames} frames of 3 events each; returns the frame start positions (+ the end). */
    private static List<Long> writeChunk(Path file, int frames) throws IOException {
        List<Long> starts = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ChunkFileFormat.encodeHeader(42, 1_700_000_000_000L));
            for (int i = 0; i < frames; i++) {
                starts.add(ch.position());
                ByteBuffer entries = Events.entries(i * 3L, 3, 20);
                ch.write(new ByteBuffer[] {
                    ChunkFileFormat.encodeFrameHeader(ChunkFileFormat.tagBytes("tag." + i), entries, 3), entries
                });
            }
            starts.add(ch.position());
        }
        return starts;
    }

    @Test
    void anIntactChunkRecoversWhole() throws IOException {
        Path f = dir.resolve("c.chunk");
        List<Long> starts = writeChunk(f, 5);
        ChunkRecovery.RecoveryResult r = ChunkRecovery.recover(f, true);
        assertThat(r.frameCount()).isEqualTo(5);
        assertThat(r.eventCount()).isEqualTo(15);
        assertThat(r.truncatedBytes()).isZero();
        assertThat(r.truncation()).isNull();
        assertThat(r.header().chunkId()).isEqualTo(42);
        assertThat(r.dataBytes()).isEqualTo(starts.get(5) - ChunkFileFormat.HEADER_BYTES);
    }

    @Test
    void aChunkCutAtEveryByteOffsetOfItsLastFrameKeepsTheFramesBefore() throws IOException {
        Path original = dir.resolve("original.chunk");
        List<Long> starts = writeChunk(original, 5);
        long lastStart = starts.get(4);
        long end = starts.get(5);
        Path f = dir.resolve("cut.chunk");
        for (long cut = lastStart; cut < end; cut++) {
            Files.copy(original, f, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.truncate(cut);
            }
            ChunkRecovery.RecoveryResult r = ChunkRecovery.recover(f, true);
            assertThat(r.frameCount()).as("cut at %d", cut).isEqualTo(4);
            assertThat(r.eventCount()).isEqualTo(12);
            assertThat(r.truncatedBytes()).isEqualTo(cut - lastStart);
            assertThat(Files.size(f)).isEqualTo(lastStart);
            if (cut > lastStart) {
                assertThat(r.truncation()).as("cut at %d", cut).isInstanceOf(FrameCheck.Truncated.class);
            }
            // a second recovery finds a clean file
            assertThat(ChunkRecovery.recover(f, true).truncatedBytes()).isZero();
        }
    }

    @Test
    void aFlippedBitInAFrameCutsFromThatFrameOnLoudly() throws IOException {
        long seed = System.nanoTime();
        System.out.println("ChunkRecoveryTest.aFlippedBitInAFrame seed=" + seed);
        Random random = new Random(seed);
        Path original = dir.resolve("original.chunk");
        List<Long> starts = writeChunk(original, 6);
        Path f = dir.resolve("flipped.chunk");
        for (int round = 0; round < 20; round++) {
            int frame = 1 + random.nextInt(4);
            // anywhere after the length field: crc, event count, tag length, tag or entries
            long from = starts.get(frame) + 4;
            long position = from + random.nextInt((int) (starts.get(frame + 1) - from));
            Files.copy(original, f, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.allocate(1);
                ch.read(b, position);
                b.put(0, (byte) (b.get(0) ^ (1 << random.nextInt(8))));
                ch.write(b.flip(), position);
            }
            ChunkRecovery.RecoveryResult r = ChunkRecovery.recover(f, true);
            assertThat(r.frameCount())
                    .as("seed %d round %d: bit flipped at %d in frame %d", seed, round, position, frame)
                    .isEqualTo(frame);
            assertThat(r.truncation()).isInstanceOf(FrameCheck.Corrupt.class);
            assertThat(Files.size(f)).isEqualTo(starts.get(frame));
        }
    }

    @Test
    void aZeroLengthOrForeignFileIsRefusedNotTruncated() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.chunk"));
        assertThatThrownBy(() -> ChunkRecovery.recover(empty, true))
                .isInstanceOf(ChunkFormatException.class)
                .hasMessageContaining("header: 0 bytes");
        Path foreign = Files.writeString(dir.resolve("foreign.chunk"), "this is not a chunk file at all, no no no");
        assertThatThrownBy(() -> ChunkRecovery.recover(foreign, true))
                .isInstanceOf(ChunkFormatException.class)
                .hasMessageContaining("magic");
        assertThat(Files.size(foreign)).isEqualTo(41);
    }

    @Test
    void aTailOfZerosIsATornTailAndAHeaderOnlyFileHasNoFrames() throws IOException {
        Path f = dir.resolve("zeros.chunk");
        List<Long> starts = writeChunk(f, 2);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.allocate(4096));
        }
        ChunkRecovery.RecoveryResult r = ChunkRecovery.recover(f, true);
        assertThat(r.frameCount()).isEqualTo(2);
        assertThat(r.truncation()).isInstanceOf(FrameCheck.Truncated.class);
        assertThat(Files.size(f)).isEqualTo(starts.get(2));

        Path headerOnly = dir.resolve("h.chunk");
        Files.write(headerOnly, ChunkFileFormat.encodeHeader(7, 0).array());
        assertThat(ChunkRecovery.recover(headerOnly, true).frameCount()).isZero();
    }

    @Test
    void frameReaderVerdictsAreTriState() throws IOException {
        Path f = dir.resolve("c.chunk");
        List<Long> starts = writeChunk(f, 1);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            FrameCheck valid = new FrameReader(ch, ch.size()).check(starts.get(0));
            assertThat(valid).isEqualTo(new FrameCheck.Valid(3, "tag.0", starts.get(1) - starts.get(0)));
            FrameCheck truncated = new FrameReader(ch, ch.size() - 1).check(starts.get(0));
            assertThat(truncated).isEqualTo(new FrameCheck.Truncated(1));
        }
    }
}
