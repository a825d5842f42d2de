package org.kinesisaggregator.buffer.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.EventEntries;
import org.kinesisaggregator.buffer.Frame;
import org.kinesisaggregator.buffer.file.ChunkFileFormat;

/** Reads the event ids out of chunk files (e.g. in failed/), as an operator's tool would. */
public final class ChunkFiles {
    private ChunkFiles() {}

    public static List<Long> ids(Path chunkFile) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(chunkFile)).order(ByteOrder.BIG_ENDIAN);
        ChunkFileFormat.Header header = ChunkFileFormat.decodeHeader(b, chunkFile.toString());
        int headerBytes = header.frameHeaderBytes();
        b.position(header.dataOffset());
        List<Frame> frames = new ArrayList<>();
        int index = 0;
        while (b.remaining() >= headerBytes) {
            int start = b.position();
            int length = b.getInt();
            b.getInt();
            int count = b.getInt();
            int tagLength = Short.toUnsignedInt(b.getShort());
            b.position(start + headerBytes);
            byte[] tag = new byte[tagLength];
            b.get(tag);
            ByteBuffer entries = b.duplicate();
            entries.limit(start + ChunkFileFormat.FRAME_PREFIX_BYTES + length);
            frames.add(new Frame(new String(tag, StandardCharsets.UTF_8), entries.slice(), count, index));
            index += count;
            b.position(start + ChunkFileFormat.FRAME_PREFIX_BYTES + length);
        }
        List<Long> ids = new ArrayList<>();
        try (EventCursor c = EventEntries.cursor(frames, i -> false)) {
            while (c.next()) {
                ids.add(Events.id(c.record()));
            }
        }
        return ids;
    }

    /** Ids in every {@code *.chunk} file of {@code dir} (none when it does not exist). */
    public static List<Long> idsIn(Path dir) throws IOException {
        List<Long> ids = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return ids;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".chunk")).sorted().collect(Collectors.toList());
        }
        for (Path f : files) {
            ids.addAll(ids(f));
        }
        return ids;
    }
}
