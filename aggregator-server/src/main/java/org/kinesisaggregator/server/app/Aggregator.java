package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
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
import java.util.concurrent.atomic.AtomicReference;
import org.kinesisaggregator.admin.AdminServer;
import org.kinesisaggregator.admin.AdminSettings;
import org.kinesisaggregator.admin.ComponentMeters;
import org.kinesisaggregator.admin.FluentdMeters;
import org.kinesisaggregator.admin.PluginInfo;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.Buffers;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfLocation;
import org.kinesisaggregator.conf.ConfParam;
import org.kinesisaggregator.conf.ConfProblems;
import org.kinesisaggregator.conf.ConfValues;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.ForwardSettings;
import org.kinesisaggregator.server.Input;
import org.kinesisaggregator.server.input.HttpInput;
import org.kinesisaggregator.server.input.HttpSettings;
import org.kinesisaggregator.server.input.SampleInput;
import org.kinesisaggregator.server.input.SampleSettings;
import org.kinesisaggregator.server.output.ChunkKeySpec;
import org.kinesisaggregator.server.output.OutputContext;
import org.kinesisaggregator.server.output.OutputDefaults;
import org.kinesisaggregator.server.output.OutputFactory;
import org.kinesisaggregator.server.output.SyncOutputSink;
import org.kinesisaggregator.server.route.ChunkKeySink;
import org.kinesisaggregator.server.route.EventFilter;
import org.kinesisaggregator.server.route.Router;
import org.kinesisaggregator.server.route.TagPattern;
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
    private static final Set<String> TOP_LEVEL = Set.of("source", "match", "filter", "label", "system");
    /** An output's parameters that the report shows in its own lines (type, id, the buffer's v0.12 names). */
    private static final Set<String> OUTPUT_PARAMS_SHOWN_ELSEWHERE = outputParamsShownElsewhere();

    private static Set<String> outputParamsShownElsewhere() {
        Set<String> names = new LinkedHashSet<>(BufferConf.LEGACY.keySet());
        names.addAll(List.of("@type", "type", "@id", "detach_process"));
        return Set.copyOf(names);
    }

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

    private record Named<T>(String name, T component) {}

    /**
     * A running output a reload may keep: its {@code <match>} (or {@code <store>}) section's identity
     * ({@code key}: the label, the output id, the section's text, the mapped buffer settings), the
     * output, its secondary (or null), its buffer (or null when unbuffered) and the sink routes hand
     * events to (the buffer, or the synchronous sink).
     */
    private record Terminal(
            List<Object> key,
            String outputId,
            Output output,
            Output secondary,
            EventBuffer buffer,
            EventSink sink,
            ComponentMeters meters) {
        String describe() {
            return "output " + output.type() + " [id " + outputId + "]";
        }
    }

    /**
     * A running {@code <source>} a reload may keep ({@code forward}, {@code sample}): its identity
     * ({@code key}: the label it feeds, the section's text, the mapped settings), the input, the
     * switchable sink it was built with, and the counting sink in front of this conf's router that
     * {@link #start()} points it at.
     */
    private record Source(
            List<Object> key, String name, Input input, SwitchableSink sink, EventSink target, ComponentMeters meters) {
        /** What a reload keeping it logs after "kept": its open connections, for a forward source. */
        String keptDetail() {
            return input instanceof ForwardServer forward ? " (" + forward.activeConnections() + " connections)" : "";
        }
    }

    private final SystemSettings system;
    private final Map<String, Router> routers;
    private final List<Named<Output>> outputs;
    private final List<Named<EventBuffer>> buffers;
    private final List<Named<Input>> inputs;
    private final List<Terminal> terminals;
    private final List<Source> sources;
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
        this.routers = Collections.unmodifiableMap(a.routers);
        this.outputs = List.copyOf(a.outputs);
        this.buffers = List.copyOf(a.buffers);
        this.inputs = List.copyOf(a.inputs);
        this.terminals = List.copyOf(a.terminals);
        this.sources = List.copyOf(a.sources);
        this.carried = identitySet(a.carried);
        this.carriedMeters = List.copyOf(a.carriedMeters);
        this.processMeters = a.plugins.outputs().values().stream()
                .distinct()
                .filter(MeterBinder.class::isInstance)
                .map(MeterBinder.class::cast)
                .toList();
        this.registry = a.env.registry();
        this.pluginInfos = List.copyOf(a.pluginInfos);
        this.warnings = List.copyOf(a.warnings);
        this.summary = a.summary();
        this.environment = a.environment;
        this.fluentLog = a.fluentLog;
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
        for (Named<Input> i : inputs) {
            if (toClose.contains(i.component())) {
                step("close input " + i.name(), i.component()::close);
            }
        }
        for (Named<EventBuffer> b : buffers) {
            if (toClose.contains(b.component())) {
                step("close buffer of " + b.name(), b.component()::close);
            }
        }
        for (Named<Output> o : outputs) {
            if (toClose.contains(o.component())) {
                step("close output " + o.name(), o.component()::close);
            }
        }
    }

    /** True while {@code component} runs in this application (started, and not closed or kept for the next). */
    private synchronized boolean isRunning(Object component) {
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
            long deadline = System.nanoTime() + system.shutdownTimeout().toNanos();
            int toDrain;
            Set<Object> keep;
            synchronized (this) {
                toDrain = startedInputs;
                keep = kept;
            }
            // The admin endpoint closes last, so that /health/ready answers 503 for as long as the node lives.
            List<Named<Input>> admin = inputs.stream()
                    .filter(i -> i.component() instanceof AdminInput)
                    .toList();
            for (Named<Input> i : inputs.subList(0, toDrain)) {
                if (!admin.contains(i) && !keep.contains(i.component())) {
                    Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
                    step("drain input " + i.name(), () -> i.component().drain(left));
                }
            }
            for (Named<Input> i : inputs) {
                if (!admin.contains(i) && !keep.contains(i.component())) {
                    step("close input " + i.name(), i.component()::close);
                }
            }
            if (fluentLog != null) {
                // before the buffers close: what is queued still reaches them (Fluentd's graceful_stop)
                step("stop log events into <label " + FluentLogEvents.LABEL + ">", fluentLog::detach);
            }
            for (Named<EventBuffer> b : buffers) {
                if (!keep.contains(b.component())) {
                    step("close buffer of " + b.name(), b.component()::close);
                }
            }
            for (Named<Output> o : outputs) {
                if (!keep.contains(o.component())) {
                    step("close output " + o.name(), o.component()::close);
                }
            }
            for (Named<Input> i : admin) {
                step("close input " + i.name(), i.component()::close);
            }
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

    private static void step(String what, Runnable action) {
        try {
            action.run();
            log.info("Shutdown: {} done", what);
        } catch (RuntimeException e) {
            log.warn("Shutdown: {} failed, continuing: {}", what, e.toString());
        }
    }

    private static void waitQuietly(Duration d) {
        try {
            new CountDownLatch(1).await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Maps the conf; confined to the assembling thread. */
    private static final class Assembler {
        private final ConfElement root;
        private final Plugins plugins;
        private final Environment env;
        private final BufferFactory bufferFactory;
        private final OutputIds ids = new OutputIds();
        private final Map<String, Router> routers = new LinkedHashMap<>();
        private final List<Named<Output>> outputs = new ArrayList<>();
        private final List<Named<EventBuffer>> buffers = new ArrayList<>();
        private final List<Named<Input>> inputs = new ArrayList<>();
        private final List<Terminal> terminals = new ArrayList<>();
        private final List<Source> sources = new ArrayList<>();
        private final List<Object> carried = new ArrayList<>();
        private final List<ComponentMeters> carriedMeters = new ArrayList<>();
        private final Map<List<Object>, Deque<Terminal>> runningTerminals = new HashMap<>();
        private final Map<List<Object>, Deque<Source>> runningSources = new HashMap<>();
        private final EnvironmentChecks environment = new EnvironmentChecks();
        private FluentLogEvents fluentLog;
        private final List<PluginInfo> pluginInfos = new ArrayList<>();
        private final AtomicReference<Aggregator> self = new AtomicReference<>();
        private int filterCount;
        private final List<String> warnings = new ArrayList<>();
        private final List<String> sourceLines = new ArrayList<>();
        private final Map<String, List<String>> routeLines = new LinkedHashMap<>();
        private final Map<String, Map<String, ConfElement>> relabels = new LinkedHashMap<>();
        private SystemSettings system;
        private final IngestCounting ingest;
        private final Map<String, String> outputMonitorLabels = new LinkedHashMap<>();
        private final Map<String, String> monitorLabels = new LinkedHashMap<>();

        Assembler(ConfElement root, Plugins plugins, Environment env, Aggregator running) {
            if (running != null) {
                for (Terminal t : running.terminals) {
                    if (running.isRunning(t.output())) {
                        runningTerminals
                                .computeIfAbsent(t.key(), k -> new ArrayDeque<>())
                                .add(t);
                    }
                }
                for (Source s : running.sources) {
                    if (running.isRunning(s.input())) {
                        runningSources
                                .computeIfAbsent(s.key(), k -> new ArrayDeque<>())
                                .add(s);
                    }
                }
            }
            this.root = root;
            this.plugins = plugins;
            this.env = env;
            this.ingest = new IngestCounting(env.registry(), env.hostname());
            this.bufferFactory = plugins.bufferFactory() != null
                    ? plugins.bufferFactory()
                    : (id, s, out, sec, registry) -> Buffers.create(id, s, out, sec, env.clock(), registry);
        }

        void assemble(ConfProblems problems) {
            root.markUsed();
            ConfElement systemElement = root.element("system");
            system = SystemSettings.fromConf(systemElement, problems);
            List<ConfElement> top = WorkerSections.topLevel(root, systemElement, system.workers(), warnings, problems);
            for (ConfElement e : top) {
                if (!TOP_LEVEL.contains(e.name())) {
                    e.markAllUsed();
                    problems.add(new ConfException(
                            e.location(),
                            "unknown directive " + e.describe()
                                    + " (expected: source, match, filter, label, system or worker)"));
                }
            }
            // Routers first, so that relabel can point at any label, whatever the order in the file.
            routers.put(Router.ROOT_LABEL, new Router(Router.ROOT_LABEL, env.registry()));
            Map<String, ConfElement> labels = new LinkedHashMap<>();
            for (ConfElement label : named(top, "label")) {
                String name = label.arg().trim();
                if (!name.startsWith("@") || name.length() < 2 || name.contains(" ")) {
                    problems.add(new ConfException(
                            label.location(),
                            "<label " + name + ">: a label name starts with @ (expected:" + " <label @NAME>)"));
                }
                if (labels.containsKey(name)) {
                    problems.add(new ConfException(
                            label.location(),
                            "<label " + name + "> is defined twice (first at "
                                    + labels.get(name).location() + ")"));
                    label.markAllUsed();
                    continue;
                }
                labels.put(name, label);
                routers.put(name, new Router(name, env.registry()));
            }
            configure(Router.ROOT_LABEL, top, problems);
            for (Map.Entry<String, ConfElement> l : labels.entrySet()) {
                List<ConfElement> inside = new ArrayList<>();
                for (ConfElement inner : l.getValue().elements()) {
                    if (!inner.name().equals("match") && !inner.name().equals("filter")) {
                        inner.markAllUsed();
                        problems.add(new ConfException(
                                inner.location(),
                                inner.describe() + " inside <label " + l.getKey() + "> (expected: filter or match)"));
                    } else {
                        inside.add(inner);
                    }
                }
                configure(l.getKey(), inside, problems);
            }
            EventSink errorRouter = routers.get(Router.ERROR_LABEL);
            for (Router r : routers.values()) {
                r.configure(pendingRules.get(r.label()), r.label().equals(Router.ERROR_LABEL) ? null : errorRouter);
            }
            attempt(problems, this::checkRelabelCycles);
            fluentLog = fluentLogEvents();
            for (ConfElement source : named(top, "source")) {
                attempt(problems, () -> source(source));
            }
            FluentdMeters.register(env.registry(), pluginInfos, outputMonitorLabels, monitorLabels);
        }

        /** {@code <label @FLUENT_LOG>}: its matched fluent.* tags and its outputs' ids (Fluentd's FluentLogEventRouter.build). */
        private FluentLogEvents fluentLogEvents() {
            Router router = routers.get(FluentLogEvents.LABEL);
            if (router == null) {
                return null;
            }
            Set<String> routed = new LinkedHashSet<>();
            List<String> unmatched = new ArrayList<>();
            for (String tag : FluentLogEvents.TAGS) {
                (router.describeRoute(tag).equals("no match") ? unmatched : routed).add(tag);
            }
            if (!unmatched.isEmpty()) {
                warnings.add("<label " + FluentLogEvents.LABEL + ">: match for some tags of log events are not"
                        + " defined in @FLUENT_LOG label (to be ignored): " + unmatched);
            }
            Set<String> ownOutputs = new LinkedHashSet<>();
            for (Terminal t : terminals) {
                if (FluentLogEvents.LABEL.equals(t.key().get(0))) {
                    ownOutputs.add(t.outputId());
                }
            }
            return new FluentLogEvents(router, routed, ownOutputs, env.registry());
        }

        private static List<ConfElement> named(List<ConfElement> elements, String name) {
            List<ConfElement> out = new ArrayList<>();
            for (ConfElement e : elements) {
                if (e.name().equals(name)) {
                    e.markUsed();
                    out.add(e);
                }
            }
            return out;
        }

        /** Runs one directive's mapping; its error is collected and the next directive is mapped. */
        private static void attempt(ConfProblems problems, Runnable mapping) {
            try {
                mapping.run();
            } catch (ConfException e) {
                problems.add(e);
            }
        }

        /** What {@code /api/config.json} shows after pid and ppid (Fluentd's supervisor options that apply). */
        private Map<String, Object> processInfo() {
            Map<String, Object> m = new LinkedHashMap<>();
            String file = root.location() == null ? null : root.location().file();
            m.put("config_path", file);
            m.put("pid_file", null);
            m.put("plugin_dirs", List.of());
            m.put("log_path", null);
            m.put("root_dir", system.rootDir() == null ? null : system.rootDir().toString());
            m.put("log_level", system.logLevel() == null ? "info" : system.logLevel());
            m.put("workers", 1);
            m.put("event_loop_threads", system.workers());
            m.put("daemonize", false);
            m.put("use_v1_config", true);
            m.put("strict_config_value", false);
            return m;
        }

        private final Map<String, List<Router.Rule>> pendingRules = new LinkedHashMap<>();

        private void configure(String label, List<ConfElement> scope, ConfProblems problems) {
            List<Router.Rule> rules = new ArrayList<>();
            List<String> lines = routeLines.computeIfAbsent(label, k -> new ArrayList<>());
            for (ConfElement e : scope) {
                if (e.name().equals("filter")) {
                    attempt(problems, () -> {
                        e.markUsed();
                        TagPattern pattern = pattern(e);
                        EventFilter filter = filter(e);
                        filterCount++;
                        pluginInfos.add(new PluginInfo(
                                e.has("@id") ? e.param("@id").value() : "filter-" + filterCount,
                                "filter",
                                filter.type(),
                                PluginConfig.of(e),
                                null));
                        String description = e.describe() + " (" + e.location() + ")";
                        rules.add(new Router.FilterRule(pattern, filter, description));
                        lines.add("  " + description + " " + filter.type());
                    });
                } else if (e.name().equals("match")) {
                    attempt(problems, () -> {
                        e.markUsed();
                        TagPattern pattern = pattern(e);
                        List<String> outputLines = new ArrayList<>();
                        EventSink sink = output(e, label, null, outputLines, "    ");
                        String description = e.describe() + " (" + e.location() + ")";
                        rules.add(new Router.MatchRule(pattern, sink, description));
                        lines.add("  " + description);
                        lines.addAll(outputLines);
                    });
                }
            }
            pendingRules.put(label, rules);
        }

        private static TagPattern pattern(ConfElement e) {
            try {
                return TagPattern.compile(e.arg());
            } catch (IllegalArgumentException ex) {
                throw new ConfException(e.location(), e.describe() + ": " + ex.getMessage(), ex);
            }
        }

        private EventFilter filter(ConfElement e) {
            String type = e.type();
            e.string("@id", null);
            e.string("@log_level", null);
            if (type == null) {
                throw e.missing("@type");
            }
            FilterFactory factory = plugins.filters().get(type);
            if (factory == null) {
                throw e.error(
                        e.has("@type") ? "@type" : "type",
                        "unknown filter type \"" + type + "\" (known: "
                                + String.join(", ", plugins.filters().keySet()) + ")");
            }
            return factory.create(e, env);
        }

        /** Builds the sink of a {@code <match>} or {@code <store>}. */
        private EventSink output(ConfElement e, String label, String forcedId, List<String> lines, String indent) {
            e.markUsed();
            String type = e.type();
            if (type == null) {
                throw e.missing("@type");
            }
            e.string(
                    "@log_level", null); // accepted; per-plugin log levels are not supported (the global level applies)
            String explicitId = e.string("@id", null);
            String id;
            if (explicitId != null) {
                id = ids.explicit(e, explicitId);
            } else if (forcedId != null) {
                id = forcedId;
            } else {
                id = ids.derive(label.equals(Router.ROOT_LABEL) ? null : label, type, e.arg());
            }
            OutputFactory factory = plugins.outputs().get(type);
            if (factory == null) {
                throw e.error(
                        e.has("@type") ? "@type" : "type",
                        "unknown output type \"" + type + "\" in " + e.describe() + " (known: "
                                + String.join(", ", plugins.outputs().keySet()) + ")");
            }
            Context ctx = new Context(e, id, label, explicitId != null, lines, indent);
            lines.add(indent + "→ " + type + " [id " + id + "]");
            EventSink sink = factory.create(e, ctx);
            lines.addAll(DryRunReport.parameters(e, OUTPUT_PARAMS_SHOWN_ELSEWHERE, indent + "  "));
            return sink;
        }

        private Output secondary(ConfElement sec, String outputId) {
            sec.markUsed();
            String type = sec.type();
            if (type == null) {
                throw sec.missing("@type");
            }
            if (sec.element("buffer") != null) {
                throw new ConfException(
                        sec.location(),
                        "<secondary> cannot have a <buffer> (expected: the primary's buffer" + " hands it the chunks)");
            }
            SecondaryFactory factory = plugins.secondaries().get(type);
            if (factory == null) {
                throw sec.error(
                        sec.has("@type") ? "@type" : "type",
                        "\"" + type + "\" is not supported in <secondary> (expected: "
                                + String.join(" or ", plugins.secondaries().keySet()) + ")");
            }
            return factory.create(sec, outputId + "-secondary", env);
        }

        private void source(ConfElement e) {
            e.markUsed();
            String type = e.type();
            if (type == null) {
                throw e.missing("@type");
            }
            e.string("@id", null);
            e.string("@log_level", null);
            if (AdminSources.isMonitor(type)) {
                Map<String, String> labels = AdminSources.monitorLabels(e, type, env.hostname());
                (type.equals(AdminSources.PROMETHEUS_MONITOR) ? monitorLabels : outputMonitorLabels).putAll(labels);
                pluginInfos.add(new PluginInfo(e.string("@id", "in_" + type), "input", type, PluginConfig.of(e), null));
                sourceLines.add(
                        "  " + type + " (fluentd_" + (type.equals(AdminSources.PROMETHEUS_MONITOR) ? "" : "output_")
                                + "status_* on every admin source's /metrics) (" + e.location() + ")");
                return;
            }
            if (AdminSources.isAdmin(type)) {
                AdminSettings admin = AdminSources.settings(e, type);
                Input input = new AdminInput(new AdminServer(
                        admin,
                        AdminSources.metricsText(env.registry()),
                        () -> self.get() == null
                                ? List.of("starting")
                                : self.get().problems(),
                        () -> self.get() == null ? List.of() : self.get().plugins(),
                        this::processInfo,
                        env.zone()));
                String adminBind = admin.bind();
                int adminPort = admin.port();
                String name = type + " " + adminBind + ":" + adminPort;
                inputs.add(new Named<>(name, input));
                bind(input, e, adminBind, adminPort, false);
                pluginInfos.add(new PluginInfo(e.string("@id", "in_" + type), "input", type, PluginConfig.of(e), null));
                sourceLines.add(
                        "  " + name + " (/health/live, /health/ready, /metrics, /api/plugins.json, /api/config.json) ("
                                + e.location() + ")");
                sourceLines.addAll(DryRunReport.parameters(e, Set.of("@type", "type"), "    "));
                return;
            }
            if (type.equals("sample") || type.equals("dummy")) {
                sampleSource(e, type);
                return;
            }
            if (type.equals("http")) {
                httpSource(e);
                return;
            }
            InputFactory factory = plugins.inputs().get(type);
            if (factory == null) {
                throw e.error(
                        e.has("@type") ? "@type" : "type",
                        "unknown input type \"" + type + "\" (known: "
                                + String.join(", ", plugins.inputs().keySet())
                                + ", sample, dummy, http, monitor_agent, prometheus, prometheus_monitor,"
                                + " prometheus_output_monitor)");
            }
            String label = e.string("@label", Router.ROOT_LABEL);
            Router router = routers.get(label);
            if (router == null) {
                throw e.error(
                        "@label", "unknown label " + label + " (defined: " + String.join(", ", routers.keySet()) + ")");
            }
            ForwardSettings settings = ForwardConf.settings(e, system);
            IngestCounting.Sink counted = ingest.forInput(router);
            String name = type + " " + settings.bind() + ":" + settings.port();
            List<Object> key = List.of(label, LoadedConf.sectionText(e), settings);
            Source running = claim(runningSources, key);
            SwitchableSink sink = running != null ? running.sink() : new SwitchableSink(counted);
            ComponentMeters meters = sourceMeters(running);
            Input input = running != null ? running.input() : factory.create(settings, sink, meters.registry());
            if (running != null) {
                carried.add(input);
            }
            sources.add(new Source(key, name, input, sink, counted, meters));
            inputs.add(new Named<>(name, input));
            bind(input, e, settings.bind(), settings.port(), true);
            ConfElement transport = e.element("transport");
            if (settings.tls() != null && transport != null) {
                environment.readableFile(transport, "cert_path");
                environment.readableFile(transport, "private_key_path");
                environment.readableFile(transport, "ca_path");
            }
            pluginInfos.add(new PluginInfo(
                    e.string("@id", "in_" + type + "_" + settings.port()),
                    "input",
                    type,
                    PluginConfig.of(e),
                    null,
                    null,
                    counted::counts));
            sourceLines.add("  " + name + (settings.tls() != null ? " tls" : "")
                    + (settings.security() != null ? " security" : "") + " → " + label + " (" + e.location() + ")");
            sourceLines.addAll(DryRunReport.parameters(e, Set.of("@type", "type"), "    "));
        }

        /** A source's meters: those of the running source it takes over, or new ones in this conf's registry. */
        private ComponentMeters sourceMeters(Source running) {
            if (running == null) {
                return new ComponentMeters(env.registry());
            }
            carriedMeters.add(running.meters());
            return running.meters();
        }

        /** {@code @type sample} / {@code dummy}: generated events into its label's router, counted as input. */
        private void sampleSource(ConfElement e, String type) {
            SampleSettings settings = SampleConf.settings(e);
            Router router = labelRouter(e);
            IngestCounting.Sink counted = ingest.forInput(router);
            String name = type + " " + settings.tag();
            List<Object> key = List.of(router.label(), LoadedConf.sectionText(e), settings);
            Source running = claim(runningSources, key);
            SwitchableSink sink = running != null ? running.sink() : new SwitchableSink(counted);
            ComponentMeters meters = sourceMeters(running);
            Input input = running != null ? running.input() : new SampleInput(settings, sink, env.clock());
            if (running != null) {
                carried.add(input);
            }
            sources.add(new Source(key, name, input, sink, counted, meters));
            inputs.add(new Named<>(name, input));
            pluginInfos.add(new PluginInfo(
                    e.string("@id", "in_" + type + "_" + settings.tag()),
                    "input",
                    type,
                    PluginConfig.of(e),
                    null,
                    null,
                    counted::counts));
            sourceLines.add("  " + name + " (" + settings.rate() + " events/s) → " + router.label() + " ("
                    + e.location() + ")");
            sourceLines.addAll(DryRunReport.parameters(e, Set.of("@type", "type"), "    "));
        }

        /** {@code @type http}: in_http into its label's router, counted as input, carried over a reload. */
        private void httpSource(ConfElement e) {
            HttpSettings settings = HttpConf.settings(e);
            Router router = labelRouter(e);
            IngestCounting.Sink counted = ingest.forInput(router);
            String name = "http " + settings.bind() + ":" + settings.port();
            List<Object> key = List.of(router.label(), LoadedConf.sectionText(e), settings);
            Source running = claim(runningSources, key);
            SwitchableSink sink = running != null ? running.sink() : new SwitchableSink(counted);
            ComponentMeters meters = sourceMeters(running);
            Input input =
                    running != null ? running.input() : new HttpInput(settings, sink, env.clock(), meters.registry());
            if (running != null) {
                carried.add(input);
            }
            sources.add(new Source(key, name, input, sink, counted, meters));
            inputs.add(new Named<>(name, input));
            bind(input, e, settings.bind(), settings.port(), false);
            pluginInfos.add(new PluginInfo(
                    e.string("@id", "in_http_" + settings.port()),
                    "input",
                    "http",
                    PluginConfig.of(e),
                    null,
                    null,
                    counted::counts));
            sourceLines.add("  " + name + " (POST /TAG) → " + router.label() + " (" + e.location() + ")");
            sourceLines.addAll(DryRunReport.parameters(e, Set.of("@type", "type"), "    "));
        }

        /** Takes the first running component of {@code key} from {@code pool}, or null. */
        private static <T> T claim(Map<List<Object>, Deque<T>> pool, List<Object> key) {
            Deque<T> candidates = pool.get(key);
            return candidates == null ? null : candidates.poll();
        }

        private Router labelRouter(ConfElement e) {
            String label = e.string("@label", Router.ROOT_LABEL);
            Router router = routers.get(label);
            if (router == null) {
                throw e.error(
                        "@label", "unknown label " + label + " (defined: " + String.join(", ", routers.keySet()) + ")");
            }
            return router;
        }

        /** Notes where {@code input}'s port is set: checked before start, and named if the bind fails. */
        private void bind(Input input, ConfElement source, String bindAddress, int port, boolean udpToo) {
            ConfParam portParam = source.params().get("port");
            ConfLocation location = portParam != null ? portParam.location() : source.location();
            environment.freePort(input, location, bindAddress, port, udpToo);
        }

        private void checkRelabelCycles() {
            for (String start : relabels.keySet()) {
                Deque<String> path = new ArrayDeque<>();
                visit(start, path, new LinkedHashSet<>());
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

        String summary() {
            StringBuilder sb = new StringBuilder();
            DryRunReport.system(system, "").forEach(l -> sb.append(l).append('\n'));
            sb.append("sources:\n");
            if (sourceLines.isEmpty()) {
                sb.append("  (none)\n");
            }
            sourceLines.forEach(l -> sb.append(l).append('\n'));
            for (Map.Entry<String, List<String>> r : routeLines.entrySet()) {
                sb.append("routes of ").append(r.getKey()).append(":\n");
                if (r.getValue().isEmpty()) {
                    sb.append("  (none)\n");
                }
                r.getValue().forEach(l -> sb.append(l).append('\n'));
            }
            return sb.toString();
        }

        /** The context of one output element. */
        private final class Context implements OutputContext {
            private final ConfElement element;
            private final String outputId;
            private final String label;
            private final boolean explicitId;
            private final List<String> lines;
            private final String indent;
            private int stores;
            /** The meters of this section's output, buffer and secondary; made at the first registry() call. */
            private ComponentMeters meters;

            EventSink terminalSink;

            Context(
                    ConfElement element,
                    String outputId,
                    String label,
                    boolean explicitId,
                    List<String> lines,
                    String indent) {
                this.element = element;
                this.outputId = outputId;
                this.label = label;
                this.explicitId = explicitId;
                this.lines = lines;
                this.indent = indent;
            }

            @Override
            public String outputId() {
                return outputId;
            }

            @Override
            public EventSink terminal(Output output, OutputDefaults defaults) {
                BufferConf.Mapped mapped = BufferConf.map(element, outputId, defaults, system, warnings);
                ConfElement bufferSection = element.element("buffer");
                List<String> chunkKeys = bufferSection == null ? List.of() : ChunkKeySpec.parse(bufferSection.arg());
                for (String param : defaults.placeholderParams()) {
                    PlaceholderConf.check(element, param, chunkKeys);
                }
                if (defaults.placeholderParams().contains("stream_name")) {
                    // Kinesis outputs: these name record fields
                    PlaceholderConf.refuseIn(element, "partition_key");
                    PlaceholderConf.refuseIn(element, "explicit_hash_key");
                }
                ConfElement secondarySection = element.element("secondary");
                if (secondarySection != null) {
                    for (String param : List.of("path", "basename", "directory")) {
                        PlaceholderConf.check(secondarySection, param, chunkKeys);
                    }
                }
                List<String> recordKeys = ChunkKeySpec.recordKeys(chunkKeys);
                TimekeyConf.TimeSlices slices =
                        defaults.chunkKeysHandledByOutput().contains("time")
                                ? null
                                : TimekeyConf.of(element, env.zone());
                if (slices != null && mapped != null) {
                    // Fluentd's rule for time-sliced chunks: sealed once the slice ended and timekey_wait passed
                    mapped = new BufferConf.Mapped(
                            mapped.settings().toBuilder()
                                    .timeSlices(slices.timekey(), slices.timekeyWait())
                                    .build(),
                            mapped.description(),
                            mapped.pathLocation(),
                            mapped.renamed(),
                            mapped.values());
                }
                List<Object> key = List.of(
                        label,
                        outputId,
                        LoadedConf.sectionText(element),
                        mapped == null ? "unbuffered" : mapped.settings(),
                        String.valueOf(system.rootDir()));
                Terminal running = claim(runningTerminals, key);
                if (running != null) {
                    // the output this section made is dropped unstarted: the running one stays
                    output = running.output();
                    carried.add(output);
                    if (meters != null) {
                        meters.discard();
                    }
                    meters = running.meters();
                    carriedMeters.add(meters);
                } else if (meters == null) {
                    meters = new ComponentMeters(env.registry());
                }
                outputs.add(new Named<>(outputId, output));
                if (mapped == null) {
                    SyncOutputSink sync = running != null && running.sink() instanceof SyncOutputSink s
                            ? s
                            : new SyncOutputSink(outputId, output, env.clock());
                    terminals.add(new Terminal(key, outputId, output, null, null, sync, meters));
                    pluginInfos.add(new PluginInfo(
                            outputId, "output", output.type(), PluginConfig.of(element), null, sync::counters, null));
                    if (element.element("secondary") != null) {
                        throw new ConfException(
                                element.element("secondary").location(),
                                "<secondary> needs a buffered output" + " (expected: a <buffer> section in "
                                        + element.describe() + ")");
                    }
                    lines.add(indent + "  unbuffered (written synchronously; the ack waits for it)");
                    terminalSink = sync;
                    return terminalSink;
                }
                if (!explicitId && mapped.settings().type() == BufferSettings.BufferType.FILE) {
                    warnings.add(element.location() + ": " + element.describe() + " has no @id: its buffer directory "
                            + mapped.settings().path()
                            + " is derived from its pattern and type, so changing either moves the"
                            + " buffer; set @id");
                }
                ConfElement sec = element.element("secondary");
                Output secondary = sec == null ? null : secondary(sec, outputId);
                if (running != null && running.secondary() != null) {
                    secondary = running.secondary();
                    carried.add(secondary);
                }
                if (secondary != null) {
                    outputs.add(new Named<>(outputId + "-secondary", secondary));
                }
                if (mapped.settings().type() == BufferSettings.BufferType.FILE) {
                    environment.writableDirectory(
                            mapped.pathLocation(), "path", mapped.settings().path());
                }
                EventBuffer buffer = running != null && running.buffer() != null
                        ? running.buffer()
                        : bufferFactory.create(outputId, mapped.settings(), output, secondary, meters.registry());
                if (running != null) {
                    carried.add(buffer);
                }
                terminals.add(new Terminal(key, outputId, output, secondary, buffer, buffer, meters));
                buffers.add(new Named<>(outputId, buffer));
                pluginInfos.add(
                        new PluginInfo(outputId, "output", output.type(), PluginConfig.of(element), buffer::stats));
                lines.add(indent + "  buffer " + mapped.description());
                lines.addAll(DryRunReport.buffer(mapped, indent + "    "));
                String slowDrain = DryRunReport.drainWarning(element, mapped.settings());
                if (slowDrain != null) {
                    warnings.add(slowDrain);
                }
                if (secondary != null) {
                    lines.add(indent + "  secondary " + secondary.type());
                }
                if (!recordKeys.isEmpty() || slices != null) {
                    // a chunk per distinct values of the record keys (Fluentd's metadata variables)
                    // and per time slice (Fluentd's metadata timekey)
                    terminalSink = slices == null
                            ? new ChunkKeySink(buffer, recordKeys)
                            : new ChunkKeySink(buffer, recordKeys, slices.timekey(), slices.zone());
                    List<String> shown = new ArrayList<>(recordKeys);
                    if (slices != null) {
                        shown.add("time (timekey " + ConfValues.formatTime(slices.timekey()) + " in " + slices.zone()
                                + ")");
                    }
                    lines.add(indent + "  chunk keys " + String.join(", ", shown)
                            + ": a chunk per distinct values, at most "
                            + mapped.settings().stagedChunksLimit()
                            + " staged at once");
                    return terminalSink;
                }
                terminalSink = buffer;
                return buffer;
            }

            @Override
            public EventSink child(ConfElement child) {
                stores++;
                String id = child.has("@id") ? null : ids.store(outputId, stores);
                return output(child, label, id, lines, indent + "  ");
            }

            @Override
            public EventSink label(String name, ConfElement referencedFrom) {
                Router target = routers.get(name);
                if (target == null) {
                    ConfParam p = referencedFrom.params().get("@label");
                    throw new ConfException(
                            p == null ? referencedFrom.location() : p.location(),
                            "@label: unknown label " + name + " (defined: " + String.join(", ", routers.keySet())
                                    + ")");
                }
                relabels.computeIfAbsent(label, k -> new LinkedHashMap<>()).putIfAbsent(name, referencedFrom);
                lines.add(indent + "  to label " + name);
                return target;
            }

            @Override
            public OutputStream stdout() {
                return env.stdout();
            }

            @Override
            public ZoneId timekeyZone() {
                TimekeyConf.TimeSlices slices = TimekeyConf.of(element, env.zone());
                return slices == null ? null : slices.zone();
            }

            @Override
            public ZoneId zone() {
                return env.zone();
            }

            @Override
            public MeterRegistry registry() {
                if (meters == null) {
                    meters = new ComponentMeters(env.registry());
                }
                return meters.registry();
            }

            @Override
            public Clock clock() {
                return env.clock();
            }

            @Override
            public String hostname() {
                return env.hostname();
            }

            @Override
            public Path rootDir() {
                return system.rootDir();
            }

            @Override
            public void warn(String paramName, String message) {
                ConfParam p = element.params().get(paramName);
                warnings.add((p == null ? element.location() : p.location()) + ": parameter '" + paramName + "' in "
                        + element.describe() + " " + message);
            }

            @Override
            public void note(String message) {
                lines.add(indent + "  " + message);
            }
        }
    }
}
