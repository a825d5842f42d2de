package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfEnvironment;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfParam;
import org.kinesisaggregator.conf.ConfParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A conf file parsed and assembled into a not-yet-started {@link Aggregator}: the one way start-up,
 * {@code --dry-run} and a reload (SIGHUP, SIGUSR2) read a conf, so that they accept and refuse the
 * same files.
 *
 * <p>{@link #effectiveText()} is the conf after includes, without comments, layout or line numbers
 * (directives, arguments, parameters and their values once {@code #{}} is evaluated): two loads with
 * the same effective text configure the same application.
 *
 * <p>Immutable, but the {@link Aggregator} it holds has its own lifecycle. Loading does no I/O
 * beyond reading the conf files and starts no threads.
 *
 * @param root the parsed conf, kept to assemble it again ({@link #reassemble})
 * @param warnings the parser's and the assembler's warnings, in the order met (already logged)
 */
public record LoadedConf(
        Path file, ConfElement root, String effectiveText, Aggregator aggregator, List<String> warnings) {
    private static final Logger log = LoggerFactory.getLogger(LoadedConf.class);

    public LoadedConf {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(effectiveText, "effectiveText");
        Objects.requireNonNull(aggregator, "aggregator");
        warnings = List.copyOf(warnings);
    }

    /**
     * Parses {@code file} and assembles it; parse warnings are logged.
     *
     * @param strict parse warnings and unused parameters are errors
     * @throws ConfException when the conf is invalid (its message names file:line and the parameter)
     */
    public static LoadedConf load(Path file, Plugins plugins, Aggregator.Environment env, boolean strict) {
        return load(file, plugins, env, strict, null);
    }

    /**
     * Loads as {@link #load(Path, Plugins, Aggregator.Environment, boolean)} does, the new application
     * taking over {@code running}'s unchanged sources and outputs (a reload: see
     * {@link Aggregator#assemble(ConfElement, Plugins, Aggregator.Environment, boolean, Aggregator)}).
     *
     * @param running the application running now, or null
     */
    public static LoadedConf load(
            Path file, Plugins plugins, Aggregator.Environment env, boolean strict, Aggregator running) {
        ConfParser parser = new ConfParser(ConfEnvironment.system());
        ConfElement root = parser.parse(file);
        List<String> parseWarnings = parser.warnings();
        parseWarnings.forEach(w -> log.warn("{}", w));
        if (strict && !parseWarnings.isEmpty()) {
            throw new ConfException(null, String.join("\n", parseWarnings) + "\n(--strict: conf warnings are errors)");
        }
        String effective = effectiveText(root);
        Aggregator aggregator = Aggregator.assemble(root, plugins, env, strict, running);
        List<String> warnings = new ArrayList<>(parseWarnings);
        warnings.addAll(aggregator.warnings());
        return new LoadedConf(file, root, effective, aggregator, warnings);
    }

    /**
     * The same parsed conf assembled again into a new application (a reload whose new conf failed to
     * start starts the previous one again; an application starts once). The files are not read again.
     */
    public LoadedConf reassemble(Plugins plugins, Aggregator.Environment env, boolean strict) {
        return reassemble(plugins, env, strict, null);
    }

    /**
     * As {@link #reassemble(Plugins, Aggregator.Environment, boolean)}, taking over what {@code running}
     * still runs (the previous conf started again after a failed reload gets back what it had kept).
     */
    public LoadedConf reassemble(Plugins plugins, Aggregator.Environment env, boolean strict, Aggregator running) {
        return new LoadedConf(
                file, root, effectiveText, Aggregator.assemble(root, plugins, env, strict, running), warnings);
    }

    /**
     * The process' environment for an application: the system zone and host name, {@code registry}
     * with the JVM's and the process' meters bound (memory, threads, classes, CPU, uptime, file
     * descriptors).
     */
    public static Aggregator.Environment environment(MeterRegistry registry, Clock clock, OutputStream stdout) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        return new Aggregator.Environment(
                registry,
                clock,
                ZoneId.systemDefault(),
                ConfEnvironment.system().hostname().get(),
                stdout);
    }

    /** The canonical text of a parsed conf: one line per directive and parameter, indented, no locations. */
    static String effectiveText(ConfElement root) {
        StringBuilder sb = new StringBuilder();
        render(root, 0, sb);
        return sb.toString();
    }

    /**
     * The canonical text of one section without its header line (so without a {@code <match>}'s
     * pattern): its parameters and its subsections, after includes and {@code #{}}. A reload keeps a
     * source or an output running when this text (and what it maps to) is the same.
     */
    static String sectionText(ConfElement e) {
        StringBuilder sb = new StringBuilder();
        for (ConfParam p : e.params().values()) {
            sb.append(p.name()).append(' ').append(p.value()).append('\n');
        }
        for (ConfElement child : e.elements()) {
            render(child, 0, sb);
        }
        return sb.toString();
    }

    private static void render(ConfElement e, int depth, StringBuilder sb) {
        String indent = "  ".repeat(depth);
        sb.append(indent).append(e.describe()).append('\n');
        for (ConfParam p : e.params().values()) {
            sb.append(indent)
                    .append("  ")
                    .append(p.name())
                    .append(' ')
                    .append(p.value())
                    .append('\n');
        }
        for (ConfElement child : e.elements()) {
            render(child, depth + 1, sb);
        }
        sb.append(indent).append("</").append(e.name()).append(">\n");
    }
}
