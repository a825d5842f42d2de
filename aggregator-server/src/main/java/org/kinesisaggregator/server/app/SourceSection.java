package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.kinesisaggregator.admin.AdminServer;
import org.kinesisaggregator.admin.AdminSettings;
import org.kinesisaggregator.admin.ComponentMeters;
import org.kinesisaggregator.admin.PluginInfo;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfLocation;
import org.kinesisaggregator.conf.ConfParam;
import org.kinesisaggregator.server.Input;
import org.kinesisaggregator.server.route.Router;

/**
 * What the factory of one {@code <source>} ({@link SourceFactory}) gets: the section and its type,
 * the application's environment and {@code <system>}, its label's router ({@link LabelGraph}), and
 * the three ways a source joins the application: {@link #input} (a counted input a reload may take
 * over, {@link Carryover}), {@link #admin} (an admin endpoint, restarted at each reload) and
 * {@link #monitorLabels}. Each adds the source's {@code /api/plugins.json} entry and its route
 * summary lines ({@link RouteSummary}).
 *
 * <p>One per {@code <source>}; confined to the assembling thread.
 */
final class SourceSection {
    /**
     * An input that feeds a router.
     *
     * @param router where its events go ({@link #router()})
     * @param settings its mapped settings: with the label and the section's text, what a reload compares
     * @param name its name in logs ({@code forward 0.0.0.0:24224})
     * @param defaultId its {@code /api/plugins.json} id without {@code @id}
     * @param detail what the summary shows after the name ({@code " tls"}, {@code " (10 events/s)"})
     * @param port where it listens, checked before start; null for none
     * @param factory makes the input, handed its sink and the registry of its meters
     */
    record InputSpec(
            Router router,
            Object settings,
            String name,
            String defaultId,
            String detail,
            Port port,
            InputMaker factory) {
        InputSpec {
            Objects.requireNonNull(router, "router");
            Objects.requireNonNull(settings, "settings");
            Objects.requireNonNull(factory, "factory");
        }
    }

    /** A listening address; {@code udpToo} for the forward input's heartbeat. */
    record Port(String bind, int port, boolean udpToo) {}

    /** Constructs an input (no I/O, no threads). */
    @FunctionalInterface
    interface InputMaker {
        Input create(EventSink sink, MeterRegistry registry);
    }

    private final Assembler a;
    private final ConfElement element;
    private final String type;

    SourceSection(Assembler assembler, ConfElement element, String type) {
        this.a = assembler;
        this.element = element;
        this.type = type;
    }

    ConfElement element() {
        return element;
    }

    String type() {
        return type;
    }

    Aggregator.Environment env() {
        return a.env;
    }

    SystemSettings system() {
        return a.system;
    }

    /** The router of this source's {@code @label} (or the top level); an unknown label is a conf error. */
    Router router() {
        return a.labels.sourceRouter(element);
    }

    /**
     * Adds an input counted as input ({@code fluentd_input_status_*}): the running one of an unchanged
     * section on a reload (with its meters), else a new one made by {@code spec.factory()}.
     */
    void input(InputSpec spec) {
        Router router = spec.router();
        IngestCounting.Sink counted = a.ingest.forInput(router);
        List<Object> key = List.of(router.label(), LoadedConf.sectionText(element), spec.settings());
        Source running = a.carryover.claimSource(key);
        SwitchableSink sink = running != null ? running.sink() : new SwitchableSink(counted);
        ComponentMeters meters;
        Input input;
        if (running != null) {
            meters = running.meters();
            a.carryover.carryMeters(meters);
            input = running.input();
            a.carryover.carry(input);
        } else {
            meters = new ComponentMeters(a.env.registry());
            input = spec.factory().create(sink, meters.registry());
        }
        a.sources.add(new Source(key, spec.name(), input, sink, counted, meters));
        a.inputs.add(new Named<>(spec.name(), input));
        if (spec.port() != null) {
            bind(input, spec.port());
        }
        a.pluginInfos.add(new PluginInfo(
                element.string("@id", spec.defaultId()),
                "input",
                type,
                PluginConfig.of(element),
                null,
                null,
                counted::counts));
        a.summary.source(
                spec.name() + spec.detail() + " → " + router.label() + " (" + element.location() + ")", element);
    }

    /** Adds an admin endpoint (every admin path), closed last at shutdown. */
    void admin(AdminSettings settings) {
        Input input = new AdminInput(new AdminServer(
                settings,
                AdminSources.metricsText(a.env.registry()),
                () -> a.self.get() == null ? List.of("starting") : a.self.get().problems(),
                () -> a.self.get() == null ? List.of() : a.self.get().plugins(),
                a::processInfo,
                a.env.zone()));
        String name = type + " " + settings.bind() + ":" + settings.port();
        a.inputs.add(new Named<>(name, input));
        bind(input, new Port(settings.bind(), settings.port(), false));
        a.pluginInfos.add(
                new PluginInfo(element.string("@id", "in_" + type), "input", type, PluginConfig.of(element), null));
        a.summary.source(
                name + " (/health/live, /health/ready, /metrics, /api/plugins.json, /api/config.json) ("
                        + element.location() + ")",
                element);
    }

    /**
     * Adds labels to the {@code fluentd_status_*} gauges ({@code outputStatus} false) or the
     * {@code fluentd_output_status_*} ones (true) every admin endpoint serves.
     */
    void monitorLabels(Map<String, String> labels, boolean outputStatus) {
        (outputStatus ? a.outputMonitorLabels : a.monitorLabels).putAll(labels);
        a.pluginInfos.add(
                new PluginInfo(element.string("@id", "in_" + type), "input", type, PluginConfig.of(element), null));
        a.summary.source(type + " (fluentd_" + (outputStatus ? "output_" : "")
                + "status_* on every admin source's /metrics) (" + element.location() + ")");
    }

    /** Checks before start that {@code param} of {@code section} names a readable file (TLS files). */
    void readableFile(ConfElement section, String param) {
        a.environment.readableFile(section, param);
    }

    /** Notes where {@code input}'s port is set: checked before start, and named if the bind fails. */
    private void bind(Input input, Port port) {
        ConfParam portParam = element.params().get("port");
        ConfLocation location = portParam != null ? portParam.location() : element.location();
        a.environment.freePort(input, location, port.bind(), port.port(), port.udpToo());
    }
}
