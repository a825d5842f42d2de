package org.kinesisaggregator.conf;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * One element of the conf tree: a directive ({@code <match kinesis.**>}), a nested section
 * ({@code <buffer>}), or the root. Keeps its name, its argument, where it starts, its parameters in
 * file order (a parameter written twice keeps the last value) and its child elements.
 *
 * <p>Typed accessors ({@link #time}, {@link #size}, {@link #bool}, …) mark the parameter used and
 * throw {@link ConfException} naming file, line and parameter when the value does not fit. After
 * the application is assembled, {@link #unused()} lists what no plugin read (Fluentd's "parameter
 * 'x' in &lt;match y&gt; is not used." warning).
 *
 * <p>Not thread-safe: confined to the thread that loads the conf and assembles the application.
 */
public final class ConfElement {
    /** Name of the implicit top element of a file. */
    public static final String ROOT = "ROOT";

    private final String name;
    private final String arg;
    private final ConfLocation location;
    private final Map<String, ConfParam> params = new LinkedHashMap<>();
    private final List<ConfElement> children = new ArrayList<>();
    private boolean used;

    public ConfElement(String name, String arg, ConfLocation location) {
        this.name = Objects.requireNonNull(name, "name");
        this.arg = Objects.requireNonNull(arg, "arg");
        this.location = Objects.requireNonNull(location, "location");
    }

    public String name() {
        return name;
    }

    /** The argument of the start tag ({@code kinesis.**} of {@code <match kinesis.**>}), "" when none. */
    public String arg() {
        return arg;
    }

    public ConfLocation location() {
        return location;
    }

    /** {@code <match kinesis.**>}, for messages. */
    public String describe() {
        return arg.isEmpty() ? "<" + name + ">" : "<" + name + " " + arg + ">";
    }

    /** Adds or replaces a parameter (the parser's and mappers' use). Returns the one it replaced, or null. */
    public ConfParam put(ConfParam param) {
        return params.put(param.name(), param);
    }

    public void addChild(ConfElement child) {
        children.add(child);
    }

    /** All parameters in file order (does not mark them used). */
    public Map<String, ConfParam> params() {
        return Collections.unmodifiableMap(params);
    }

    /** All child elements in file order. */
    public List<ConfElement> elements() {
        return Collections.unmodifiableList(children);
    }

    /** Child elements named {@code childName}; marks them used. */
    public List<ConfElement> elements(String childName) {
        List<ConfElement> out = new ArrayList<>();
        for (ConfElement c : children) {
            if (c.name.equals(childName)) {
                c.markUsed();
                out.add(c);
            }
        }
        return out;
    }

    /** The single child element named {@code childName}, or null; two of them are an error. */
    public ConfElement element(String childName) {
        List<ConfElement> found = elements(childName);
        if (found.size() > 1) {
            throw new ConfException(
                    found.get(1).location,
                    "section <" + childName + "> given twice in " + describe() + " (first at " + found.get(0).location
                            + "; expected: at most one)");
        }
        return found.isEmpty() ? null : found.get(0);
    }

    public boolean has(String paramName) {
        return params.containsKey(paramName);
    }

    /** The parameter, marked used, or null. */
    public ConfParam param(String paramName) {
        ConfParam p = params.get(paramName);
        if (p != null) {
            p.markUsed();
        }
        return p;
    }

    public boolean isUsed() {
        return used;
    }

    public void markUsed() {
        used = true;
    }

    /** Marks this element, its parameters and all its descendants used (for sections read as a whole). */
    public void markAllUsed() {
        used = true;
        params.values().forEach(ConfParam::markUsed);
        children.forEach(ConfElement::markAllUsed);
    }

    // ---- typed access -------------------------------------------------------------------------

    /**
     * {@code @type}, or the legacy {@code type}, or null. Marks it used; warns nothing (the legacy
     * name is fine).
     */
    public String type() {
        ConfParam p = param("@type");
        if (p == null) {
            p = param("type");
        }
        return p == null ? null : p.value();
    }

    public String string(String paramName, String defaultValue) {
        ConfParam p = param(paramName);
        return p == null ? defaultValue : p.value();
    }

    public String requiredString(String paramName) {
        ConfParam p = param(paramName);
        if (p == null) {
            throw missing(paramName);
        }
        return p.value();
    }

    public Duration time(String paramName, Duration defaultValue) {
        return typed(paramName, defaultValue, ConfValues::time);
    }

    public long size(String paramName, long defaultValue) {
        return typed(paramName, defaultValue, ConfValues::size);
    }

    public boolean bool(String paramName, boolean defaultValue) {
        return typed(paramName, defaultValue, ConfValues::bool);
    }

    public long integer(String paramName, long defaultValue) {
        return typed(paramName, defaultValue, ConfValues::integer);
    }

    /** An integer that must lie in {@code [min, max]}. */
    public int integer(String paramName, int defaultValue, int min, int max) {
        ConfParam p = param(paramName);
        if (p == null) {
            return defaultValue;
        }
        long v = convert(p, ConfValues::integer);
        if (v < min || v > max) {
            throw new ConfException(p.location(), paramName + ": " + v + " (expected: " + min + ".." + max + ")");
        }
        return (int) v;
    }

    public double decimal(String paramName, double defaultValue) {
        return typed(paramName, defaultValue, ConfValues::decimal);
    }

    public List<String> array(String paramName, List<String> defaultValue) {
        return typed(paramName, defaultValue, ConfValues::array);
    }

    public Map<String, String> hash(String paramName, Map<String, String> defaultValue) {
        return typed(paramName, defaultValue, ConfValues::hash);
    }

    /**
     * One of {@code choices} (compared as written in the conf, lower case), or {@code defaultValue}.
     * The error lists the choices in order.
     */
    public String choice(String paramName, String defaultValue, List<String> choices) {
        ConfParam p = param(paramName);
        if (p == null) {
            return defaultValue;
        }
        String v = p.value().trim();
        if (!choices.contains(v)) {
            throw new ConfException(
                    p.location(),
                    paramName + ": " + ConfValues.quote(p.value()) + " is not one of " + String.join(", ", choices));
        }
        return v;
    }

    /** An enum constant whose lower-case name is the value ({@code throw_exception} → THROW_EXCEPTION). */
    public <E extends Enum<E>> E enumValue(String paramName, E defaultValue, Class<E> type) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(e.name().toLowerCase(Locale.ROOT));
        }
        String v = choice(paramName, null, names);
        return v == null ? defaultValue : Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
    }

    /** An error about parameter {@code paramName} at its line (or this element's line when absent). */
    public ConfException error(String paramName, String message) {
        ConfParam p = params.get(paramName);
        return new ConfException(p == null ? location : p.location(), paramName + ": " + message);
    }

    /** An error about this element at its line. */
    public ConfException error(String message) {
        return new ConfException(location, describe() + ": " + message);
    }

    public ConfException missing(String paramName) {
        return new ConfException(location, describe() + ": missing required parameter '" + paramName + "'");
    }

    private <T> T typed(String paramName, T defaultValue, Function<String, T> parser) {
        ConfParam p = param(paramName);
        return p == null ? defaultValue : convert(p, parser);
    }

    private static <T> T convert(ConfParam p, Function<String, T> parser) {
        try {
            return parser.apply(p.value());
        } catch (IllegalArgumentException e) {
            throw new ConfException(p.location(), p.name() + ": " + e.getMessage(), e);
        }
    }

    // ---- unused ---------------------------------------------------------------------------------

    /**
     * Fluentd-style messages for every parameter no plugin read and every section no plugin looked
     * at, below this element (this element itself is not reported), in file order:
     * {@code conf/x.conf:12: parameter 'foo' in <match x> is not used.}
     */
    public List<String> unused() {
        List<String> out = new ArrayList<>();
        collectUnused(out);
        return out;
    }

    private void collectUnused(List<String> out) {
        for (ConfParam p : params.values()) {
            if (!p.isUsed()) {
                out.add(p.location() + ": parameter '" + p.name() + "' in " + describe() + " is not used.");
            }
        }
        for (ConfElement c : children) {
            if (!c.used) {
                out.add(c.location + ": section " + c.describe() + " in " + describe() + " is not used.");
            } else {
                c.collectUnused(out);
            }
        }
    }

    @Override
    public String toString() {
        return describe() + " (" + location + ")";
    }
}
