package org.kinesisaggregator.server.input;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.kinesisaggregator.buffer.EventEntries;
import org.kinesisaggregator.server.route.TextParser;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;

/**
 * Turns one in_http request into event entries, as Fluentd's in_http reads it: the path is the tag
 * ({@code /a/b} and {@code /a.b} are both {@code a.b}); the body is JSON or msgpack, an object being
 * one event and an array a batch; NDJSON ({@code application/x-ndjson}) one event a line; a form body's
 * {@code msgpack=}, {@code json=} or {@code ndjson=} field (or the query string's) likewise; the {@code time} parameter (seconds, float or integer; 0 or not a number: now)
 * times every event, else each record's {@code time_key} field when one is set, else now.
 *
 * <p>A request with one invalid event (a record that is not a map, a time outside what an EventTime
 * holds) is refused whole: {@link BadRequest}. Stateless; thread-safe.
 */
final class HttpEvents {
    static final int MAX_TAG_BYTES = 65535;
    private static final long MAX_SECONDS = 0xFFFF_FFFFL;

    private HttpEvents() {}

    /** A request that in_http would answer 400, with the reason for the body. */
    static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message);
        }
    }

    /** The events of one request, in the buffer's entry format. */
    record Batch(String tag, ByteBuffer entries, int count) {}

    /**
     * @param uri the request target ({@code /tag?time=…})
     * @param body the request body
     * @param remoteAddr the peer's address, for {@code add_remote_addr} without X-Forwarded-For
     */
    static Batch read(
            HttpSettings settings, String uri, HttpHeaders headers, byte[] body, String remoteAddr, Clock clock)
            throws BadRequest {
        // Parameters are decoded byte for byte (ISO-8859-1) so a msgpack= value keeps its bytes; json= is
        // then read as UTF-8.
        QueryStringDecoder query = new QueryStringDecoder(uri, StandardCharsets.ISO_8859_1);
        String tag = tag(query.path());
        Map<String, String> params = new HashMap<>();
        query.parameters().forEach((k, v) -> params.put(k, v.get(v.size() - 1)));
        Value parsed = switch (settings.format()) {
            case JSON -> json(new String(body, StandardCharsets.UTF_8));
            case MSGPACK -> msgpack(body);
            case DEFAULT -> byContentType(headers, body, params);
        };
        List<Value> records = parsed.isArrayValue() ? parsed.asArrayValue().list() : List.of(parsed);
        Map<Value, Value> added = added(settings, headers, remoteAddr, query);
        Instant paramTime = params.containsKey("time") ? paramTime(params.get("time"), clock) : null;
        try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
            for (int i = 0; i < records.size(); i++) {
                Value r = records.get(i);
                if (!r.isMapValue()) {
                    throw new BadRequest(
                            "event " + i + ": record " + abbreviate(r.toJson()) + " is not a hash (expected: {...})");
                }
                Map<Value, Value> record = new LinkedHashMap<>(r.asMapValue().map());
                Instant time = paramTime;
                if (time == null) {
                    time = recordTime(settings, record, i, clock);
                }
                record.putAll(added);
                packer.packArrayHeader(2);
                packer.packExtensionTypeHeader(EventEntries.EVENT_TIME_EXT_TYPE, EventEntries.EVENT_TIME_LENGTH);
                packer.writePayload(ByteBuffer.allocate(EventEntries.EVENT_TIME_LENGTH)
                        .putInt((int) time.getEpochSecond())
                        .putInt(time.getNano())
                        .array());
                packer.packValue(ValueFactory.newMap(record));
            }
            return new Batch(tag, ByteBuffer.wrap(packer.toByteArray()), records.size());
        } catch (IOException e) {
            throw new IllegalStateException("packing in memory failed", e);
        }
    }

    static String tag(String path) throws BadRequest {
        String p = path;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        // The path was decoded as ISO-8859-1: its bytes are UTF-8.
        String tag = new String(p.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8).replace('/', '.');
        if (tag.isEmpty()) {
            throw new BadRequest("no tag: the path is the tag (expected: POST /TAG)");
        }
        if (tag.getBytes(StandardCharsets.UTF_8).length > MAX_TAG_BYTES) {
            throw new BadRequest("tag longer than " + MAX_TAG_BYTES + " bytes");
        }
        for (int i = 0; i < tag.length(); i++) {
            char c = tag.charAt(i);
            if (Character.isISOControl(c) || c == '\uFFFD') {
                throw new BadRequest("tag has a control character or invalid UTF-8 (expected: printable text)");
            }
        }
        return tag;
    }

    private static Value byContentType(HttpHeaders headers, byte[] body, Map<String, String> params) throws BadRequest {
        String type = headers.get(HttpHeaderNames.CONTENT_TYPE, "").toLowerCase(Locale.ROOT);
        if (type.startsWith("application/x-www-form-urlencoded")) {
            QueryStringDecoder form = new QueryStringDecoder(
                    new String(body, StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1, false);
            form.parameters().forEach((k, v) -> params.put(k, v.get(v.size() - 1)));
        } else if (type.startsWith("application/msgpack")) {
            return msgpack(body);
        } else if (type.startsWith("application/json") || type.startsWith("application/csp-report")) {
            return json(new String(body, StandardCharsets.UTF_8));
        } else if (type.startsWith("application/x-ndjson")) {
            return ndjson(new String(body, StandardCharsets.UTF_8));
        }
        String msgpack = params.get("msgpack");
        if (msgpack != null) {
            return msgpack(msgpack.getBytes(StandardCharsets.ISO_8859_1));
        }
        String json = params.get("json");
        if (json != null) {
            return json(new String(json.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
        }
        throw new BadRequest(
                "'json' or 'msgpack' parameter is required"
                        + " (expected: Content-Type application/json or application/msgpack, or a form with json= or msgpack=)");
    }

    private static Value json(String text) throws BadRequest {
        try {
            return TextParser.readJsonValue(text);
        } catch (IllegalArgumentException e) {
            throw new BadRequest("body is not JSON: " + e.getMessage());
        }
    }

    /** One JSON value a line (blank lines skipped), as an array of them. */
    private static Value ndjson(String text) throws BadRequest {
        List<Value> values = new ArrayList<>();
        for (String line : text.split("\\r?\\n")) {
            if (!line.isBlank()) {
                values.add(json(line));
            }
        }
        return ValueFactory.newArray(values);
    }

    private static Value msgpack(byte[] bytes) throws BadRequest {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
            if (!u.hasNext()) {
                throw new BadRequest("body is not msgpack: empty");
            }
            Value v = u.unpackValue();
            if (u.hasNext()) {
                throw new BadRequest("body is not msgpack: bytes after the first value");
            }
            return v;
        } catch (IOException | MessagePackException e) {
            throw new BadRequest("body is not msgpack: " + e.getMessage());
        }
    }

    private static Map<Value, Value> added(
            HttpSettings settings, HttpHeaders headers, String remoteAddr, QueryStringDecoder query) {
        Map<Value, Value> added = new LinkedHashMap<>();
        if (settings.addQueryParams()) {
            query.parameters().forEach((k, v) -> {
                String key = "QUERY_" + k.replace('-', '_').toUpperCase(Locale.ROOT);
                String value =
                        new String(v.get(v.size() - 1).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
                added.put(ValueFactory.newString(key), ValueFactory.newString(value));
            });
        }
        if (settings.addHttpHeaders()) {
            for (Map.Entry<String, String> h : headers) {
                String key = "HTTP_" + h.getKey().replace('-', '_').toUpperCase(Locale.ROOT);
                added.put(ValueFactory.newString(key), ValueFactory.newString(h.getValue()));
            }
        }
        if (settings.addRemoteAddr()) {
            added.put(ValueFactory.newString("REMOTE_ADDR"), ValueFactory.newString(remoteAddr(headers, remoteAddr)));
        }
        return added;
    }

    /** in_http's REMOTE_ADDR: the first X-Forwarded-For entry when there is one, else the peer. */
    static String remoteAddr(HttpHeaders headers, String peer) {
        String forwarded = headers.get("X-Forwarded-For");
        if (forwarded != null) {
            String first = forwarded.split(",", -1)[0].strip();
            if (!first.isEmpty()) {
                return first;
            }
        }
        return peer;
    }

    /** The {@code time} parameter as in_http reads it: {@code to_f}, 0 meaning now. */
    private static Instant paramTime(String text, Clock clock) throws BadRequest {
        double seconds;
        try {
            seconds = Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            seconds = 0;
        }
        if (seconds == 0) {
            return clock.instant();
        }
        return seconds(seconds, "time parameter " + abbreviate(text));
    }

    private static Instant recordTime(HttpSettings settings, Map<Value, Value> record, int index, Clock clock)
            throws BadRequest {
        if (settings.timeKey() == null) {
            return clock.instant();
        }
        Value key = ValueFactory.newString(settings.timeKey());
        Value v = settings.keepTimeKey() ? record.get(key) : record.remove(key);
        if (v == null || v.isNilValue()) {
            return clock.instant();
        }
        String what = "event " + index + ": " + settings.timeKey() + " " + abbreviate(v.toJson());
        if (v.isIntegerValue()) {
            if (!v.asIntegerValue().isInLongRange()) {
                throw new BadRequest(what + " is out of range (expected: 0 … " + MAX_SECONDS + " seconds)");
            }
            return seconds(v.asIntegerValue().toLong(), what);
        }
        if (v.isFloatValue()) {
            return seconds(v.asFloatValue().toDouble(), what);
        }
        if (v.isStringValue()) {
            try {
                return seconds(Double.parseDouble(v.asStringValue().asString().strip()), what);
            } catch (NumberFormatException e) {
                throw new BadRequest(what + " is not a number (expected: seconds since the epoch)");
            }
        }
        throw new BadRequest(what + " is not a number (expected: seconds since the epoch)");
    }

    private static Instant seconds(double seconds, String what) throws BadRequest {
        if (!(seconds >= 0 && seconds < MAX_SECONDS + 1)) {
            throw new BadRequest(what + " is out of range (expected: 0 … " + MAX_SECONDS + " seconds)");
        }
        long s = (long) Math.floor(seconds);
        long nanos = Math.round((seconds - s) * 1_000_000_000d);
        if (nanos >= 1_000_000_000L) {
            s++;
            nanos -= 1_000_000_000L;
        }
        if (s > MAX_SECONDS) {
            throw new BadRequest(what + " is out of range (expected: 0 … " + MAX_SECONDS + " seconds)");
        }
        return Instant.ofEpochSecond(s, nanos);
    }

    private static String abbreviate(String text) {
        return text.length() <= 100 ? text : text.substring(0, 100) + "…";
    }
}
