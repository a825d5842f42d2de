package org.kinesisaggregator.server.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfProblems;

/**
 * The {@code <system>} directive.
 *
 * @param logLevel {@code log_level} (trace, debug, info, warn, error, fatal), or null to keep the
 *     default (info; the CLI's {@code -v}/{@code -q} win over it)
 * @param workers {@code workers}: event-loop threads of the forward inputs, 0 = one per core (Fluentd's
 *     {@code workers} are processes; here one process runs, see {@code WorkerSections})
 * @param rootDir {@code root_dir}: where file buffers without a {@code path} go
 *     ({@code <root_dir>/buffer/<output id>}), or null
 * @param drainDelay {@code drain_delay}: on SIGTERM, how long to keep serving while reporting not
 *     ready (the NLB's deregistration delay), default 0s
 * @param shutdownTimeout {@code shutdown_timeout}: bound of the drain of in-flight messages and of
 *     each buffer's close, default 30s
 */
public record SystemSettings(
        String logLevel, int workers, Path rootDir, Duration drainDelay, Duration shutdownTimeout) {

    public static final List<String> LOG_LEVELS = List.of("trace", "debug", "info", "warn", "error", "fatal");

    /** Defaults, as without a {@code <system>}. */
    public static SystemSettings defaults() {
        return new SystemSettings(null, 0, null, Duration.ZERO, Duration.ofSeconds(30));
    }

    /** Reads {@code <system>} (null: defaults), marking what it reads used; the first error is thrown. */
    public static SystemSettings fromConf(ConfElement system) {
        ConfProblems problems = new ConfProblems();
        SystemSettings s = fromConf(system, problems);
        problems.throwIfAny();
        return s;
    }

    /**
     * Reads {@code <system>} (null: defaults), marking what it reads used; an error is added to
     * {@code problems} and the parameter's default used, so that the rest of the conf is still mapped.
     */
    public static SystemSettings fromConf(ConfElement system, ConfProblems problems) {
        if (system == null) {
            return defaults();
        }
        system.markUsed();
        String level = system.choice("log_level", null, LOG_LEVELS);
        int workers = system.integer("workers", 0, 0, 1024);
        String root = system.string("root_dir", null);
        Duration drain = system.time("drain_delay", Duration.ZERO);
        Duration shutdown = system.time("shutdown_timeout", Duration.ofSeconds(30));
        if (shutdown.isZero()) {
            problems.add(system.error("shutdown_timeout", "0 (expected: > 0)"));
            shutdown = defaults().shutdownTimeout();
        }
        return new SystemSettings(
                level, workers, root == null || root.isEmpty() ? null : Path.of(root), drain, shutdown);
    }
}
