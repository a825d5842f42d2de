package org.kinesisaggregator.server.app;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfParam;
import org.kinesisaggregator.conf.ConfProblems;

/**
 * Fluentd's multi-process directives in our one process: {@code <system> workers N} (Fluentd starts N
 * worker processes; here one process runs and {@code workers} sets its event-loop threads) and the
 * {@code <worker N>} / {@code <worker N-M>} sections. A section whose range includes worker 0 belongs
 * to this process: its directives apply in its place, once. A section naming only other workers is
 * ignored with a warning. Both cases, and {@code workers} above 1, are said in the warnings (start-up
 * log and {@code --dry-run}).
 *
 * <p>Stateless; confined to the assembling thread.
 */
final class WorkerSections {
    private static final Pattern IDS = Pattern.compile("\\s*(\\d{1,9})\\s*(?:-\\s*(\\d{1,9})\\s*)?");
    private static final Set<String> ALLOWED = Set.of("source", "match", "filter", "label");

    private WorkerSections() {}

    /**
     * The top-level elements of {@code root} in file order, each {@code <worker>} section that includes
     * worker 0 replaced by its directives, the others left out (and marked used).
     *
     * @param workers {@code <system> workers} (0 when not set)
     */
    static List<ConfElement> topLevel(
            ConfElement root, ConfElement systemElement, int workers, List<String> warnings, ConfProblems problems) {
        int declared = Math.max(1, workers);
        if (workers > 1) {
            ConfParam p = systemElement.params().get("workers");
            warnings.add(p.location() + ": <system> workers " + workers + ": Fluentd would start " + workers
                    + " worker processes; this aggregator runs one process, where workers sets the event-loop"
                    + " threads (" + workers + ") that serve every connection of the forward sources. For more"
                    + " than one node takes, run more nodes behind the load balancer (docs/operations.md).");
        }
        List<ConfElement> out = new ArrayList<>();
        for (ConfElement e : root.elements()) {
            if (!e.name().equals("worker")) {
                out.add(e);
                continue;
            }
            e.markUsed();
            Matcher m = IDS.matcher(e.arg());
            if (!m.matches()) {
                problems.add(e.error("\"" + e.arg() + "\" is not a worker id (expected: <worker N> or <worker N-M>)"));
                e.markAllUsed();
                continue;
            }
            int first = Integer.parseInt(m.group(1));
            int last = m.group(2) == null ? first : Integer.parseInt(m.group(2));
            if (first > last || last >= declared) {
                problems.add(e.error("worker ids " + first + (last == first ? "" : "-" + last)
                        + " (expected: ids between 0 and " + (declared - 1) + ", <system> workers " + declared
                        + ", first <= last)"));
                e.markAllUsed();
                continue;
            }
            if (first > 0) {
                warnings.add(e.location() + ": " + e.describe() + " names only workers other than 0: its "
                        + e.elements().size() + " directives are ignored (one process runs here: worker 0)");
                e.markAllUsed();
                continue;
            }
            if (last > 0) {
                warnings.add(e.location() + ": " + e.describe() + ": its directives apply once, in the one process"
                        + " (Fluentd would run them in each of workers " + first + "-" + last + ")");
            }
            for (ConfElement inner : e.elements()) {
                if (ALLOWED.contains(inner.name())) {
                    out.add(inner);
                } else {
                    problems.add(new ConfException(
                            inner.location(),
                            inner.describe() + " inside " + e.describe() + " (expected: source, match, filter or"
                                    + " label)"));
                    inner.markAllUsed();
                }
            }
            for (ConfParam p : e.params().values()) {
                p.markUsed();
                problems.add(e.error(p.name(), "is not a parameter of <worker> (expected: directives only)"));
            }
        }
        return out;
    }
}
