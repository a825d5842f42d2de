package org.kinesisaggregator.buffer.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
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
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.testing.ChunkFiles;
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
        assertThat(r.dataBytes()).isEqualTo(starts.get(5) - starts.get(0));
        assertThat((long) r.header().dataOffset()).isEqualTo(starts.get(0));
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
    void aFlippedBitInAFrameCostsThatFrameOnly() throws IOException {
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
            long frameBytes = starts.get(frame + 1) - starts.get(frame);
            assertThat(r.frameCount())
                    .as("seed %d round %d: bit flipped at %d in frame %d", seed, round, position, frame)
                    .isEqualTo(5);
            assertThat(r.skippedBytes()).isEqualTo(frameBytes);
            assertThat(r.skippedRegions()).isEqualTo(1);
            assertThat(r.truncatedBytes()).isZero();
            assertThat(Files.size(f)).isEqualTo(starts.get(6) - frameBytes);
        }
    }

    /**
     * Kafka's testRecoveryWithCorruptMessage, with resynchronisation: nonsense over a seeded random
     * region in the middle (one frame or several), sometimes a torn tail too. Recovery keeps every
     * frame the region did not touch, in order, cuts the tail, reports the bytes skipped, and
     * leaves a file that recovers clean and reads as exactly those events.
     */
    @Test
    void aCorruptRegionInTheMiddleCostsOnlyTheFramesItTouches() throws IOException {
        long seed = 20240612L;
        Random random = new Random(seed);
        int frames = 20;
        Path original = dir.resolve("original.chunk");
        List<Long> starts = writeChunk(original, frames);
        Path f = dir.resolve("scribbled.chunk");
        for (int round = 0; round < 10; round++) {
            String where = "seed " + seed + " round " + round;
            Files.copy(original, f, StandardCopyOption.REPLACE_EXISTING);
            long from = starts.get(1) + random.nextInt((int) (starts.get(frames - 4) - starts.get(1)));
            int length = 1 + random.nextInt((int) (2 * (starts.get(2) - starts.get(1))));
            byte[] nonsense = new byte[length];
            random.nextBytes(nonsense);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.allocate(length);
                ch.read(b, from);
                for (int i = 0; i < length; i++) {
                    b.put(i, (byte) (b.get(i) ^ (nonsense[i] == 0 ? 1 : nonsense[i]))); // every byte changes
                }
                ch.write(b.flip(), from);
            }
            boolean tornTail = random.nextBoolean();
            long tornBytes = 0;
            if (tornTail) {
                long lastStart = starts.get(frames - 1);
                long cut = lastStart + 1 + random.nextInt((int) (starts.get(frames) - lastStart - 1));
                tornBytes = cut - lastStart;
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    ch.truncate(cut);
                }
            }
            List<Long> expectedIds = new ArrayList<>();
            long expectedSkipped = 0;
            int lastFrame = tornTail ? frames - 1 : frames;
            for (int i = 0; i < lastFrame; i++) {
                boolean touched = starts.get(i) < from + length && from < starts.get(i + 1);
                if (touched) {
                    expectedSkipped += starts.get(i + 1) - starts.get(i);
                } else {
                    for (long id = i * 3L; id < i * 3L + 3; id++) {
                        expectedIds.add(id);
                    }
                }
            }

            ChunkRecovery.RecoveryResult r = ChunkRecovery.recover(f, true);

            assertThat(r.eventCount()).as(where).isEqualTo(expectedIds.size());
            assertThat(r.skippedBytes()).as(where).isEqualTo(expectedSkipped);
            assertThat(r.skippedRegions()).as(where).isEqualTo(1);
            assertThat(r.truncatedBytes()).as(where).isEqualTo(tornBytes);
            assertThat(ChunkFiles.ids(f)).as(where).containsExactlyElementsOf(expectedIds);
            ChunkRecovery.RecoveryResult again = ChunkRecovery.recover(f, true);
            assertThat(again.skippedBytes() + again.truncatedBytes()).as(where).isZero();
            assertThat(again.eventCount()).as(where).isEqualTo(expectedIds.size());
            assertThat(Files.exists(f.resolveSibling(f.getFileName() + ChunkRecovery.RESYNC_SUFFIX)))
                    .isFalse();
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
            assertThat(valid).isEqualTo(new FrameCheck.Valid(3, "tag.0", starts.get(1) - starts.get(0), 0, 0, 0));
            FrameCheck truncated = new FrameReader(ch, ch.size() - 1).check(starts.get(0));
            assertThat(truncated).isEqualTo(new FrameCheck.Truncated(1));
        }
    }

    @Test
    void theDedupKeysOfValidFramesAreHandedOutAndATornFrameGivesNone() throws IOException {
        Path f = dir.resolve("k.chunk");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ChunkFileFormat.encodeHeader(42, 1_700_000_000_000L));
            for (int i = 0; i < 3; i++) {
                ByteBuffer entries = Events.entries(i, 1, 20);
                ch.write(new ByteBuffer[] {
                    ChunkFileFormat.encodeFrameHeader(
                            ChunkFileFormat.tagBytes("t"), entries, 1, 1_000L + i, i == 1 ? 0 : 7, i == 1 ? 0 : 10 + i),
                    entries
                });
            }
        }
        Files.write(f, new byte[] {0, 0, 0, 40, 1, 2, 3}, StandardOpenOption.APPEND); // a torn frame
        List<long[]> keys = new ArrayList<>();
        ChunkRecovery.RecoveryResult r =
                ChunkRecovery.recover(f, true, (hi, lo, at) -> keys.add(new long[] {hi, lo, at}));
        assertThat(r.frameCount()).isEqualTo(3);
        assertThat(r.truncatedBytes()).isEqualTo(7);
        assertThat(keys).containsExactly(new long[] {7, 10, 1_000}, new long[] {7, 12, 1_002});
    }

    @Test
    void aFileOfFormatVersion2IsReadWithItsFixedHeaderAndNoMetadata() throws IOException {
        Path f = dir.resolve("0018bcfe56900000.chunk");
        try (InputStream in = ChunkRecoveryTest.class.getResourceAsStream("/format-v2/0018bcfe56900000.chunk")) {
            Files.copy(in, f);
        }
        ChunkRecovery.RecoveryResult r = ChunkRecovery.recover(f, true);
        assertThat(r.header().version()).isEqualTo(ChunkFileFormat.FORMAT_VERSION_2);
        assertThat(r.header().metadata()).isEqualTo(ChunkMetadata.NONE);
        assertThat(r.header().dataOffset()).isEqualTo(ChunkFileFormat.HEADER_BYTES);
        assertThat(r.eventCount()).isEqualTo(9);
        assertThat(r.truncatedBytes()).isZero();
        assertThat(ChunkFiles.ids(f)).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
    }

    @Test
    void theMetadataOfAVersion3HeaderIsReadBackAndACorruptOneIsRefused() throws IOException {
        ChunkMetadata m = ChunkMetadata.of(java.util.Map.of("$.log_path", "web", "level", "info"));
        Path f = dir.resolve("m.chunk");
        ByteBuffer header = ChunkFileFormat.encodeHeader(42, 1_700_000_000_000L, m);
        int headerBytes = header.remaining();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(header);
            ByteBuffer entries = Events.entries(0, 3, 20);
            ch.write(new ByteBuffer[] {
                ChunkFileFormat.encodeFrameHeader(ChunkFileFormat.tagBytes("t"), entries, 3), entries
            });
        }
        ChunkRecovery.RecoveryResult r = ChunkRecovery.recover(f, true);
        assertThat(r.header().version()).isEqualTo(ChunkFileFormat.FORMAT_VERSION);
        assertThat(r.header().metadata()).isEqualTo(m);
        assertThat(r.header().dataOffset()).isEqualTo(headerBytes);
        assertThat(r.eventCount()).isEqualTo(3);
        assertThat(ChunkFiles.ids(f)).containsExactly(0L, 1L, 2L);

        byte[] bytes = Files.readAllBytes(f);
        bytes[ChunkFileFormat.HEADER_BYTES + 6] ^= 0x01; // inside the metadata
        Files.write(f, bytes);
        assertThatThrownBy(() -> ChunkRecovery.recover(f, true))
                .isInstanceOf(ChunkFormatException.class)
                .hasMessageContaining("header metadata crc32c");
    }

    @Test
    void aFileOfTheFirstFormatIsReadWithItsFrameLayout() throws IOException {
        Path f = dir.resolve("0018bcfe56800000.chunk");
        try (InputStream in = ChunkRecoveryTest.class.getResourceAsStream("/format-v1/0018bcfe56800000.chunk")) {
            Files.copy(in, f);
        }
        List<long[]> keys = new ArrayList<>();
        ChunkRecovery.RecoveryResult r =
                ChunkRecovery.recover(f, true, (hi, lo, at) -> keys.add(new long[] {hi, lo, at}));
        assertThat(r.header().version()).isEqualTo(ChunkFileFormat.FORMAT_VERSION_1);
        assertThat(r.frameCount()).isEqualTo(3);
        assertThat(r.eventCount()).isEqualTo(9);
        assertThat(r.truncatedBytes()).isZero();
        assertThat(keys).as("version 1 frames carry no dedup key").isEmpty();
        assertThat(ChunkFiles.ids(f)).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            long second = ChunkFileFormat.HEADER_BYTES
                    + ((FrameCheck.Valid) new FrameReader(ch, ch.size(), ChunkFileFormat.FORMAT_VERSION_1)
                                    .check(ChunkFileFormat.HEADER_BYTES))
                            .frameBytes();
            assertThat(new FrameReader(ch, ch.size(), ChunkFileFormat.FORMAT_VERSION_1)
                            .resync(ChunkFileFormat.HEADER_BYTES + 1))
                    .as("resync finds a version-1 frame")
                    .isEqualTo(second);
        }
    }
}
