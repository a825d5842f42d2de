package org.kinesisaggregator.server.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON-framed requests, as in_forward accepts them on a connection whose first byte is {@code {}
 * or {@code [}: a stream of JSON values, each a Message {@code [tag, time, record, option?]} or
 * Forward {@code [tag, [[time, record], ...], option?]} request. Parsed incrementally with
 * jackson-core's non-blocking parser into small trees; one value may hold at most
 * {@code maxMessageBytes} of input (JSON is a convenience path, not the bulk one).
 *
 * <p>Not thread-safe; one per connection.
 */
final class JsonRequestParser implements AutoCloseable {
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final int FEED_BYTES = 8192;

    private final JsonParser parser;
    private final ByteArrayFeeder feeder;
    private final byte[] chunk = new byte[FEED_BYTES];
    private final int maxMessageBytes;
    private final Deque<Object> stack = new ArrayDeque<>();
    private final Deque<String> fieldNames = new ArrayDeque<>();
    private long bytesSinceValue;
    private String fieldName;

    JsonRequestParser(int maxMessageBytes) {
        try {
            this.parser = FACTORY.createNonBlockingByteArrayParser();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Consumes readable bytes of {@code in}, adding each complete top-level value to {@code values}. */
    void feed(ByteBuf in, List<Object> values) {
        try {
            while (true) {
                pull(values);
                if (!in.isReadable() || !feeder.needMoreInput()) {
                    return;
                }
                int n = Math.min(in.readableBytes(), FEED_BYTES);
                in.readBytes(chunk, 0, n);
                feeder.feedInput(chunk, 0, n);
                bytesSinceValue += n;
            }
        } catch (StreamConstraintsException e) {
            throw new ForwardProtocolException(
                    ErrorReason.LIMIT, "json: " + e.getOriginalMessage() + " (expected: within jackson's limits)", e);
        } catch (IOException e) {
            throw new ForwardProtocolException(
                    ErrorReason.MALFORMED, "json: " + e.getMessage().split("\n")[0] + " (expected: valid JSON)", e);
        }
    }

    private void pull(List<Object> values) throws IOException {
        JsonToken token;
        while ((token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
            if (bytesSinceValue > (long) maxMessageBytes + FEED_BYTES) {
                throw ForwardProtocolException.limit(
                        "json message", "more than " + maxMessageBytes + " bytes", "<= " + maxMessageBytes + " bytes");
            }
            switch (token) {
                case START_OBJECT -> open(new LinkedHashMap<String, Object>());
                case START_ARRAY -> open(new ArrayList<>());
                case END_OBJECT, END_ARRAY -> {
                    Object done = stack.pop();
                    fieldName = stack.isEmpty() ? null : fieldNames.pop();
                    add(done, values);
                }
                case FIELD_NAME -> fieldName = parser.currentName();
                case VALUE_STRING -> add(parser.getText(), values);
                case VALUE_NUMBER_INT ->
                    add(
                            parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                                    ? (Object) parser.getDoubleValue()
                                    : (Object) parser.getLongValue(),
                            values);
                case VALUE_NUMBER_FLOAT -> add(parser.getDoubleValue(), values);
                case VALUE_TRUE -> add(Boolean.TRUE, values);
                case VALUE_FALSE -> add(Boolean.FALSE, values);
                case VALUE_NULL -> add(null, values);
                default -> throw ForwardProtocolException.malformed("json", token, "JSON values");
            }
        }
    }

    private void open(Object container) {
        if (!stack.isEmpty()) {
            fieldNames.push(fieldName == null ? "" : fieldName);
        }
        stack.push(container);
        fieldName = null;
    }

    @SuppressWarnings("unchecked")
    private void add(Object value, List<Object> values) {
        if (stack.isEmpty()) {
            values.add(value == null ? JsonNull.INSTANCE : value);
            bytesSinceValue = 0;
            return;
        }
        Object top = stack.peek();
        if (top instanceof List<?> list) {
            ((List<Object>) list).add(value);
        } else {
            ((Map<String, Object>) top).put(fieldName, value);
            fieldName = null;
        }
    }

    /** Part of a JSON value has been read. */
    boolean isMidValue() {
        return !stack.isEmpty();
    }

    /** A top-level JSON null (a no-op request). */
    enum JsonNull {
        INSTANCE
    }

    /** The JSON text of {@code value} (maps, lists, strings, numbers, booleans, null). */
    static byte[] toJson(Object value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator gen = FACTORY.createGenerator(bytes)) {
            write(gen, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void write(JsonGenerator gen, Object value) throws IOException {
        if (value == null) {
            gen.writeNull();
        } else if (value instanceof String s) {
            gen.writeString(s);
        } else if (value instanceof Long l) {
            gen.writeNumber(l);
        } else if (value instanceof Double d) {
            gen.writeNumber(d);
        } else if (value instanceof Boolean b) {
            gen.writeBoolean(b);
        } else if (value instanceof Map<?, ?> map) {
            gen.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                gen.writeFieldName(String.valueOf(e.getKey()));
                write(gen, e.getValue());
            }
            gen.writeEndObject();
        } else if (value instanceof List<?> list) {
            gen.writeStartArray();
            for (Object o : list) {
                write(gen, o);
            }
            gen.writeEndArray();
        } else {
            gen.writeString(String.valueOf(value));
        }
    }

    @Override
    public void close() {
        try {
            parser.close();
        } catch (IOException ignored) {
            // in-memory parser: nothing to release
        }
    }
}
