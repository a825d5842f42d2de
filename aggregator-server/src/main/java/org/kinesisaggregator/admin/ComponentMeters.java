package org.kinesisaggregator.admin;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * The meters of one component that a conf reload may keep running (a source, an output with its
 * buffer, the process' KPL producer pool), kept apart from the application's registry so that they
 * can follow the component into the next application's.
 *
 * <p>Each application has a registry of its own (its /metrics; its counters start from zero, as
 * after a restart). A component registers its meters in {@link #registry()}, a composite whose one
 * child is the registry of the application that runs the component; when a reload keeps the
 * component, the next application {@link #moveTo moves} it to its own registry: the meters are
 * registered there again (counters and timers from zero, gauges reading the same live state) and
 * leave the previous one. A component built for an assembly that then takes over a running one
 * instead is {@link #discard() discarded}: its meters leave the application's registry, so they
 * cannot shadow the running component's meters (same names and tags) when those move in.
 *
 * <p>Thread-safe (Micrometer's composite registry is): meters may be recorded while the component
 * moves; a recording made during the move may be counted in neither registry.
 */
public final class ComponentMeters {
    private final CompositeMeterRegistry composite;

    /** Meters in {@code application}'s registry. */
    public ComponentMeters(MeterRegistry application) {
        composite = new CompositeMeterRegistry(Clock.SYSTEM, List.of(application));
    }

    /** Meters in no registry until {@link #moveTo} (e.g. a process-wide component, before the first application). */
    public ComponentMeters() {
        composite = new CompositeMeterRegistry(Clock.SYSTEM);
    }

    /** Where the component registers its meters. */
    public MeterRegistry registry() {
        return composite;
    }

    /**
     * Puts every meter of the component into {@code application}'s registry (and takes it out of
     * any other); nothing when it is there already.
     */
    public void moveTo(MeterRegistry application) {
        List<MeterRegistry> others = new ArrayList<>();
        boolean there = false;
        for (MeterRegistry r : composite.getRegistries()) {
            if (r == application) {
                there = true;
            } else {
                others.add(r);
            }
        }
        others.forEach(composite::remove);
        if (!there) {
            composite.add(application);
        }
    }

    /** Removes every meter of the component from the registries it is in (a component dropped unstarted). */
    public void discard() {
        new ArrayList<>(composite.getMeters()).forEach(composite::remove);
    }
}
