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
 * <p>Typed accessors ({@link #time}, {@link #size}, {@link #bool}, …) mark the parameter used, note
 * the effective value ({@link #effectiveValues()}: as written, or the default) and throw
 * {@link ConfException} naming file, line and parameter when the value does not fit (or, while
 * {@linkplain #collectProblemsInto collecting}, record it and return the default). After
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
    private final Map<String, EffectiveValue> effective = new LinkedHashMap<>();
    private ConfProblems problems;
    private boolean used;

    /**
     * What a plugin read for one parameter: the value as written, or the default it used.
     *
     * @param value the value as written in the conf, or the default rendered in conf syntax
     * @param isDefault true when the parameter was not written and the default applies
     */
    public record EffectiveValue(String value, boolean isDefault) {}

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
            effective.put(paramName, new EffectiveValue(p.value(), false));
        }
        return p;
    }

    private void noteDefault(String paramName, String rendered) {
        if (rendered != null && !params.containsKey(paramName)) {
            effective.putIfAbsent(paramName, new EffectiveValue(rendered, true));
        }
    }

    /** Throws {@code e}, or, while collecting ({@link #collectProblemsInto}), records it and returns. */
    private void fail(ConfException e) {
        if (problems == null) {
            throw e;
        }
        problems.add(e);
    }

    public boolean isUsed() {
        return used;
    }

    public void markUsed() {
        used = true;
    }

    /**
     * Every parameter a plugin read through the typed accessors, in the order first read: the value as
     * written, or the default it used (defaults of {@code null} are not listed: nothing applies).
     */
    public Map<String, EffectiveValue> effectiveValues() {
        return Collections.unmodifiableMap(effective);
    }

    /**
     * From now on, a value that does not fit its type (or range, or choices) is added to {@code sink}
     * and the accessor returns the default, so that mapping goes on and finds the next problem; null
     * restores throwing. Applies to this element and all its descendants.
     */
    public void collectProblemsInto(ConfProblems sink) {
        problems = sink;
        children.forEach(c -> c.collectProblemsInto(sink));
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
        noteDefault(paramName, defaultValue);
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
        return typed(paramName, defaultValue, ConfValues::time, ConfValues::formatTime);
    }

    public long size(String paramName, long defaultValue) {
        return typed(paramName, defaultValue, ConfValues::size, ConfValues::formatSize);
    }

    public boolean bool(String paramName, boolean defaultValue) {
        return typed(paramName, defaultValue, ConfValues::bool, String::valueOf);
    }

    public long integer(String paramName, long defaultValue) {
        return typed(paramName, defaultValue, ConfValues::integer, String::valueOf);
    }

    /** An integer that must lie in {@code [min, max]}. */
    public int integer(String paramName, int defaultValue, int min, int max) {
        ConfParam p = param(paramName);
        noteDefault(paramName, String.valueOf(defaultValue));
        if (p == null) {
            return defaultValue;
        }
        Long v = convert(p, ConfValues::integer);
        if (v == null) {
            return defaultValue;
        }
        if (v < min || v > max) {
            fail(new ConfException(p.location(), paramName + ": " + v + " (expected: " + min + ".." + max + ")"));
            return defaultValue;
        }
        return (int) (long) v;
    }

    public double decimal(String paramName, double defaultValue) {
        return typed(paramName, defaultValue, ConfValues::decimal, String::valueOf);
    }

    public List<String> array(String paramName, List<String> defaultValue) {
        return typed(paramName, defaultValue, ConfValues::array, v -> String.join(",", v));
    }

    public Map<String, String> hash(String paramName, Map<String, String> defaultValue) {
        return typed(paramName, defaultValue, ConfValues::hash, v -> v.isEmpty() ? "{}" : v.toString());
    }

    /**
     * One of {@code choices} (compared as written in the conf, lower case), or {@code defaultValue}.
     * The error lists the choices in order.
     */
    public String choice(String paramName, String defaultValue, List<String> choices) {
        ConfParam p = param(paramName);
        noteDefault(paramName, defaultValue);
        if (p == null) {
            return defaultValue;
        }
        String v = p.value().trim();
        if (!choices.contains(v)) {
            fail(new ConfException(
                    p.location(),
                    paramName + ": " + ConfValues.quote(p.value()) + " is not one of " + String.join(", ", choices)));
            return defaultValue;
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
        noteDefault(paramName, defaultValue == null ? null : defaultValue.name().toLowerCase(Locale.ROOT));
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

    private <T> T typed(String paramName, T defaultValue, Function<String, T> parser, Function<T, String> render) {
        ConfParam p = param(paramName);
        noteDefault(paramName, defaultValue == null ? null : render.apply(defaultValue));
        if (p == null) {
            return defaultValue;
        }
        T v = convert(p, parser);
        return v == null ? defaultValue : v;
    }

    /** The converted value, or null when it does not fit and the problem was collected. */
    private <T> T convert(ConfParam p, Function<String, T> parser) {
        try {
            return parser.apply(p.value());
        } catch (IllegalArgumentException e) {
            fail(new ConfException(p.location(), p.name() + ": " + e.getMessage(), e));
            return null;
        }
    }

    // ---- unused ---------------------------------------------------------------------------------

    /**
     * Fluentd-style messages for every parameter no plugin read and every section no plugin looked
     * at, below this element (this element itself is not reported), in file order:
     * {@code conf/x.conf:12: parameter 'foo' in <match x> is not used.}
     */
    public List<String> unused() {
        return unusedErrors().stream()
                .map(u -> u.location() + ": " + u.reason())
                .toList();
    }

    /**
     * One parameter or section no plugin read.
     *
     * @param location where it is written
     * @param reason e.g. {@code parameter 'foo' in <match x> is not used.}
     */
    public record Unused(ConfLocation location, String reason) {}

    /** As {@link #unused()}, with the location apart (to sort it among errors). */
    public List<Unused> unusedErrors() {
        List<Unused> out = new ArrayList<>();
        collectUnused(out);
        return out;
    }

    private void collectUnused(List<Unused> out) {
        for (ConfParam p : params.values()) {
            if (!p.isUsed()) {
                out.add(new Unused(p.location(), "parameter '" + p.name() + "' in " + describe() + " is not used."));
            }
        }
        for (ConfElement c : children) {
            if (!c.used) {
                out.add(new Unused(c.location, "section " + c.describe() + " in " + describe() + " is not used."));
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
