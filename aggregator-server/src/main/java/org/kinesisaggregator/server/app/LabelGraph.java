package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfParam;
import org.kinesisaggregator.conf.ConfProblems;
import org.kinesisaggregator.server.route.Router;

/**
 * The labels of a conf and the edges between them: one {@link Router} per {@code <label>} (and the
 * top level, {@link Router#ROOT_LABEL}), made before any section is mapped so that a {@code @label}
 * may name a label defined further down the file; the {@code relabel} edges the outputs add; and the
 * conf errors of the graph: a bad or repeated label name, an unknown {@code @label}, a relabel cycle.
 *
 * <p>Confined to the assembling thread; the routers it hands out are then the application's.
 */
final class LabelGraph {
    private final MeterRegistry registry;
    private final Map<String, Router> routers = new LinkedHashMap<>();
    /** label → the labels its outputs relabel to → the section that first did. */
    private final Map<String, Map<String, ConfElement>> relabels = new LinkedHashMap<>();

    LabelGraph(MeterRegistry registry) {
        this.registry = registry;
        routers.put(Router.ROOT_LABEL, new Router(Router.ROOT_LABEL, registry));
    }

    /**
     * Makes the router of every {@code <label>} in {@code labels}; a name that is not {@code @NAME} or
     * is defined twice is a problem (the second definition is skipped, its content marked used).
     *
     * @return the defined labels, by name, in file order
     */
    Map<String, ConfElement> define(List<ConfElement> labels, ConfProblems problems) {
        Map<String, ConfElement> defined = new LinkedHashMap<>();
        for (ConfElement label : labels) {
            String name = label.arg().trim();
            if (!name.startsWith("@") || name.length() < 2 || name.contains(" ")) {
                problems.add(new ConfException(
                        label.location(),
                        "<label " + name + ">: a label name starts with @ (expected:" + " <label @NAME>)"));
            }
            if (defined.containsKey(name)) {
                problems.add(new ConfException(
                        label.location(),
                        "<label " + name + "> is defined twice (first at "
                                + defined.get(name).location() + ")"));
                label.markAllUsed();
                continue;
            }
            defined.put(name, label);
            routers.put(name, new Router(name, registry));
        }
        return defined;
    }

    /** The router of {@code label}, or null. */
    Router router(String label) {
        return routers.get(label);
    }

    /** Every router, by label, top level first. */
    Map<String, Router> routers() {
        return routers;
    }

    /**
     * The router a {@code <source>} feeds: its {@code @label}'s, or the top level's.
     *
     * @throws ConfException naming {@code @label} when no such label is defined
     */
    Router sourceRouter(ConfElement source) {
        String label = source.string("@label", Router.ROOT_LABEL);
        Router router = routers.get(label);
        if (router == null) {
            throw source.error("@label", "unknown label " + label + " (defined: " + defined() + ")");
        }
        return router;
    }

    /**
     * The router a relabel output of {@code fromLabel} hands its events to, noting the edge for
     * {@link #checkCycles()}.
     *
     * @param referencedFrom the output section whose {@code @label} names {@code name}
     * @throws ConfException at {@code @label} when no such label is defined
     */
    Router relabel(String fromLabel, String name, ConfElement referencedFrom) {
        Router target = routers.get(name);
        if (target == null) {
            ConfParam p = referencedFrom.params().get("@label");
            throw new ConfException(
                    p == null ? referencedFrom.location() : p.location(),
                    "@label: unknown label " + name + " (defined: " + defined() + ")");
        }
        relabels.computeIfAbsent(fromLabel, k -> new LinkedHashMap<>()).putIfAbsent(name, referencedFrom);
        return target;
    }

    /**
     * Hands every router its rules; events a router's filters and outputs fail go to
     * {@code <label @ERROR>} when there is one (but not from {@code @ERROR} itself).
     *
     * @param rules each label's rules, in file order (a label without an entry gets none)
     */
    void configure(Map<String, List<Router.Rule>> rules) {
        EventSink errorRouter = routers.get(Router.ERROR_LABEL);
        for (Router r : routers.values()) {
            r.configure(rules.get(r.label()), r.label().equals(Router.ERROR_LABEL) ? null : errorRouter);
        }
    }

    /**
     * @throws ConfException at the relabel that closes the first cycle found (labels relabelling
     *     back to themselves would pass events round forever)
     */
    void checkCycles() {
        for (String start : relabels.keySet()) {
            visit(start, new ArrayDeque<>(), new LinkedHashSet<>());
        }
    }

    private void visit(String label, Deque<String> path, Set<String> done) {
        if (path.contains(label)) {
            List<String> cycle = new ArrayList<>(path);
            Collections.reverse(cycle);
            cycle = cycle.subList(cycle.indexOf(label), cycle.size());
            ConfElement at = relabels.get(cycle.get(cycle.size() - 1)).get(label);
            throw new ConfException(
                    at.location(),
                    "relabel cycle: " + String.join(" → ", cycle) + " → " + label
                            + " (expected: relabel chains that end)");
        }
        if (!done.add(label)) {
            return;
        }
        path.push(label);
        for (String next : relabels.getOrDefault(label, Map.of()).keySet()) {
            visit(next, path, done);
        }
        path.pop();
    }

    private String defined() {
        return String.join(", ", routers.keySet());
    }
}
