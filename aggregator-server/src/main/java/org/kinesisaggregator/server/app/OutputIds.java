package org.kinesisaggregator.server.app;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.kinesisaggregator.conf.ConfElement;

/**
 * Output ids: an output's {@code @id}, or one derived from its type and match pattern. The id names
 * the output's buffer directory ({@code <path>/<output id>}), its threads and its metrics.
 *
 * <p>Derived ids: {@code <type>-<pattern>} with {@code **} written {@code all}, {@code *} written
 * {@code any}, and every character other than letters, digits, {@code .}, {@code _}, {@code -}
 * written {@code _}; inside a label, {@code <label name>-} comes first; ids over 80 characters are cut
 * and end with a hash; a repeated id gets {@code -2}, {@code -3}, … in conf order. A {@code <store>}
 * of copy is {@code <copy's id>-store<N>}. Examples: {@code <match kinesis.**> @type kinesis_producer}
 * → {@code kinesis_producer-kinesis.all}. Changing the pattern or the type moves the buffer, so
 * {@code @id} is better (a warning says so).
 *
 * <p>Not thread-safe: one per assembly.
 */
final class OutputIds {
    private static final int MAX_LENGTH = 80;
    private final Set<String> taken = new HashSet<>();

    /** Registers an explicit {@code @id}; it must be a safe directory name and unique. */
    String explicit(ConfElement element, String id) {
        if (!id.matches("[A-Za-z0-9._:-]+") || id.equals(".") || id.equals("..")) {
            throw element.error(
                    "@id",
                    "\"" + id + "\" is not a valid id (expected: letters, digits, '.', '_', '-', ':'; it"
                            + " names the buffer directory)");
        }
        if (!taken.add(id)) {
            throw element.error(
                    "@id",
                    "\"" + id
                            + "\" is used twice or equals the derived id of an output before it (expected: unique ids)");
        }
        return id;
    }

    /** Derives the id of an output without {@code @id}. */
    String derive(String label, String type, String pattern) {
        StringBuilder sb = new StringBuilder();
        if (label != null) {
            sb.append(sanitize(label.startsWith("@") ? label.substring(1) : label))
                    .append('-');
        }
        sb.append(sanitize(type))
                .append('-')
                .append(sanitize(pattern.replace("**", "all").replace("*", "any")));
        String id = sb.toString();
        if (id.length() > MAX_LENGTH) {
            id = id.substring(0, MAX_LENGTH - 9) + "-" + hash(id);
        }
        return unique(id);
    }

    /** The id of the {@code n}th (1-based) {@code <store>} of a copy whose id is {@code parentId}. */
    String store(String parentId, int n) {
        return unique(parentId + "-store" + n);
    }

    private String unique(String id) {
        if (taken.add(id)) {
            return id;
        }
        for (int i = 2; ; i++) {
            String candidate = id + "-" + i;
            if (taken.add(candidate)) {
                return candidate;
            }
        }
    }

    private static String sanitize(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(Character.isLetterOrDigit(c) && c < 128 || c == '.' || c == '_' || c == '-' ? c : '_');
        }
        String out = sb.toString();
        while (out.startsWith(".")) {
            out = "_" + out.substring(1);
        }
        return out.isEmpty() ? "_" : out;
    }

    private static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
