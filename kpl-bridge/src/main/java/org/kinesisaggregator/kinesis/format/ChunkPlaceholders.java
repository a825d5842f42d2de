package org.kinesisaggregator.kinesis.format;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kinesisaggregator.buffer.ChunkMetadata;

/**
 * Fluentd's chunk placeholders ({@code Output#extract_placeholders}) in an output parameter such as
 * out_file's {@code path} or Kinesis' {@code stream_name}: {@code ${tag}}, {@code ${tag[N]}} (the
 * N-th dot-separated part from 0, negative N from the end), {@code ${chunk_id}}, and
 * {@code ${KEY}} for a record chunk key {@code KEY} of the {@code <buffer KEY>} argument, written
 * as there ({@code ${$.kubernetes.annotations.stream}}, {@code ${level}}), whose value comes from
 * the chunk's {@link ChunkMetadata}. Time placeholders ({@code %Y%m%d}) are the caller's.
 *
 * <p>A key name is what Fluentd's placeholder pattern takes: {@code [-_.@$a-zA-Z0-9]+}. Anything
 * else inside {@code ${...}} (Ruby: {@code ${record["a"]}}, {@code ${tag_parts[0]}}) is
 * {@link #unsupported}: the conf layer refuses it at start-up rather than leaving it literal.
 *
 * <p>Stateless; thread-safe.
 */
public final class ChunkPlaceholders {
    /** Any {@code ${...}}. */
    private static final Pattern ANY = Pattern.compile("\\$\\{([^}]*)}");

    private static final Pattern TAG = Pattern.compile("tag(?:\\[(-?\\d+)])?");
    private static final Pattern KEY = Pattern.compile("[-_.@$a-zA-Z0-9]+");

    private ChunkPlaceholders() {}

    /** The record chunk keys {@code template} names (not tag, tag[N] or chunk_id), in order. */
    public static Set<String> keysOf(String template) {
        Set<String> keys = new LinkedHashSet<>();
        Matcher m = ANY.matcher(template);
        while (m.find()) {
            String name = m.group(1);
            if (!TAG.matcher(name).matches()
                    && !name.equals("chunk_id")
                    && KEY.matcher(name).matches()) {
                keys.add(name);
            }
        }
        return keys;
    }

    /** True when {@code template} has {@code ${tag}} or {@code ${tag[N]}}. */
    public static boolean usesTag(String template) {
        Matcher m = ANY.matcher(template);
        while (m.find()) {
            if (TAG.matcher(m.group(1)).matches()) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code template} has any placeholder this class resolves. */
    public static boolean hasAny(String template) {
        return ANY.matcher(template).find();
    }

    /** The {@code ${...}} of {@code template} that are no placeholder (Ruby code, typos), in order. */
    public static List<String> unsupported(String template) {
        List<String> bad = new ArrayList<>();
        Matcher m = ANY.matcher(template);
        while (m.find()) {
            if (!KEY.matcher(m.group(1)).matches()) {
                bad.add(m.group());
            }
        }
        return bad;
    }

    /**
     * {@code template} with its placeholders replaced: the tag (or its part; "" when there is no
     * such part), the chunk id, and each key's value from {@code metadata} ("" when the chunk has no
     * such key), each value passed through {@code clean} (e.g. to keep {@code /} out of a file name).
     */
    public static String resolve(
            String template, String tag, String chunkId, ChunkMetadata metadata, UnaryOperator<String> clean) {
        Matcher m = ANY.matcher(template);
        if (!m.find()) {
            return template;
        }
        StringBuilder sb = new StringBuilder(template.length() + 32);
        String[] parts = null;
        int at = 0;
        do {
            sb.append(template, at, m.start());
            String name = m.group(1);
            Matcher t = TAG.matcher(name);
            String value;
            if (t.matches()) {
                if (t.group(1) == null) {
                    value = tag;
                } else {
                    if (parts == null) {
                        parts = tag.split("\\.", -1);
                    }
                    int i = Integer.parseInt(t.group(1));
                    i = i < 0 ? parts.length + i : i;
                    value = i >= 0 && i < parts.length ? parts[i] : "";
                }
            } else if (name.equals("chunk_id")) {
                value = chunkId;
            } else if (KEY.matcher(name).matches()) {
                String v = metadata.get(name);
                value = v == null ? "" : v;
            } else {
                value = m.group(); // refused at start-up; kept as written
                sb.append(value);
                at = m.end();
                continue;
            }
            sb.append(clean.apply(value));
            at = m.end();
        } while (m.find());
        sb.append(template, at, template.length());
        return sb.toString();
    }
}
