package org.kinesisaggregator.server.output;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.EventFormatting;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.kinesisaggregator.kinesis.format.EventFormatter;

/**
 * {@code @type stdout}: each event as a line on the process' standard output, in Fluentd's
 * out_stdout format by default ({@code 2026-11-25 12:00:00.123456789 +0000 tag: {"k":"v"}}). A
 * chunk is formatted whole and written with one call, then flushed, on the output's own thread. An
 * event that cannot be formatted is rejected alone, with the reason ({@link EventFormatting}).
 *
 * <p>Thread-safe: writes are serialized on that thread.
 */
public final class StdoutOutput implements Output {
    private final EventFormatter.Workspace workspace; // confined to the worker thread
    private final OutputStream out;
    private final OutputWorker worker;

    public StdoutOutput(String outputId, FormatSettings format, OutputStream out) {
        this.workspace = new EventFormatter(Objects.requireNonNull(format, "format")).newWorkspace();
        this.out = Objects.requireNonNull(out, "out");
        this.worker = new OutputWorker("output-stdout-" + outputId);
    }

    @Override
    public String type() {
        return "stdout";
    }

    @Override
    public void start() {
        worker.start();
    }

    @Override
    public CompletableFuture<WriteResult> write(Chunk chunk) {
        return worker.submit(() -> {
            ByteArrayOutputStream bytes =
                    new ByteArrayOutputStream((int) Math.min(chunk.sizeBytes() * 2 + 64, 1 << 20));
            EventFormatting formatting = EventFormatting.formatEach(chunk, c -> {
                workspace.load(c.record());
                workspace.format(c.tag(), c.epochSecond(), c.nanos());
                bytes.write(workspace.array(), 0, workspace.length());
            });
            writeOut(bytes);
            return formatting.delivered();
        });
    }

    private void writeOut(ByteArrayOutputStream bytes) throws IOException {
        synchronized (out) {
            bytes.writeTo(out);
            out.flush();
        }
    }

    @Override
    public void close() {
        worker.close();
    }
}
