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

/**
 * {@code @type stdout}: each event as a line on the process' standard output, in Fluentd's
 * out_stdout format by default ({@code 2026-11-25 12:00:00.123456789 +0000 tag: {"k":"v"}}). A
 * chunk is formatted whole and written with one call, then flushed, on the output's own thread. An
 * event that cannot be formatted is rejected alone, with the reason ({@link EventFormatting}).
 *
 * <p>Thread-safe: writes are serialized on that thread.
 */
public final class StdoutOutput implements Output {
    private final EventFormatter formatter;
    private final OutputStream out;
    private final OutputWorker worker;

    public StdoutOutput(String outputId, EventFormatter formatter, OutputStream out) {
        this.formatter = Objects.requireNonNull(formatter, "formatter");
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
            ByteArrayOutputStream scratch = new ByteArrayOutputStream();
            EventFormatting formatting = EventFormatting.formatEach(chunk, c -> {
                scratch.reset();
                formatter.format(c.tag(), c.epochSecond(), c.nanos(), c.record(), scratch);
                scratch.writeTo(bytes);
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
