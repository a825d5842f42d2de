package org.kinesisaggregator.conf;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The conf errors of one load, collected so that one run reports all of them: each is a
 * {@link ConfException} naming file, line and parameter. {@link #throwIfAny()} throws the one error
 * as it is, or a {@link ConfErrors} listing them all sorted by file and line (errors about the conf
 * as a whole last), each once.
 *
 * <p>Not thread-safe: confined to the thread that loads the conf.
 */
public final class ConfProblems {
    private static final Comparator<ConfException> FILE_ORDER = Comparator.comparing((ConfException e) ->
                    e.location() == null ? "\uffff" : e.location().file())
            .thenComparingInt(e -> e.location() == null ? 0 : e.location().line());

    private final List<ConfException> errors = new ArrayList<>();

    public void add(ConfException e) {
        if (e instanceof ConfErrors many) {
            many.errors().forEach(this::add);
            return;
        }
        for (ConfException known : errors) {
            if (known.getMessage().equals(e.getMessage())) {
                return;
            }
        }
        errors.add(e);
    }

    public int size() {
        return errors.size();
    }

    public boolean isEmpty() {
        return errors.isEmpty();
    }

    /** The errors so far, sorted by file and line (stable: equal positions keep the order met). */
    public List<ConfException> sorted() {
        List<ConfException> out = new ArrayList<>(errors);
        out.sort(FILE_ORDER);
        return out;
    }

    /** Does nothing when there is no error; throws the one error, or all of them as {@link ConfErrors}. */
    public void throwIfAny() {
        if (errors.size() == 1) {
            throw errors.get(0);
        }
        if (!errors.isEmpty()) {
            throw new ConfErrors(sorted());
        }
    }
}
