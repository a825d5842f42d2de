package org.kinesisaggregator.buffer.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;

/**
 * An output that appends the id of every event it delivers to a file, one per line, and fsyncs
 * before reporting delivery; with a failure rate it also fails whole writes or delivers a random
 * part. Thread-safe (writes synchronize).
 */
public final class FileRecordingOutput implements Output {
    private final FileChannel file;
    private final SplittableRandom random;
    private final double failureRate;

    public FileRecordingOutput(Path file, long seed, double failureRate) throws IOException {
        this.file =
                FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        this.random = new SplittableRandom(seed);
        this.failureRate = failureRate;
    }

    @Override
    public String type() {
        return "file_recording";
    }

    @Override
    public synchronized CompletableFuture<WriteResult> write(Chunk chunk) {
        List<Events.Event> events = Events.read(chunk);
        double dice = random.nextDouble();
        WriteResult result;
        List<Events.Event> delivered = new ArrayList<>();
        if (dice < failureRate / 2) {
            return CompletableFuture.completedFuture(WriteResult.failed("simulated outage"));
        } else if (dice < failureRate) {
            BitSet some = new BitSet();
            for (Events.Event e : events) {
                if (random.nextBoolean()) {
                    some.set(e.index());
                    delivered.add(e);
                }
            }
            result = WriteResult.partial(some, Map.of(), "simulated throttling");
        } else {
            delivered = events;
            result = WriteResult.allDelivered();
        }
        StringBuilder sb = new StringBuilder();
        delivered.forEach(e -> sb.append(e.id()).append('\n'));
        try {
            ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                file.write(b);
            }
            file.force(false);
        } catch (IOException e) {
            return CompletableFuture.completedFuture(WriteResult.failed(e.toString()));
        }
        return CompletableFuture.completedFuture(result);
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The ids in a file written by this output (a torn last line from a kill is skipped). */
    public static List<Long> read(Path file) throws IOException {
        List<Long> ids = new ArrayList<>();
        if (!Files.exists(file)) {
            return ids;
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        int start = 0;
        for (int i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
            ids.add(Long.parseLong(text.substring(start, i)));
            start = i + 1;
        }
        return ids;
    }
}
