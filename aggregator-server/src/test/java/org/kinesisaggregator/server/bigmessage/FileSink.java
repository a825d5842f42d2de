package org.kinesisaggregator.server.bigmessage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.StreamedAppend;

/**
 * An {@link EventSink} that writes entries to files on its own writer thread, straight from the
 * buffers the server hands it (no copy): whole appends to {@code appends.bin}, each streamed append
 * to {@code <tag>.part}, renamed to {@code <tag>.bin} on commit, deleted on abandon.
 */
final class FileSink implements EventSink, AutoCloseable {
    private final Path dir;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "file-sink-writer");
        t.setDaemon(true);
        return t;
    });
    private final FileChannel appends;
    final AtomicInteger abandoned = new AtomicInteger();

    FileSink(Path dir) throws IOException {
        this.dir = dir;
        this.appends = FileChannel.open(
                dir.resolve("appends.bin"),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
    }

    @Override
    public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
        return CompletableFuture.supplyAsync(
                () -> {
                    write(appends, entries.duplicate());
                    return AppendResult.stored(eventCount);
                },
                writer);
    }

    @Override
    public StreamedAppend openStream(String tag) {
        Path part = dir.resolve(tag + ".part");
        FileChannel channel;
        try {
            channel = FileChannel.open(
                    part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new StreamedAppend() {
            private long events;

            @Override
            public CompletableFuture<Void> write(ByteBuffer entries, int eventCount) {
                return CompletableFuture.runAsync(
                        () -> {
                            FileSink.write(channel, entries.duplicate());
                            events += eventCount;
                        },
                        writer);
            }

            @Override
            public CompletableFuture<AppendResult> commit(byte[] dedupKey) {
                return CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                channel.force(false);
                                channel.close();
                                Files.move(part, dir.resolve(tag + ".bin"), StandardCopyOption.ATOMIC_MOVE);
                                return AppendResult.stored(events);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        },
                        writer);
            }

            @Override
            public void abandon() {
                abandoned.incrementAndGet();
                writer.execute(() -> {
                    try {
                        channel.close();
                        Files.deleteIfExists(part);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        };
    }

    private static void write(FileChannel channel, ByteBuffer buffer) {
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        writer.shutdown();
        appends.close();
    }
}
