package org.kinesisaggregator.conf;

import java.util.List;

/**
 * Several conf errors found in one run, sorted by file and line: the message is a count and then one
 * {@code file:line: parameter: ...} line per error. {@link #location()} is the first error's.
 *
 * <p>Immutable.
 */
public final class ConfErrors extends ConfException {
    private static final long serialVersionUID = 1L;

    private final transient List<ConfException> errors;

    public ConfErrors(List<ConfException> errors) {
        super(null, message(errors));
        this.errors = List.copyOf(errors);
    }

    /** The errors, sorted by file and line. */
    public List<ConfException> errors() {
        return errors;
    }

    @Override
    public ConfLocation location() {
        return errors.isEmpty() ? null : errors.get(0).location();
    }

    private static String message(List<ConfException> errors) {
        StringBuilder sb = new StringBuilder();
        sb.append(errors.size()).append(" errors, in file order:");
        for (ConfException e : errors) {
            sb.append("\n  ").append(e.getMessage().replace("\n", "\n  "));
        }
        return sb.toString();
    }
}
