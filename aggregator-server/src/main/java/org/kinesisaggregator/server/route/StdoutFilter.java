package org.kinesisaggregator.server.route;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.value.MapValue;

/**
 * {@code <filter> @type stdout}: prints each event, as Fluentd's stdout filter does (its
 * {@code <format>}, {@code stdout} by default: {@code 2026-11-25 12:00:00.123456789 +0000 tag:
 * {"k":"v"}}), and passes it on unchanged. For debugging: the line is written on the thread that
 * filters (the input's), like Fluentd writes it on the emitting thread. A failure to format or write
 * is the event's filter error (it goes to {@code @ERROR}).
 *
 * <p>Immutable; thread-safe (writes are serialized on the stream).
 */
public final class StdoutFilter implements EventFilter {

    /** Formats one event (the record as msgpack bytes) into {@code out}: an output's formatter. */
    @FunctionalInterface
    public interface LineFormat {
        void format(String tag, long epochSecond, int nanos, ByteBuffer record, ByteArrayOutputStream out)
                throws IOException;
    }

    private final LineFormat format;
    private final OutputStream out;

    public StdoutFilter(LineFormat format, OutputStream out) {
        this.format = Objects.requireNonNull(format, "format");
        this.out = Objects.requireNonNull(out, "out");
    }

    @Override
    public String type() {
        return "stdout";
    }

    @Override
    public MapValue filter(String tag, long epochSecond, int nanos, MapValue record) {
        try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
            packer.packValue(record);
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            format.format(tag, epochSecond, nanos, ByteBuffer.wrap(packer.toByteArray()), line);
            synchronized (out) {
                line.writeTo(out);
                out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("stdout filter: " + e.getMessage(), e);
        }
        return record;
    }
}
