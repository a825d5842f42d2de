package org.kinesisaggregator.conf;

/**
 * The conf is invalid: the message starts with {@code file:line:} and names the parameter or the
 * element, what was found and what was expected, e.g. {@code conf/x.conf:12: flush_interval: "abc"
 * is not a time (expected: a number with optional s/m/h/d)}.
 *
 * <p>Immutable.
 */
public class ConfException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient ConfLocation location;

    public ConfException(ConfLocation location, String message) {
        super(location == null ? message : location + ": " + message);
        this.location = location;
    }

    public ConfException(ConfLocation location, String message, Throwable cause) {
        super(location == null ? message : location + ": " + message, cause);
        this.location = location;
    }

    /** Where the problem is, or null when it concerns the conf as a whole. */
    public ConfLocation location() {
        return location;
    }
}
