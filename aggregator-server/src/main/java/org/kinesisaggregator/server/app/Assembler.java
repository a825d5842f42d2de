package org.kinesisaggregator.server.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.kinesisaggregator.admin.FluentdMeters;
import org.kinesisaggregator.admin.PluginInfo;
import org.kinesisaggregator.buffer.Buffers;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfProblems;
import org.kinesisaggregator.server.Input;
import org.kinesisaggregator.server.route.EventFilter;
import org.kinesisaggregator.server.route.Router;
import org.kinesisaggregator.server.route.TagPattern;

/**
 * Maps a parsed conf onto plugin settings and components: {@code <system>}, the top-level
 * directives, each {@code <source>}, {@code <filter>} and {@code <match>} through its {@code @type}'s
 * factory in {@link Plugins}. What it gathers, {@link Aggregator} then runs. It delegates the labels
 * and relabel edges to {@link LabelGraph}, the {@code --dry-run} lines to {@link RouteSummary}, each
 * output section's factory context to {@link OutputSection}, and what a reload takes over to
 * {@link Carryover}. No I/O, no threads.
 *
 * <p>Used once; confined to the assembling thread.
 */
final class Assembler {
    private static final Set<String> TOP_LEVEL = Set.of("source", "match", "filter", "label", "system");

    /** An output's parameters that the report shows in its own lines (type, id, the buffer's v0.12 names). */
    private static final Set<String> OUTPUT_PARAMS_SHOWN_ELSEWHERE = outputParamsShownElsewhere();

    private static Set<String> outputParamsShownElsewhere() {
        Set<String> names = new LinkedHashSet<>(BufferConf.LEGACY.keySet());
        names.addAll(List.of("@type", "type", "@id", "detach_process"));
        return Set.copyOf(names);
    }

    private final ConfElement root;
    final Plugins plugins;
    final Aggregator.Environment env;
    final BufferFactory bufferFactory;
    final OutputIds ids = new OutputIds();
    final LabelGraph labels;
    final RouteSummary summary = new RouteSummary();
    final Carryover carryover;
    final List<Named<Output>> outputs = new ArrayList<>();
    final List<Named<EventBuffer>> buffers = new ArrayList<>();
    final List<Named<Input>> inputs = new ArrayList<>();
    final List<Terminal> terminals = new ArrayList<>();
    final List<Source> sources = new ArrayList<>();
    final EnvironmentChecks environment = new EnvironmentChecks();
    final List<PluginInfo> pluginInfos = new ArrayList<>();
    /** The application once made, for the admin endpoints' callbacks (null until then). */
    final AtomicReference<Aggregator> self = new AtomicReference<>();

    final List<String> warnings = new ArrayList<>();
    FluentLogEvents fluentLog;
    SystemSettings system;

    final IngestCounting ingest;
    private final Map<String, List<Router.Rule>> pendingRules = new LinkedHashMap<>();
    final Map<String, String> outputMonitorLabels = new LinkedHashMap<>();
    final Map<String, String> monitorLabels = new LinkedHashMap<>();
    private int filterCount;

    /** @param running the application running now (a reload takes over from it), or null */
    Assembler(ConfElement root, Plugins plugins, Aggregator.Environment env, Aggregator running) {
        this.carryover = new Carryover(running);
        this.root = root;
        this.plugins = plugins;
        this.env = env;
        this.labels = new LabelGraph(env.registry());
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
        Map<String, ConfElement> defined = labels.define(named(top, "label"), problems);
        configure(Router.ROOT_LABEL, top, problems);
        for (Map.Entry<String, ConfElement> l : defined.entrySet()) {
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
        labels.configure(pendingRules);
        attempt(problems, labels::checkCycles);
        fluentLog = fluentLogEvents();
        for (ConfElement source : named(top, "source")) {
            attempt(problems, () -> source(source));
        }
        FluentdMeters.register(env.registry(), pluginInfos, outputMonitorLabels, monitorLabels);
    }

    /** {@code <label @FLUENT_LOG>}: its matched fluent.* tags and its outputs' ids (Fluentd's FluentLogEventRouter.build). */
    private FluentLogEvents fluentLogEvents() {
        Router router = labels.router(FluentLogEvents.LABEL);
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
    Map<String, Object> processInfo() {
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

    private void configure(String label, List<ConfElement> scope, ConfProblems problems) {
        List<Router.Rule> rules = new ArrayList<>();
        RouteSummary.Routes lines = summary.routes(label);
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
                    lines.filter(description, filter.type());
                });
            } else if (e.name().equals("match")) {
                attempt(problems, () -> {
                    e.markUsed();
                    TagPattern pattern = pattern(e);
                    RouteSummary.Block block = RouteSummary.Block.ofMatch();
                    EventSink sink = output(e, label, null, block);
                    String description = e.describe() + " (" + e.location() + ")";
                    rules.add(new Router.MatchRule(pattern, sink, description));
                    lines.match(description, block);
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

    /**
     * Builds the sink of a {@code <match>} or {@code <store>}.
     *
     * @param forcedId the id of a {@code <store>} without {@code @id}, or null
     * @param block where the output's summary lines go
     */
    EventSink output(ConfElement e, String label, String forcedId, RouteSummary.Block block) {
        e.markUsed();
        String type = e.type();
        if (type == null) {
            throw e.missing("@type");
        }
        e.string("@log_level", null); // accepted; per-plugin log levels are not supported (the global level applies)
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
        OutputSection ctx = new OutputSection(this, e, id, label, explicitId != null, block);
        block.heading(type, id);
        EventSink sink = factory.create(e, ctx);
        block.parameters(e, OUTPUT_PARAMS_SHOWN_ELSEWHERE);
        return sink;
    }

    /** The output of a {@code <secondary>} of the output {@code outputId}. */
    Output secondary(ConfElement sec, String outputId) {
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
        SourceFactory factory = plugins.sources().get(type);
        if (factory == null) {
            throw e.error(
                    e.has("@type") ? "@type" : "type",
                    "unknown input type \"" + type + "\" (known: "
                            + String.join(", ", plugins.sources().keySet()) + ")");
        }
        factory.add(new SourceSection(this, e, type));
    }
}
