package org.kinesisaggregator.server.app;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfParam;
import org.kinesisaggregator.server.route.GrepFilter;
import org.kinesisaggregator.server.route.RecordKey;

/**
 * Maps {@code <filter> @type grep} onto a {@link GrepFilter}: {@code <regexp>} and {@code <exclude>}
 * sections ({@code key}, {@code pattern}), the legacy {@code regexp1} … {@code regexp20} and
 * {@code exclude1} … {@code exclude20} parameters; {@code <and>}/{@code <or>} are refused.
 *
 * <p>Stateless; used on the assembling thread.
 */
public final class GrepConf {
    private GrepConf() {}

    /** Reads a {@code <filter> @type grep} element, marking what it reads used. */
    public static GrepFilter filter(ConfElement element) {
        List<GrepFilter.Condition> regexps = new ArrayList<>();
        List<GrepFilter.Condition> excludes = new ArrayList<>();
        for (String unsupported : List.of("and", "or")) {
            List<ConfElement> found = element.elements(unsupported);
            if (!found.isEmpty()) {
                throw new ConfException(
                        found.get(0).location(),
                        "<" + unsupported + "> in grep is not supported"
                                + " (expected: <regexp> and <exclude> sections, which combine as all-regexps-and-no-exclude)");
            }
        }
        for (ConfElement s : element.elements("regexp")) {
            regexps.add(section(s));
        }
        for (ConfElement s : element.elements("exclude")) {
            excludes.add(section(s));
        }
        for (Map.Entry<String, ConfParam> e : element.params().entrySet()) {
            String name = e.getKey();
            if (name.matches("(regexp|exclude)([1-9]|1[0-9]|20)")) {
                ConfParam p = element.param(name);
                String[] parts = p.value().trim().split("\\s+", 2);
                if (parts.length != 2) {
                    throw new ConfException(
                            p.location(), name + ": \"" + p.value() + "\" (expected: a key, a space and a pattern)");
                }
                GrepFilter.Condition c = new GrepFilter.Condition(key(parts[0], p), pattern(parts[1], p));
                (name.startsWith("regexp") ? regexps : excludes).add(c);
            }
        }
        return new GrepFilter(regexps, excludes);
    }

    private static GrepFilter.Condition section(ConfElement s) {
        s.markUsed();
        String key = s.requiredString("key");
        String pattern = s.requiredString("pattern");
        return new GrepFilter.Condition(key(key, s.param("key")), pattern(pattern, s.param("pattern")));
    }

    private static RecordKey key(String text, ConfParam p) {
        try {
            return RecordKey.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfException(p.location(), p.name() + ": " + e.getMessage(), e);
        }
    }

    /** {@code /re/flags} or a bare regex, as Fluentd's regexp type reads it. */
    static Pattern pattern(String text, ConfParam p) {
        String body = text;
        int flags = 0;
        if (text.startsWith("/")) {
            int close = text.lastIndexOf('/');
            if (close == 0 || close < text.length() - 3) {
                throw new ConfException(
                        p.location(),
                        p.name() + ": \"" + text + "\" is not a regexp (expected: /re/ with"
                                + " optional i or m flags, or a bare regex)");
            }
            for (char f : text.substring(close + 1).toCharArray()) {
                switch (f) {
                    case 'i' -> flags |= Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
                    case 'm' -> flags |= Pattern.DOTALL;
                    case 'x' -> flags |= Pattern.COMMENTS;
                    default ->
                        throw new ConfException(
                                p.location(), p.name() + ": unknown regexp flag '" + f + "' (expected: i, m or x)");
                }
            }
            body = text.substring(1, close);
        }
        try {
            return Pattern.compile(body, flags);
        } catch (PatternSyntaxException e) {
            throw new ConfException(
                    p.location(), p.name() + ": \"" + text + "\" is not a regexp (" + e.getDescription() + ")", e);
        }
    }
}
