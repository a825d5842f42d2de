package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.kinesisaggregator.buffer.EventTimes;

/**
 * The JSON-framed side of the forward protocol, as {@code in_forward} accepts it on a connection
 * whose first byte is {@code {} or {@code [} ({@link ProtocolSniffer} installs this decoder then):
 * each JSON request (a Message {@code [tag, time, record, option?]} or Forward
 * {@code [tag, [[time, record], ...], option?]}) becomes one {@link ForwardEvents} in the buffer's
 * entry format, with the same rules as msgpack input: a time outside {@link EventTimes#RANGE} or a
 * record that is not an object is an invalid event ({@code skip_invalid_event}), nil/0 times are
 * "now", only a non-empty string {@code chunk} gives a dedup key, nesting is bounded. A JSON
 * {@code null} request is a no-op.
 *
 * <p>The values themselves are parsed by {@link JsonRequestParser}, which bounds one request to
 * {@link ForwardDecoderConfig#maxJsonMessageBytes()}. Any violation throws
 * {@link ForwardProtocolException}; the decoder then discards everything until the connection
 * closes (the pipeline's error handling logs and closes). A connection that ends inside a request
 * fails with {@link ErrorReason#TRUNCATED}. JSON is never sliced: one request is bounded in size,
 * so {@link #hasBacklog()} is always false.
 *
 * <p>Owns its parser (closed when the handler is removed). Not thread-safe; one per connection,
 * confined to its event loop.
 */
public final class JsonForwardDecoder extends ByteToMessageDecoder implements ForwardDecoder {

    /** The request being converted: its tag and event counts. */
    private static final class Request {
        final String tag;
        long eventCount;
        int skippedEvents;
        String firstSkipReason;

        Request(String tag) {
            this.tag = tag;
        }
    }

    private final ForwardDecoderConfig config;
    private final JsonRequestParser parser;
    private long consumedBytes;
    private boolean failed;
    // where the last request started being converted (bytes fed by then) and its tag: the end of
    // input reports a truncated request from these
    private long lastRequestStart;
    private String lastRequestTag;

    public JsonForwardDecoder(ForwardDecoderConfig config) {
        this.config = config;
        this.parser = new JsonRequestParser(config.maxJsonMessageBytes());
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            convert(ctx.alloc(), in, out);
        } catch (RuntimeException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw ForwardProtocolException.of(e);
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.isReadable()) {
            decode(ctx, in, out);
        }
        if (!failed && (in.isReadable() || parser.isMidValue())) {
            long received = consumedBytes - lastRequestStart + in.readableBytes();
            failed = true;
            in.skipBytes(in.readableBytes());
            throw ForwardProtocolException.truncated(received, lastRequestTag);
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        parser.close();
    }

    @Override
    public boolean isMidMessage() {
        return !failed && (actualReadableBytes() > 0 || parser.isMidValue());
    }

    /**
     * Consumes all readable bytes of {@code in} and adds a {@link ForwardEvents} to {@code out} for
     * each request they complete; buffers come from {@code alloc} and are owned by the receiver.
     */
    private void convert(ByteBufAllocator alloc, ByteBuf in, List<Object> out) {
        List<Object> values = new ArrayList<>(2);
        int before = in.readableBytes();
        parser.feed(in, values);
        consumedBytes += before - in.readableBytes();
        for (Object value : values) {
            ForwardEvents events = jsonEvents(alloc, value);
            if (events != null) {
                out.add(events);
            }
        }
    }

    private ForwardEvents jsonEvents(ByteBufAllocator alloc, Object value) {
        if (value == JsonRequestParser.JsonNull.INSTANCE) {
            return null;
        }
        if (!(value instanceof List<?> message)) {
            throw ForwardProtocolException.malformed("message", "JSON " + jsonType(value), "a JSON array");
        }
        if (message.size() < 2 || message.size() > 4) {
            throw ForwardProtocolException.malformed(
                    "message",
                    "JSON array of " + message.size(),
                    "[tag, time, record, option?] or [tag, entries, option?]");
        }
        if (!(message.get(0) instanceof String rawTag)) {
            throw ForwardProtocolException.malformed("tag", "JSON " + jsonType(message.get(0)), "string");
        }
        byte[] tagBytes = rawTag.getBytes(StandardCharsets.UTF_8);
        if (tagBytes.length > ForwardDecoderConfig.MAX_TAG_BYTES) {
            throw ForwardProtocolException.limit(
                    "tag", tagBytes.length + " bytes", "<= " + ForwardDecoderConfig.MAX_TAG_BYTES + " bytes");
        }
        Request request = new Request(config.addTagPrefix() == null ? rawTag : config.addTagPrefix() + "." + rawTag);
        lastRequestStart = consumedBytes;
        lastRequestTag = request.tag;
        Object second = message.get(1);
        Object option;
        ByteBuf entries = alloc.buffer();
        int events = 0;
        try {
            if (second instanceof List<?> list) {
                if (message.size() > 3) {
                    throw ForwardProtocolException.malformed(
                            "message", "JSON array of 4 with entries", "[tag, entries, option?]");
                }
                for (Object entry : list) {
                    if (entry instanceof List<?> pair && pair.size() == 2) {
                        events += jsonEntry(request, entries, pair.get(0), pair.get(1));
                    } else {
                        skipJson(request, "entry: JSON " + jsonType(entry) + " (expected: [time, record])");
                    }
                }
                option = message.size() == 3 ? message.get(2) : null;
            } else {
                if (message.size() < 3) {
                    throw ForwardProtocolException.malformed(
                            "message",
                            "JSON array of 2 with " + jsonType(second),
                            "[tag, entries, option?] with entries an array");
                }
                events += jsonEntry(request, entries, second, message.get(2));
                option = message.size() == 4 ? message.get(3) : null;
            }
            return new ForwardEvents(
                    request.tag,
                    entries,
                    events,
                    jsonOption(option),
                    ForwardMode.JSON,
                    0,
                    request.skippedEvents,
                    request.firstSkipReason);
        } catch (RuntimeException e) {
            entries.release();
            throw e;
        }
    }

