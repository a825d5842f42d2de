package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.kinesisaggregator.admin.ComponentMeters;
import org.kinesisaggregator.admin.PluginInfo;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfProblems;
import org.kinesisaggregator.server.Input;
import org.kinesisaggregator.server.route.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application assembled from a conf: sources (inputs), one {@link Router} per label, outputs
 * and their buffers.
 *
 * <p>{@link #assemble} maps the whole conf (no I/O, no threads): every error is a
 * {@link ConfException} naming file, line and parameter; unknown {@code @type}s list the known
 * ones; what no plugin read is reported as Fluentd does (an error with {@code strict}).
 * {@link #start()} starts outputs, then buffers, then inputs. {@link #close()} reports not ready,
 * keeps serving for {@code drain_delay}, drains and closes the inputs (bounded by
 * {@code shutdown_timeout}), closes the buffers, then the outputs; every step is logged and a
 * failing step does not stop the next ones.
 *
 * <p>Thread-safe: {@link #start} and {@link #close} are synchronized (close may come from a
 * shutdown hook); the routers are safe for the inputs' event loops.
 */
public final class Aggregator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Aggregator.class);

    /**
     * What the application uses from the process: meters, the clock, the zone of {@code localtime},
     * the host name ({@code ${hostname}}), and where {@code stdout} outputs write.
     */
    public record Environment(MeterRegistry registry, Clock clock, ZoneId zone, String hostname, OutputStream stdout) {
        public Environment {
            Objects.requireNonNull(registry, "registry");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(zone, "zone");
            Objects.requireNonNull(hostname, "hostname");
            Objects.requireNonNull(stdout, "stdout");
        }
    }

    private final SystemSettings system;
    private final Map<String, Router> routers;
    private final List<Named<Output>> outputs;
    private final List<Named<EventBuffer>> buffers;
    private final List<Named<Input>> inputs;
    private final List<Terminal> terminals;
    private final List<Source> sources;
    private final ShutdownSequence shutdown;
    /** Components taken over running from the previous conf's application: start() does not start them. */
    private final Set<Object> carried;
    /** The meters of the carried components: start() moves them into this application's registry. */
    private final List<ComponentMeters> carriedMeters;
    /** Process-wide components' meters (the KPL producer pool): start() moves them here too. */
    private final List<MeterBinder> processMeters;

    private final MeterRegistry registry;
    /** Components close() leaves running: those the next conf took over, or ours the start failed to keep. */
    private Set<Object> kept = Set.of();

    private final List<PluginInfo> pluginInfos;
    private final List<String> warnings;
    private final String summary;
    private final EnvironmentChecks environment;
    /** {@code <label @FLUENT_LOG>}'s log events, or null when the conf has no such label. */
    private final FluentLogEvents fluentLog;

    private final CountDownLatch closedLatch = new CountDownLatch(1);
    private boolean started;
    private boolean closed;
    private int startedInputs;
    private volatile boolean ready;
    private volatile boolean skipDrainDelay;

    private Aggregator(Assembler a) {
        this.system = a.system;
        this.routers = Collections.unmodifiableMap(a.labels.routers());
        this.outputs = List.copyOf(a.outputs);
        this.buffers = List.copyOf(a.buffers);
        this.inputs = List.copyOf(a.inputs);
        this.terminals = List.copyOf(a.terminals);
        this.sources = List.copyOf(a.sources);
        this.carried = identitySet(a.carryover.carried());
        this.carriedMeters = List.copyOf(a.carryover.carriedMeters());
        this.processMeters = a.plugins.outputs().values().stream()
                .distinct()
                .filter(MeterBinder.class::isInstance)
                .map(MeterBinder.class::cast)
                .toList();
        this.registry = a.env.registry();
        this.pluginInfos = List.copyOf(a.pluginInfos);
        this.warnings = List.copyOf(a.warnings);
        this.summary = a.summary.text(a.system);
        this.environment = a.environment;
        this.fluentLog = a.fluentLog;
        this.shutdown = new ShutdownSequence(inputs, buffers, outputs, fluentLog);
        a.self.set(this);
        // 1 while /health/ready answers 200: what an alert on a node that is up but takes no traffic reads
        Gauge.builder("aggregator.ready", this, app -> app.problems().isEmpty() ? 1 : 0)
                .description("1 when the node is ready (/health/ready 200), 0 while starting, draining or unhealthy")
                .strongReference(true)
                .register(registry);
    }

    /**
     * Maps {@code root} (a parsed conf) onto a ready-to-start application.
     *
     * @param strict unused parameters and sections are errors instead of warnings
     * @throws ConfException when the conf is invalid
     */
    public static Aggregator assemble(ConfElement root, Plugins plugins, Environment env, boolean strict) {
        return assemble(root, plugins, env, strict, null);
    }

    /**
     * Maps {@code root} as {@link #assemble(ConfElement, Plugins, Environment, boolean)} does, taking
     * over from {@code running} (a conf reload) every component whose section is unchanged and that
     * is still running there: a {@code forward} or {@code sample} source (same section text, same
     * label) and an output with its buffer and secondary (same {@code <match>}/{@code <store>} text,
     * same id, same buffer settings). {@code running} is not changed: the components are only listed
     * in the new application; {@link #closeForReload(Aggregator, String)} then leaves them running
     * and {@link #start()} does not start them again.
     *
     * @param running the application running now, or null
     */
    public static Aggregator assemble(
            ConfElement root, Plugins plugins, Environment env, boolean strict, Aggregator running) {
        Assembler a = new Assembler(root, plugins, env, running);
        // every error that mapping can go on after is collected: one run reports them all, in file order
        ConfProblems problems = new ConfProblems();
        root.collectProblemsInto(problems);
        try {
            a.assemble(problems);
        } finally {
            root.collectProblemsInto(null);
        }
        List<String> unused = root.unused();
        if (problems.isEmpty() && strict) {
            // (after other errors, what a failed plugin never read is no news)
            root.unusedErrors()
                    .forEach(u -> problems.add(new ConfException(
                            u.location(), u.reason() + "\n(--strict: unused parameters are errors)")));
        }
        problems.throwIfAny();
        a.warnings.addAll(unused);
        for (String w : a.warnings) {
            log.warn("{}", w);
        }
        return new Aggregator(a);
    }

    public SystemSettings system() {
        return system;
    }

    /** The outputs as a reload may take them over ({@link Carryover}). */
    List<Terminal> terminals() {
        return terminals;
    }

    /** The sources a reload may take over ({@link Carryover}). */
    List<Source> sources() {
        return sources;
    }

    /** This application's meter registry (its /metrics), with the meters of its components. */
    MeterRegistry registry() {
        return registry;
    }

    /** The router of {@code label} ({@link Router#ROOT_LABEL} for the top level), or null. */
    public Router router(String label) {
        return routers.get(label);
    }

    /** Conf warnings (unused parameters, derived ids, no-effect parameters), in the order met. */
    public List<String> warnings() {
        return warnings;
    }

    /** A short description of sources, routes and outputs, for {@code --dry-run}. */
    public String summary() {
        return summary;
    }

    /** True between a successful {@link #start()} and {@link #close()} (for {@code /health/ready}). */
    public boolean isReady() {
        return ready;
    }

    /**
     * Why this node should not get traffic now: starting, draining, an output's health problem
     * (e.g. a missing Kinesis stream) or a buffer's (its disk refuses appends). Empty when ready. Thread-safe; {@code /health/ready} calls it.
     */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (!ready) {
            boolean isClosed;
            synchronized (this) {
                isClosed = closed;
            }
            problems.add(isClosed ? "draining: shutting down" : "starting");
        }
        for (Named<Output> o : outputs) {
            for (String problem : o.component().healthProblems()) {
                problems.add("output " + o.name() + ": " + problem);
            }
        }
        for (Named<EventBuffer> b : buffers) {
            for (String problem : b.component().healthProblems()) {
                problems.add("buffer of " + b.name() + ": " + problem);
            }
        }
        return problems;
    }

    /** The inputs of type {@code type} (an admin source's {@code AdminServer} too), in conf order (e.g. to find the bound addresses of port-0 sources). */
    public <T> List<T> inputs(Class<T> type) {
        return inputs.stream()
                .<Object>map(Named::component)
                .map(c -> c instanceof AdminInput admin && !type.isInstance(c) ? admin.server() : c)
                .filter(type::isInstance)
                .map(type::cast)
                .toList();
    }

    /** Every input, filter and output, as {@code /api/plugins.json} lists them. */
    public List<PluginInfo> plugins() {
        return pluginInfos;
    }

    /**
     * Checks what the conf names outside itself before a start (and for {@code --dry-run}): TLS files are
     * readable, file buffer directories can be written, the ports are free. Not for a reload: the running
     * application holds its own ports.
     *
     * @throws ConfException naming file:line, the parameter and what to do, for every check that fails (a
     *     {@code ConfErrors} when several do)
     */
    public void checkEnvironment() {
        environment.runAll();
    }

    /**
     * Starts outputs, buffers, then inputs. On a failure, closes what started and rethrows.
     *
     * @throws ConfException when an output type of the conf is not in this build
     */
    public synchronized void start() throws Exception {
        if (closed || started) {
            throw new IllegalStateException("start: already " + (closed ? "closed" : "started"));
        }
        started = true;
        log.info("Starting: {} outputs, {} buffers, {} inputs", outputs.size(), buffers.size(), inputs.size());
        // the kept components' meters (and the KPL pool's) leave the previous conf's registry for ours
        carriedMeters.forEach(m -> m.moveTo(registry));
        processMeters.forEach(b -> b.bindTo(registry));
        // what --dry-run prints: effective values, v0.12 names applied, credentials, drain ceilings
        for (String line : summary.split("\n")) {
            log.info("Conf: {}", line);
        }
        try {
            for (Named<Output> o : outputs) {
                if (carried.contains(o.component())) {
                    continue;
                }
                o.component().start();
                log.info("Started output {} ({})", o.name(), o.component().type());
            }
            for (Named<EventBuffer> b : buffers) {
                if (carried.contains(b.component())) {
                    continue;
                }
                b.component().start();
                log.info("Started buffer of {}", b.name());
            }
            if (fluentLog != null && fluentLog.attach()) {
                log.info("Log events go to <label {}> as fluent.<level> events", FluentLogEvents.LABEL);
            }
            for (Named<Input> i : inputs) {
                if (carried.contains(i.component())) {
                    startedInputs++;
                    continue;
                }
                try {
                    i.component().start();
                } catch (Exception e) {
                    ConfException named = environment.bindFailure(i.component(), e);
                    throw named != null ? named : e;
                }
                startedInputs++;
                log.info("Started input {}", i.name());
            }
        } catch (Exception e) {
            log.error("Start-up failed: {}", e.toString());
            if (!carried.isEmpty()) {
                log.warn(
                        "Start-up failed: {} components taken over from the previous conf stay running for it",
                        carried.size());
            }
            synchronized (this) {
                kept = carried;
            }
            skipDrainDelay = true;
            close();
            throw e;
        }
        // from now on the inputs kept running hand their events to this conf's routes
        for (Source source : sources) {
            source.sink().switchTo(source.target());
        }
        ready = true;
        log.info("Ready");
    }

    /**
     * SIGUSR1 (Fluentd's flush_buffers): every buffer seals its staged chunks and its flush threads
     * deliver them now; chunks waiting for a retry keep their retry time. Waits at most
     * {@code timeout} for the buffers to have sealed (not for the delivery); logs what was sealed.
     *
     * @param why for the log, e.g. {@code SIGUSR1}
     * @return the number of chunks sealed
     */
    public int flushBuffers(String why, Duration timeout) {
        log.info("Flushing all buffers ({}): {} buffers", why, buffers.size());
        long deadline = System.nanoTime() + timeout.toNanos();
        List<CompletableFuture<Integer>> sealed = new ArrayList<>();
        for (Named<EventBuffer> b : buffers) {
            sealed.add(b.component().flushNow());
        }
        int total = 0;
        for (int i = 0; i < buffers.size(); i++) {
            String name = buffers.get(i).name();
            try {
                int n = sealed.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                total += n;
                log.info("Flushing buffer of {} ({}): {} staged chunks sealed and queued", name, why, n);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                log.warn("Flushing buffer of {} ({}): interrupted", name, why);
            } catch (ExecutionException e) {
                log.warn(
                        "Flushing buffer of {} ({}) failed: {}",
                        name,
                        why,
                        e.getCause().toString());
            } catch (TimeoutException e) {
                log.warn("Flushing buffer of {} ({}): not sealed within {}; it goes on", name, why, timeout);
            }
        }
        return total;
    }

    /**
     * Closes as {@link #close()} does but without {@code drain_delay} (a conf reload): not ready, the
     * inputs drain and close (their connections too), the buffers close (their chunks stay on disk;
     * {@code flush_at_shutdown} applies), then the outputs. Idempotent; never throws.
     */
    public void closeForReload() {
        skipDrainDelay = true;
        close();
    }

    /**
     * A conf reload: closes as {@link #closeForReload()} does, except the components {@code next}
     * takes over (assembled with {@code running} = this): those keep running, their connections and
     * staged chunks as they are, and {@code next.start()} points the kept inputs at its routes. Logs
     * one line per component: kept, restarted (its section changed), closed (not in the new conf), or
     * new. Idempotent; never throws.
     *
     * @param why for the log, e.g. {@code SIGHUP}
     */
    public void closeForReload(Aggregator next, String why) {
        Set<Object> keep = next.carried;
        Set<String> nextNames = new LinkedHashSet<>();
        next.inputs.forEach(i -> nextNames.add("input " + i.name()));
        next.terminals.forEach(t -> nextNames.add(t.describe()));
        Set<String> ours = new LinkedHashSet<>();
        for (Named<Input> i : inputs) {
            Source source = sources.stream()
                    .filter(s -> s.input() == i.component())
                    .findFirst()
                    .orElse(null);
            String name = "input " + i.name();
            ours.add(name);
            if (keep.contains(i.component())) {
                log.info("Reload ({}): {} kept{}", why, name, source == null ? "" : source.keptDetail());
            } else {
                logGone(why, name, nextNames.contains(name), source != null);
            }
        }
        for (Terminal t : terminals) {
            ours.add(t.describe());
            if (keep.contains(t.output())) {
                log.info("Reload ({}): {} kept{}", why, t.describe(), t.buffer() == null ? "" : " with its buffer");
            } else {
                logGone(why, t.describe(), nextNames.contains(t.describe()), true);
            }
        }
        for (String name : nextNames) {
            if (!ours.contains(name)) {
                log.info("Reload ({}): {} new", why, name);
            }
        }
        synchronized (this) {
            kept = keep;
        }
        skipDrainDelay = true;
        close();
    }

    private static void logGone(String why, String name, boolean inNext, boolean carryable) {
        if (!inNext) {
            log.info("Reload ({}): {} closed (not in the new conf)", why, name);
        } else if (carryable) {
            log.info("Reload ({}): {} restarted (conf changed)", why, name);
        } else {
            log.info("Reload ({}): {} restarted (admin endpoints restart at each reload)", why, name);
        }
    }

    /**
     * After a reload whose new conf and previous conf both failed to start: closes what this
     * application left running for them. Never throws.
     */
    public void closeKept() {
        Set<Object> toClose;
        synchronized (this) {
            toClose = kept;
            kept = Set.of();
        }
        shutdown.closeOnly(toClose);
    }

    /** True while {@code component} runs in this application (started, and not closed or kept for the next). */
    synchronized boolean isRunning(Object component) {
        return started && (!closed || kept.contains(component));
    }

    private static Set<Object> identitySet(Collection<?> components) {
        Set<Object> set = Collections.newSetFromMap(new IdentityHashMap<>());
        set.addAll(components);
        return Collections.unmodifiableSet(set);
    }

    /** Bounded, ordered, idempotent; never throws. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        long t0 = System.nanoTime();
        boolean wasReady = ready;
        ready = false;
        try {
            if (!skipDrainDelay && wasReady && !system.drainDelay().isZero()) {
                log.info("Shutting down: not ready, still serving for drain_delay {}", system.drainDelay());
                waitQuietly(system.drainDelay());
            }
            int toDrain;
            Set<Object> keep;
            synchronized (this) {
                toDrain = startedInputs;
                keep = kept;
            }
            shutdown.run(toDrain, keep, system.shutdownTimeout());
            if (keep.isEmpty()) {
                log.info("Closed in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            } else {
                log.info(
                        "Closed in {} ms; {} components kept running for the new conf",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                        keep.size());
            }
        } finally {
            closedLatch.countDown();
        }
    }

    /** Waits until {@link #close()} has finished. */
    public void awaitClosed() throws InterruptedException {
        closedLatch.await();
    }

    private static void waitQuietly(Duration d) {
        try {
            new CountDownLatch(1).await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
