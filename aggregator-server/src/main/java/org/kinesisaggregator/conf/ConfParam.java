package org.kinesisaggregator.conf;

import java.util.Objects;

/**
 * One {@code name value} line of an element: the value as the parser produced it (quotes and
 * escapes resolved, {@code #{...}} evaluated, a multi-line JSON array or hash normalized to one
 * line of JSON), where it was written, and whether a plugin read it.
 *
 * <p>Not thread-safe: confined to the thread that loads the conf and assembles the application.
 */
public final class ConfParam {
    private final String name;
    private final String value;
    private final ConfLocation location;
    private boolean used;

    public ConfParam(String name, String value, ConfLocation location) {
        this.name = Objects.requireNonNull(name, "name");
        this.value = Objects.requireNonNull(value, "value");
        this.location = Objects.requireNonNull(location, "location");
    }

    public String name() {
        return name;
    }

    /** The value; an empty string for a parameter written without one ({@code flag}). */
    public String value() {
        return value;
    }

    public ConfLocation location() {
        return location;
    }

    public boolean isUsed() {
        return used;
    }

    /** Marks the parameter as read by a plugin (no unused-parameter warning). */
    public void markUsed() {
        used = true;
    }

    @Override
    public String toString() {
        return name + " " + value + " (" + location + ")";
    }
}