    private int jsonEntry(Request request, ByteBuf out, Object time, Object record) {
        if (!(record instanceof Map<?, ?>)) {
            skipJson(request, "record: JSON " + jsonType(record) + " (expected: object)");
            return 0;
        }
        long seconds;
        int nanos;
        boolean integer;
        if (time == null) {
            seconds = 0;
            nanos = 0;
            integer = true;
        } else if (time instanceof Long l) {
            if (l != 0 && !EventTimes.isRepresentable(l, 0)) {
                skipJson(request, "time: integer " + l + " (expected: " + EventTimes.RANGE + ")");
                return 0;
            }
            seconds = l;
            nanos = 0;
            integer = true;
        } else if (time instanceof Double d && !d.isNaN() && !d.isInfinite()) {
            if ((long) d.doubleValue() == 0) {
                seconds = 0;
                nanos = 0;
            } else if (!EventTimes.isRepresentable(d)) {
                skipJson(request, "time: float " + d + " (expected: " + EventTimes.RANGE + ")");
                return 0;
            } else {
                seconds = (long) Math.floor(d);
                nanos = (int) Math.min(EventTimes.MAX_NANOS, Math.round((d - seconds) * 1e9));
            }
            integer = false;
        } else {
            skipJson(request, "time: JSON " + jsonType(time) + " (expected: number)");
            return 0;
        }
        Msgpack.writeArrayHeader(out, 2);
        if (seconds == 0) {
            Instant now = config.clock().instant();
            Msgpack.writeEventTime(out, now.getEpochSecond(), now.getNano());
        } else if (integer) {
            Msgpack.writeLong(out, seconds);
        } else {
            Msgpack.writeEventTime(out, seconds, nanos);
        }
        writeJsonValue(out, record, 0);
        request.eventCount++;
        return 1;
    }

    private void skipJson(Request request, String reason) {
        if (!config.skipInvalidEvent()) {
            throw new ForwardProtocolException(
                    ErrorReason.INVALID_EVENT,
                    "event " + (request.eventCount + request.skippedEvents + 1) + ": " + reason);
        }
        request.skippedEvents++;
        if (request.firstSkipReason == null) {
            request.firstSkipReason = "event " + (request.eventCount + request.skippedEvents) + ": " + reason;
        }
    }

    private void writeJsonValue(ByteBuf out, Object value, int depth) {
        if (depth > config.maxDepth()) {
            throw ForwardProtocolException.limit("nesting depth", "> " + config.maxDepth(), "<= " + config.maxDepth());
        }
        if (value == null) {
            out.writeByte(Msgpack.NIL);
        } else if (value instanceof String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            Msgpack.writeStrHeader(out, bytes.length);
            out.writeBytes(bytes);
        } else if (value instanceof Long l) {
            Msgpack.writeLong(out, l);
        } else if (value instanceof Double d) {
            Msgpack.writeDouble(out, d);
        } else if (value instanceof Boolean b) {
            out.writeByte(b ? Msgpack.TRUE : Msgpack.FALSE);
        } else if (value instanceof Map<?, ?> map) {
            Msgpack.writeMapHeader(out, map.size());
            for (Map.Entry<?, ?> e : map.entrySet()) {
                writeJsonValue(out, e.getKey(), depth + 1);
                writeJsonValue(out, e.getValue(), depth + 1);
            }
        } else if (value instanceof List<?> list) {
            Msgpack.writeArrayHeader(out, list.size());
            for (Object o : list) {
                writeJsonValue(out, o, depth + 1);
            }
        } else {
            throw new IllegalStateException("JSON value of " + value.getClass());
        }
    }

    private static ForwardOption jsonOption(Object option) {
        if (!(option instanceof Map<?, ?> map)) {
            return ForwardOption.NONE;
        }
        Object chunk = map.get("chunk");
        long size = map.get("size") instanceof Long l ? l : -1;
        if (chunk == null) {
            return size < 0 ? ForwardOption.NONE : new ForwardOption(null, null, size, null);
        }
        byte[] ackValue = JsonRequestParser.toJson(chunk);
        // only a non-empty string id dedups: "", null or a number is acked but always stored
        byte[] dedupKey = chunk instanceof String s && !s.isEmpty() ? s.getBytes(StandardCharsets.UTF_8) : null;
        return new ForwardOption(ackValue, dedupKey, size, null);
    }

    private static String jsonType(Object value) {
        if (value == null || value == JsonRequestParser.JsonNull.INSTANCE) {
            return "null";
        } else if (value instanceof String) {
            return "string";
        } else if (value instanceof Map<?, ?>) {
            return "object";
        } else if (value instanceof List<?>) {
            return "array";
        } else if (value instanceof Boolean) {
            return "boolean";
        }
        return "number";
    }
}
