package org.kinesisaggregator.kinesis.internal;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.kinesis.format.StrftimeFormatter;

/**
 * A {@code stream_name} with Fluentd's tag placeholders: {@code ${tag}} (the whole tag) and
 * {@code ${tag[N]}} (the N-th dot-separated part, from 0; negative N counts from the end, as
 * Fluentd does), and {@code ${KEY}} for a record chunk key of {@code <buffer KEY>}
 * ({@code ${$.kubernetes.annotations.stream}}), whose value is the chunk's
 * ({@link ChunkMetadata}); the conf layer checks that every key is a chunk key. Time placeholders
 * ({@code %Y%m%d%H}, Ruby strftime) in the literal parts are allowed with the {@code time} chunk
 * key (a zone given to {@link #parse(String, ZoneId)}): they format the chunk's time slice start
 * ({@link ChunkMetadata#timekey()}) in that zone, as Fluentd's {@code extract_placeholders}; a value
 * of a record chunk key is never read as strftime. Without the time chunk key they are refused.
 *
 * <p>Resolution is cached per tag and metadata (bounded). Thread-safe.
 */
public final class StreamNameTemplate {
    /** Kinesis' stream name rule. */
    private static final Pattern STREAM_NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");

    private static final Pattern LITERAL = Pattern.compile("[a-zA-Z0-9_.-]+");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(?:tag(?:\\[(-?\\d+)])?|([-_.@$a-zA-Z0-9]+))}");
    private static final int MAX_CACHED_TAGS = 10_000;
    private static final Object INVALID_MARKER = new Object();

    private final String template;
    /** Literal strings, Integer part indexes (Integer.MIN_VALUE = whole tag) and {@link Key}s, in order. */
    private final List<Object> parts;

    private final ConcurrentHashMap<Object, Object> cache = new ConcurrentHashMap<>();

    /** A record chunk key's value. */
    private record Key(String name) {}

    /** A literal with strftime directives, formatting the chunk's time slice start. */
    private record Time(String pattern) {}

    private final ZoneId zone;

    private StreamNameTemplate(String template, List<Object> parts, ZoneId zone) {
        this.template = template;
        this.parts = parts;
        this.zone = zone;
    }

    /** Parses {@code template} without time placeholders (no time chunk key). */
    public static StreamNameTemplate parse(String template) {
        return parse(template, null);
    }

    /**
     * Parses {@code template}.
     *
     * @param zone with the time chunk key, the zone of strftime directives; null: {@code %} is refused
     * @throws IllegalArgumentException naming what is wrong
     */
    public static StreamNameTemplate parse(String template, ZoneId zone) {
        if (template == null || template.isEmpty()) {
            throw new IllegalArgumentException(
                    "stream_name: " + (template == null ? "null" : "\"\"") + " (expected: a stream name)");
        }
        List<Object> parts = new ArrayList<>();
        var matcher = PLACEHOLDER.matcher(template);
        int at = 0;
        while (matcher.find()) {
            if (matcher.start() > at) {
                parts.add(template.substring(at, matcher.start()));
            }
            if (matcher.group(2) != null && !matcher.group(2).equals("tag")) {
                parts.add(new Key(matcher.group(2)));
            } else {
                parts.add(matcher.group(1) == null ? Integer.MIN_VALUE : Integer.parseInt(matcher.group(1)));
            }
            at = matcher.end();
        }
        if (at < template.length()) {
            parts.add(template.substring(at));
        }
        for (int i = 0; i < parts.size(); i++) {
            if (zone != null && parts.get(i) instanceof String s && s.contains("%")) {
                try {
                    StrftimeFormatter.validate(s);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("stream_name: " + template + ": " + e.getMessage(), e);
                }
                String sample = StrftimeFormatter.of(s, zone).format(0, 0);
                if (!LITERAL.matcher(sample).matches()) {
                    throw new IllegalArgumentException("stream_name: " + template + ": " + s + " makes \"" + sample
                            + "\" (expected: strftime directives that make [a-zA-Z0-9_.-], such as %Y%m%d%H)");
                }
                parts.set(i, new Time(s));
            }
        }
        for (Object part : parts) {
            if (part instanceof String s && s.contains("%")) {
                throw new IllegalArgumentException("stream_name: " + template
                        + " has strftime placeholders, but the chunk keys have no time (expected: <buffer time> with"
                        + " timekey, or no %)");
            }
            if (part instanceof String s && !LITERAL.matcher(s).matches()) {
                throw new IllegalArgumentException("stream_name: " + template
                        + " (expected: a stream name of [a-zA-Z0-9_.-] with ${tag}, ${tag[N]} or ${KEY} placeholders"
                        + " only)");
            }
        }
        if (parts.stream().allMatch(p -> p instanceof String)
                && !STREAM_NAME.matcher(template).matches()) {
            throw new IllegalArgumentException("stream_name: " + template + " (expected: 1..128 of [a-zA-Z0-9_.-])");
        }
        return new StreamNameTemplate(template, List.copyOf(parts), zone);
    }

    /** True when the name does not depend on the tag. */
    public boolean isStatic() {
        return parts.stream().allMatch(p -> p instanceof String);
    }

    /** True when the name has strftime directives (formatting the chunk's time slice). */
    public boolean usesTime() {
        return parts.stream().anyMatch(p -> p instanceof Time);
    }

    /** The record chunk keys the name uses, in order. */
    public List<String> keys() {
        return parts.stream()
                .filter(p -> p instanceof Key)
                .map(p -> ((Key) p).name())
                .toList();
    }

    /** The name for {@code tag}, or null when the tag makes no valid stream name (see {@link #whyInvalid}). */
    public String resolve(String tag) {
        return resolve(tag, ChunkMetadata.NONE);
    }

    /**
     * The name for {@code tag} and the chunk's {@code metadata}, or null when they make no valid
     * stream name (see {@link #whyInvalid(String, ChunkMetadata)}).
     */
    public String resolve(String tag, ChunkMetadata metadata) {
        Object cacheKey = metadata.isEmpty() ? tag : List.of(tag, metadata);
        Object cached = cache.get(cacheKey);
        if (cached == null) {
            String name = build(tag, metadata);
            cached = name != null && STREAM_NAME.matcher(name).matches() ? name : INVALID_MARKER;
            if (cache.size() >= MAX_CACHED_TAGS) {
                cache.clear();
            }
            cache.put(cacheKey, cached);
        }
        return cached == INVALID_MARKER ? null : (String) cached;
    }

    /** Why {@code tag} makes no valid stream name, for the rejection reason. */
    public String whyInvalid(String tag) {
        return whyInvalid(tag, ChunkMetadata.NONE);
    }

    /** Why {@code tag} and {@code metadata} make no valid stream name, for the rejection reason. */
    public String whyInvalid(String tag, ChunkMetadata metadata) {
        String name = build(tag, metadata);
        if (name == null && usesTime() && metadata.timekey() == null) {
            return "stream_name " + template + ": the chunk has no time slice (expected: a chunk of a <buffer time>)";
        }
        if (name == null) {
            return "stream_name " + template + ": tag " + tag
                    + " has no such part (expected: a tag with enough dot-separated parts)";
        }
        return "stream_name " + template + ": tag " + tag + (metadata.isEmpty() ? "" : " and chunk keys " + metadata)
                + " makes \"" + name + "\" (expected: 1..128 of [a-zA-Z0-9_.-])";
    }

    private String build(String tag, ChunkMetadata metadata) {
        StringBuilder out = new StringBuilder(template.length() + tag.length());
        String[] tagParts = null;
        for (Object part : parts) {
            if (part instanceof String s) {
                out.append(s);
            } else if (part instanceof Time t) {
                Long slice = metadata.timekey();
                if (slice == null) {
                    return null;
                }
                out.append(StrftimeFormatter.of(t.pattern(), zone).format(slice, 0));
            } else if (part instanceof Key k) {
                String v = metadata.get(k.name());
                out.append(v == null ? "" : v);
            } else {
                int index = (Integer) part;
                if (index == Integer.MIN_VALUE) {
                    out.append(tag);
                    continue;
                }
                if (tagParts == null) {
                    tagParts = tag.split("\\.", -1);
                }
                int resolved = index < 0 ? tagParts.length + index : index;
                if (resolved < 0 || resolved >= tagParts.length) {
                    return null;
                }
                out.append(tagParts[resolved]);
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return template;
    }
}
