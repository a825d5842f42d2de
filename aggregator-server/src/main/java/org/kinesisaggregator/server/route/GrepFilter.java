package org.kinesisaggregator.server.route;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.msgpack.value.MapValue;

/**
 * {@code <filter> @type grep}: keeps an event when every {@code <regexp>} finds its pattern in its
 * key's value and no {@code <exclude>} does (Fluentd's filter_grep without {@code <and>}/{@code <or>}).
 *
 * <p>Conf (mapped by {@code server.app.GrepConf}): {@code <regexp>} and {@code <exclude>} sections with {@code key} (a field or a
 * {@code $.a.b} path) and {@code pattern} ({@code /re/} with optional {@code i}/{@code m} flags, or
 * a bare regex); the legacy {@code regexp1} … {@code regexp20} and {@code exclude1} …
 * {@code exclude20} parameters ({@code "key pattern"}) mean the same. A value is searched (not
 * fully matched) as text: a missing key or nil is "", numbers and booleans as written, maps and
 * arrays as JSON.
 *
 * <p>Immutable; thread-safe.
 */
public final class GrepFilter implements EventFilter {
    private final List<Condition> regexps;
    private final List<Condition> excludes;

    /** One {@code <regexp>} or {@code <exclude>}: the pattern searched in the key's value. */
    public record Condition(RecordKey key, Pattern pattern) {
        public Condition {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(pattern, "pattern");
        }

        boolean test(MapValue record) {
            return pattern.matcher(Values.text(key.get(record))).find();
        }
    }

    public GrepFilter(List<Condition> regexps, List<Condition> excludes) {
        this.regexps = List.copyOf(regexps);
        this.excludes = List.copyOf(excludes);
    }

    @Override
    public String type() {
        return "grep";
    }

    @Override
    public MapValue filter(String tag, long epochSecond, int nanos, MapValue record) {
        for (Condition c : regexps) {
            if (!c.test(record)) {
                return null;
            }
        }
        for (Condition c : excludes) {
            if (c.test(record)) {
                return null;
            }
        }
        return record;
    }
}
