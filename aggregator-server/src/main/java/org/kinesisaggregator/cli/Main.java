package org.kinesisaggregator.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.server.app.Aggregator;
import org.kinesisaggregator.server.app.LoadedConf;
import org.kinesisaggregator.server.app.Plugins;
import org.kinesisaggregator.server.app.Supervisor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code kinesis-aggregator} command: {@code kinesis-aggregator -c FILE [--dry-run] [--strict]
 * [-v|-vv|-q]}, and the subcommands {@code tail} (print a stream's user records, see
 * {@link TailCommand}) and {@code help}.
 *
 * <p>Exit codes: {@value #OK} ok (dry-run valid; after SIGTERM or SIGINT once everything is drained
 * and closed), {@value #RUNTIME_FAILURE} a
 * runtime failure (start-up or I/O), {@value #USAGE} a usage error (bad or missing options),
 * {@value #INVALID_CONF} an invalid conf (syntax, unknown type, bad value, unused parameter with
 * {@code --strict}).
 *
 * <p>Signals (installed by {@link #main} only, see {@link SignalDispatcher}): SIGUSR1 flushes every
 * buffer now, SIGHUP and SIGUSR2 reload the conf (the {@link Supervisor}); SIGTERM and SIGINT close
 * it and the process exits 0 (the shutdown hook closes it for any other exit). Exit code {@value #RUNTIME_FAILURE} also when a reload left nothing
 * running (neither the new nor the previous conf could start).
 *
 * <p>Not thread-safe; one per process (tests run it in-process through {@link #execute}).
 */
@Command(
        name = "kinesis-aggregator",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = "A Fluentd-compatible forward-protocol aggregator that ships to Amazon Kinesis Data Streams.",
        subcommands = {CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:ok (--dry-run: the conf is valid; after SIGTERM or SIGINT, once drained and closed)",
            "1:runtime failure (start-up or I/O)",
            "2:usage error",
            "3:invalid conf"
        })
public final class Main implements Callable<Integer> {
    public static final int OK = 0;
    public static final int RUNTIME_FAILURE = 1;
    public static final int USAGE = 2;
    public static final int INVALID_CONF = 3;

    private static final Logger log = LoggerFactory.getLogger(Main.class);

    @Option(
            names = {"-c", "--config"},
            paramLabel = "FILE",
            description = "The conf file (fluent syntax).")
    private Path config;

    @Option(names = "--dry-run", description = "Check the conf, print a summary of sources, routes and outputs, exit.")
    private boolean dryRun;

    @Option(names = "--strict", description = "Unused parameters are errors instead of warnings.")
    private boolean strict;

    @Option(
            names = {"-v", "--verbose"},
            description = "More log: -v debug, -vv trace.")
    private boolean[] verbose = new boolean[0];

    @Option(
            names = {"-q", "--quiet"},
            description = "Less log: -q warnings and errors only, -qq errors only.")
    private boolean[] quiet = new boolean[0];

    private final Plugins plugins;
    private final OutputStream stdoutSink;
    private final boolean installSignals;
    private PrintWriter out;
    private PrintWriter err;

    private Main(Plugins plugins, OutputStream stdoutSink, boolean installSignals) {
        this.plugins = plugins;
        this.stdoutSink = stdoutSink;
        this.installSignals = installSignals;
    }

    public static void main(String[] args) {
        int code = execute(args, Plugins.defaults(), System.out, System.err, true);
        System.exit(code);
    }

    /**
     * Runs the command and returns its exit code (never calls {@code System.exit}).
     *
     * @param out where summaries, help and {@code stdout} outputs go
     * @param err where errors go (logs go to Logback's console appender, standard error)
     */
    public static int execute(String[] args, Plugins plugins, PrintStream out, PrintStream err) {
        return execute(args, plugins, out, err, false);
    }

    /**
     * @param installSignals handle SIGUSR1, SIGUSR2 and SIGHUP (the process' {@link #main}; not tests
     *     that run the command in-process)
     */
    private static int execute(
            String[] args, Plugins plugins, PrintStream out, PrintStream err, boolean installSignals) {
        Main main = new Main(plugins, out, installSignals);
        CommandLine cl = new CommandLine(main);
        cl.addSubcommand("tail", new TailCommand(out));
        PrintWriter o = new PrintWriter(out, true, StandardCharsets.UTF_8);
        PrintWriter e = new PrintWriter(err, true, StandardCharsets.UTF_8);
        main.out = o;
        main.err = e;
        cl.setOut(o);
        cl.setErr(e);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            e.println("kinesis-aggregator: " + ex);
            return RUNTIME_FAILURE;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        boolean levelFromFlags = setLogLevel();
        if (config == null) {
            err.println("kinesis-aggregator: missing -c FILE (the conf file); see --help");
            return USAGE;
        }
        if (!Files.isRegularFile(config)) {
            err.println("kinesis-aggregator: " + config + ": no such file");
            return USAGE;
        }
        Clock clock = Clock.systemUTC();
        Plugins wired = wire(plugins, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), clock);
        // Each application (the first, and each one a reload starts) gets its own registry: its meters
        // start from zero, as after a restart, and a discarded conf leaves none behind.
        Supplier<Aggregator.Environment> environments =
                () -> LoadedConf.environment(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), clock, stdoutSink);
        LoadedConf loaded;
        try {
            loaded = LoadedConf.load(config, wired, environments.get(), strict);
            if (!levelFromFlags && loaded.aggregator().system().logLevel() != null) {
                applyLevel(loaded.aggregator().system().logLevel());
            }
            // files it reads, directories it writes, ports it binds: a conf that passes --dry-run starts
            loaded.aggregator().checkEnvironment();
            if (dryRun) {
                out.println("conf " + config + ": valid");
                out.print(loaded.aggregator().summary());
                List<String> warnings = loaded.warnings();
                if (!warnings.isEmpty()) {
                    out.println("warnings: " + warnings.size());
                    warnings.forEach(w -> out.println("  " + w));
                }
                out.flush();
                return OK;
            }
        } catch (ConfException ex) {
            err.println("kinesis-aggregator: invalid conf: " + ex.getMessage());
            return INVALID_CONF;
        }
        Supervisor supervisor = new Supervisor(loaded, wired, environments, strict, started -> {
            if (!levelFromFlags && started.system().logLevel() != null) {
                applyLevel(started.system().logLevel());
            }
        });
        Thread hook = new Thread(supervisor::close, "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            supervisor.start();
        } catch (ConfException ex) {
            err.println("kinesis-aggregator: invalid conf: " + ex.getMessage());
            removeHook(hook);
            return INVALID_CONF;
        } catch (Exception ex) {
            err.println("kinesis-aggregator: start-up failed: " + ex.getMessage());
            removeHook(hook);
            return RUNTIME_FAILURE;
        }
        if (installSignals) {
            new SignalDispatcher(supervisor).install();
        }
        try {
            supervisor.awaitClosed();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            supervisor.close();
        }
        return supervisor.hasFailed() ? RUNTIME_FAILURE : OK;
    }

    /** Connects the factories that need the process' registry and clock; what the caller set (tests) is kept. */
    static Plugins wire(Plugins base, MeterRegistry registry, Clock clock) {
        return base;
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is already exiting
        }
    }

    /** Applies -v/-q; returns true when a flag was given. */
    private boolean setLogLevel() {
        if (verbose.length > 0) {
            applyLevel(verbose.length == 1 ? "debug" : "trace");
            return true;
        }
        if (quiet.length > 0) {
            applyLevel(quiet.length == 1 ? "warn" : "error");
            return true;
        }
        return false;
    }

    /** Sets our loggers to {@code level}; with trace, also every library's to debug. */
    static void applyLevel(String level) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return;
        }
        Level l = switch (level) {
            case "trace" -> Level.TRACE;
            case "debug" -> Level.DEBUG;
            case "warn" -> Level.WARN;
            case "error", "fatal" -> Level.ERROR;
            default -> Level.INFO;
        };
        ctx.getLogger("org.kinesisaggregator").setLevel(l);
        ch.qos.logback.classic.Logger rootLogger = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        if (l == Level.TRACE) {
            rootLogger.setLevel(Level.DEBUG);
        } else if (l.isGreaterOrEqual(Level.WARN)) {
            rootLogger.setLevel(l);
        }
    }

    /** {@code --version}: the jar's Implementation-Version, or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {
                "kinesis-aggregator " + (v == null ? "dev" : v),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"
            };
        }
    }
}
