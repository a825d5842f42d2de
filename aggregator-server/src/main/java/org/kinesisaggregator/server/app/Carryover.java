package org.kinesisaggregator.server.app;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.kinesisaggregator.admin.ComponentMeters;

/**
 * What a conf reload takes over from the running application: its still-running sources and outputs,
 * by the key of their section ({@link Source#key()}, {@link Terminal#key()}), each claimed at most once
 * (two identical sections take two running components, in conf order); and the list of what was
 * taken, which the new application's {@code start()} does not start again and whose meters it moves
 * into its own registry.
 *
 * <p>Confined to the assembling thread.
 */
final class Carryover {
    private final Map<List<Object>, Deque<Terminal>> runningTerminals = new HashMap<>();
    private final Map<List<Object>, Deque<Source>> runningSources = new HashMap<>();
    private final List<Object> carried = new ArrayList<>();
    private final List<ComponentMeters> carriedMeters = new ArrayList<>();

    /** @param running the application running now, or null (nothing to take over) */
    Carryover(Aggregator running) {
        if (running == null) {
            return;
        }
        for (Terminal t : running.terminals()) {
            if (running.isRunning(t.output())) {
                runningTerminals
                        .computeIfAbsent(t.key(), k -> new ArrayDeque<>())
                        .add(t);
            }
        }
        for (Source s : running.sources()) {
            if (running.isRunning(s.input())) {
                runningSources.computeIfAbsent(s.key(), k -> new ArrayDeque<>()).add(s);
            }
        }
    }

    /** The running output of a section with {@code key}, or null; the caller takes over what it uses. */
    Terminal claimTerminal(List<Object> key) {
        return claim(runningTerminals, key);
    }

    /** The running source of a section with {@code key}, or null; the caller takes over what it uses. */
    Source claimSource(List<Object> key) {
        return claim(runningSources, key);
    }

    /** Notes {@code component} as taken over running: not started again, not closed by the previous application. */
    void carry(Object component) {
        carried.add(component);
    }

    /** Notes meters taken over with a component: they move into the new application's registry. */
    void carryMeters(ComponentMeters meters) {
        carriedMeters.add(meters);
    }

    List<Object> carried() {
        return carried;
    }

    List<ComponentMeters> carriedMeters() {
        return carriedMeters;
    }

    private static <T> T claim(Map<List<Object>, Deque<T>> pool, List<Object> key) {
        Deque<T> candidates = pool.get(key);
        return candidates == null ? null : candidates.poll();
    }
}
