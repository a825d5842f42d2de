package org.kinesisaggregator.server.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * @param rpcEndpoint {@code rpc_endpoint HOST:PORT}: where Fluentd's HTTP RPC is served
 *     (the {@link Supervisor} runs it), or null (the default: off)
 */
public record SystemSettings(
        String logLevel,
        int workers,
        Path rootDir,
        Duration drainDelay,
        Duration shutdownTimeout,
        RpcEndpoint rpcEndpoint) {

    public static final List<String> LOG_LEVELS = List.of("trace", "debug", "info", "warn", "error", "fatal");

    /** Fluentd's form of {@code rpc_endpoint}: a host name, an IPv4 or a bracketed IPv6 address, a colon, a port. */
    private static final Pattern ENDPOINT = Pattern.compile("^\\[?([0-9a-zA-Z:\\-.]+)]?:([0-9]+)$");

    /** {@code rpc_endpoint}: the address and port to bind (port 0: any free port, for tests). */
    public record RpcEndpoint(String bind, int port) {
        @Override
        public String toString() {
            return (bind.contains(":") ? "[" + bind + "]" : bind) + ":" + port;
        }
    }

    /** The settings without {@code rpc_endpoint} (as before it existed). */
    public SystemSettings(String logLevel, int workers, Path rootDir, Duration drainDelay, Duration shutdownTimeout) {
        this(logLevel, workers, rootDir, drainDelay, shutdownTimeout, null);
    }

    /** Defaults, as without a {@code <system>}. */
    public static SystemSettings defaults() {
        return new SystemSettings(null, 0, null, Duration.ZERO, Duration.ofSeconds(30), null);
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
        RpcEndpoint rpc = null;
        String endpoint = system.string("rpc_endpoint", null);
        if (endpoint != null) {
            rpc = rpcEndpoint(endpoint.trim());
            if (rpc == null) {
                problems.add(system.error(
                        "rpc_endpoint",
                        "\"" + endpoint + "\" is not HOST:PORT (expected: e.g. 127.0.0.1:24444, [::1]:24444;"
                                + " port 0-65535)"));
            }
        }
        return new SystemSettings(
                level, workers, root == null || root.isEmpty() ? null : Path.of(root), drain, shutdown, rpc);
    }

    /** Parses {@code HOST:PORT} as Fluentd's RPC server does; null when it is not of that form. */
    static RpcEndpoint rpcEndpoint(String text) {
        Matcher m = ENDPOINT.matcher(text);
        if (!m.matches() || m.group(2).length() > 5) {
            return null;
        }
        int port = Integer.parseInt(m.group(2));
        return port > 65535 ? null : new RpcEndpoint(m.group(1), port);
    }
}
