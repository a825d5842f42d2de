package org.kinesisaggregator.server.output;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPOutputStream;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.kinesis.format.ChunkPlaceholders;

/**
 * {@code <secondary> @type secondary_file}: dumps the undelivered events of a chunk that ran out of
 * retries, as msgpack {@code [time, record]} entries exactly as buffered, to
 * {@code directory/basename} ({@code ${chunk_id}}, {@code ${tag}}, {@code ${tag[N]}} and the
 * primary's record chunk keys' {@code ${KEY}} placeholders, resolved as out_file does; default basename
 * {@code dump.bin}); {@code append false} (default) adds {@code .0}, {@code .1}, … to find a free
 * name; {@code compress gzip} adds {@code .gz}. Readable back with any msgpack tool.
 *
 * <p>Writes run on the output's own thread. Thread-safe.
 */
public final class SecondaryFileOutput implements Output {
    /** The directory template (placeholders resolved per chunk). */
    private final String directory;

    private final String basename;
    private final boolean append;
    private final boolean gzip;
    private final OutputWorker worker;

    public SecondaryFileOutput(String outputId, Path directory, String basename, boolean append, boolean gzip) {
        this.directory = Objects.requireNonNull(directory, "directory").toString();
        this.basename = Objects.requireNonNull(basename, "basename");
        this.append = append;
        this.gzip = gzip;
        this.worker = new OutputWorker("output-secondary-" + outputId);
    }

    @Override
    public String type() {
        return "secondary_file";
    }

    @Override
    public void start() {
        worker.start();
    }

    @Override
    public CompletableFuture<WriteResult> write(Chunk chunk) {
        return worker.submit(() -> {
            Map<Path, ByteArrayOutputStream> byName = new LinkedHashMap<>();
            try (EventCursor c = chunk.events()) {
                while (c.next()) {
                    Path name = Path.of(
                            ChunkPlaceholders.resolve(
                                    directory, c.tag(), chunk.id(), chunk.metadata(), FileOutput::clean),
                            ChunkPlaceholders.resolve(
                                    basename, c.tag(), chunk.id(), chunk.metadata(), FileOutput::clean));
                    ByteBuffer entry = c.entry().duplicate();
                    byte[] bytes = new byte[entry.remaining()];
                    entry.get(bytes);
                    byName.computeIfAbsent(name, n -> new ByteArrayOutputStream())
                            .write(bytes);
                }
            }
            for (var e : byName.entrySet()) {
                Files.createDirectories(e.getKey().toAbsolutePath().getParent());
                writeFile(e.getKey().toString() + (gzip ? ".gz" : ""), e.getValue());
            }
            return WriteResult.allDelivered();
        });
    }

    private void writeFile(String name, ByteArrayOutputStream bytes) throws IOException {
        if (append) {
            try (OutputStream out =
                    Files.newOutputStream(Path.of(name), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                copy(bytes, out);
            }
            return;
        }
        for (int i = 0; ; i++) {
            try (OutputStream out = Files.newOutputStream(Path.of(name + "." + i), StandardOpenOption.CREATE_NEW)) {
                copy(bytes, out);
                return;
            } catch (FileAlreadyExistsException taken) {
                // next index
            }
        }
    }

    private void copy(ByteArrayOutputStream bytes, OutputStream out) throws IOException {
        if (gzip) {
            GZIPOutputStream gz = new GZIPOutputStream(out);
            bytes.writeTo(gz);
            gz.finish();
        } else {
            bytes.writeTo(out);
        }
    }

    @Override
    public void close() {
        worker.close();
    }
}
