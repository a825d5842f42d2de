package org.kinesisaggregator.kinesis.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A {@code stream_name} with Fluentd's tag placeholders: {@code ${tag}} (the whole tag) and
 * {@code ${tag[N]}} (the N-th dot-separated part, from 0; negative N counts from the end, as
 * Fluentd does). Other placeholders ({@code ${$.key}}, {@code %Y}) are refused at parse time: stream
 * names are routed per event here, by tag only.
 *
 * <p>Resolution is cached per tag (bounded). Thread-safe.
 */
public final class StreamNameTemplate {
    /** Kinesis' stream name rule. */
    private static final Pattern STREAM_NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");

    private static final Pattern LITERAL = Pattern.compile("[a-zA-Z0-9_.-]+");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{tag(?:\\[(-?\\d+)])?}");
    private static final int MAX_CACHED_TAGS = 10_000;
    private static final Object INVALID_MARKER = new Object();

    private final String template;
    /** Literal strings and Integer part indexes (Integer.MIN_VALUE = whole tag), in order. */
    private final List<Object> parts;

    private final ConcurrentHashMap<String, Object> cache = new ConcurrentHashMap<>();

    private StreamNameTemplate(String template, List<Object> parts) {
        this.template = template;
        this.parts = parts;
    }

    /**
     * Parses {@code template}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static StreamNameTemplate parse(String template) {
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
            parts.add(matcher.group(1) == null ? Integer.MIN_VALUE : Integer.parseInt(matcher.group(1)));
            at = matcher.end();
        }
        if (at < template.length()) {
            parts.add(template.substring(at));
        }
        for (Object part : parts) {
            if (part instanceof String s && !LITERAL.matcher(s).matches()) {
                throw new IllegalArgumentException("stream_name: " + template
                        + " (expected: a stream name of [a-zA-Z0-9_.-] with ${tag} or ${tag[N]} placeholders only)");
            }
        }
        if (parts.stream().allMatch(p -> p instanceof String)
                && !STREAM_NAME.matcher(template).matches()) {
            throw new IllegalArgumentException("stream_name: " + template + " (expected: 1..128 of [a-zA-Z0-9_.-])");
        }
        return new StreamNameTemplate(template, List.copyOf(parts));
    }

    /** True when the name does not depend on the tag. */
    public boolean isStatic() {
        return parts.stream().allMatch(p -> p instanceof String);
    }

    /** The name for {@code tag}, or null when the tag makes no valid stream name (see {@link #whyInvalid}). */
    public String resolve(String tag) {
        Object cached = cache.get(tag);
        if (cached == null) {
            String name = build(tag);
            cached = name != null && STREAM_NAME.matcher(name).matches() ? name : INVALID_MARKER;
            if (cache.size() >= MAX_CACHED_TAGS) {
                cache.clear();
            }
            cache.put(tag, cached);
        }
        return cached == INVALID_MARKER ? null : (String) cached;
    }

    /** Why {@code tag} makes no valid stream name, for the rejection reason. */
    public String whyInvalid(String tag) {
        String name = build(tag);
        if (name == null) {
            return "stream_name " + template + ": tag " + tag
                    + " has no such part (expected: a tag with enough dot-separated parts)";
        }
        return "stream_name " + template + ": tag " + tag + " makes \"" + name
                + "\" (expected: 1..128 of [a-zA-Z0-9_.-])";
    }

    private String build(String tag) {
        StringBuilder out = new StringBuilder(template.length() + tag.length());
        String[] tagParts = null;
        for (Object part : parts) {
            if (part instanceof String s) {
                out.append(s);
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
