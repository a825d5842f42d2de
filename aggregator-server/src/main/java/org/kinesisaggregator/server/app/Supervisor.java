package org.kinesisaggregator.server.app;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.kinesisaggregator.conf.ConfException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running application of one conf file, across reloads: what SIGUSR1 (flush the buffers now),
 * SIGHUP and SIGUSR2 (reload the conf) and SIGTERM (close) act on.
 *
 * <p>A reload reads and validates the file again exactly as start-up does ({@link LoadedConf#load}).
 * An invalid conf is logged (ERROR, file:line and the parameter) and the running application stays
 * as it is. A conf with the same effective text is logged as unchanged. A changed conf replaces the
 * running application in-process: the old one closes without {@code drain_delay} (its connections
 * close, un-acked messages are re-sent by the forwarders; its buffers close and their chunks stay on
 * disk for the new one), then the new one starts. If the new one fails to start, the previous conf
 * is started again and both errors are logged; if that fails too, the supervisor closes and
 * {@link #hasFailed()} says so. Each application gets a fresh environment (its own meter registry):
 * counters restart from zero, as after a restart of the process.
 *
 * <p>Thread-safe: every operation is synchronized, so flushes, reloads and the close run one at a
 * time, in the order they come; a close during a reload waits for the reload to end.
 */
public final class Supervisor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
    private static final Duration FLUSH_SEAL_TIMEOUT = Duration.ofSeconds(30);

    /** What a reload did. */
    public enum ReloadOutcome {
        /** The new conf is invalid; the running application is unchanged. */
        INVALID,
        /** The new conf has the same effective text; nothing was restarted. */
        UNCHANGED,
        /** The new conf runs. */
        RELOADED,
        /** The new conf failed to start; the previous conf runs again. */
        RESTORED,
        /** Neither the new nor the previous conf could start: nothing runs, the process should exit. */
        FAILED,
        /** Closed (shutting down): nothing was done. */
        CLOSED
    }

    private final Plugins plugins;
    private final Supplier<Aggregator.Environment> environments;
    private final boolean strict;
    private final Consumer<Aggregator> onStarted;
    private final CountDownLatch closedLatch = new CountDownLatch(1);
    // guarded by this
    private LoadedConf running;
    private boolean started;
    private boolean closed;
    private boolean failed;

    /**
     * @param initial the conf loaded at start-up (not started yet)
     * @param environments a new environment for each application (a reload assembles with a new one)
     * @param onStarted called with each application that started (e.g. to apply its log level)
     */
    public Supervisor(
            LoadedConf initial,
            Plugins plugins,
            Supplier<Aggregator.Environment> environments,
            boolean strict,
            Consumer<Aggregator> onStarted) {
        this.running = Objects.requireNonNull(initial, "initial");
        this.plugins = Objects.requireNonNull(plugins, "plugins");
        this.environments = Objects.requireNonNull(environments, "environments");
        this.strict = strict;
        this.onStarted = Objects.requireNonNull(onStarted, "onStarted");
    }

    /** Starts the initial application; on a failure it is closed and the exception rethrown. */
    public synchronized void start() throws Exception {
        if (started) {
            throw new IllegalStateException("supervisor already started");
        }
        started = true;
        running.aggregator().start();
        onStarted.accept(running.aggregator());
    }

    /** The application running now (or the last one, once closed). */
    public synchronized Aggregator current() {
        return running.aggregator();
    }

    /** SIGUSR1: every buffer of the running application seals its staged chunks and flushes them now. */
    public synchronized int flushBuffers(String why) {
        if (closed) {
            log.info("Flush ({}) ignored: shutting down", why);
            return 0;
        }
        return running.aggregator().flushBuffers(why, FLUSH_SEAL_TIMEOUT);
    }

    /** SIGHUP, SIGUSR2: reads the conf file again and, if it is valid and changed, runs it. */
    public synchronized ReloadOutcome reload(String why) {
        if (closed || !started) {
            log.info("Reload ({}) ignored: {}", why, closed ? "shutting down" : "not started");
            return ReloadOutcome.CLOSED;
        }
        LoadedConf previous = running;
        log.info("Reload ({}): reading conf {}", why, previous.file());
        LoadedConf next;
        try {
            next = LoadedConf.load(previous.file(), plugins, environments.get(), strict);
        } catch (ConfException e) {
            log.error("Reload ({}): invalid conf {}: {}; the running conf stays", why, previous.file(), e.getMessage());
            return ReloadOutcome.INVALID;
        } catch (RuntimeException e) {
            log.error(
                    "Reload ({}): cannot load conf {}: {}; the running conf stays", why, previous.file(), e.toString());
            return ReloadOutcome.INVALID;
        }
        if (next.effectiveText().equals(previous.effectiveText())) {
            log.info("Reload ({}): conf {} unchanged (same text after includes); nothing to do", why, previous.file());
            return ReloadOutcome.UNCHANGED;
        }
        log.info(
                "Reload ({}): conf {} changed; closing the running application (no drain_delay), then starting"
                        + " the new one",
                why,
                previous.file());
        previous.aggregator().closeForReload();
        Exception newFailure;
        try {
            next.aggregator().start();
            running = next;
            onStarted.accept(next.aggregator());
            log.info("Reload ({}): the new conf runs", why);
            return ReloadOutcome.RELOADED;
        } catch (Exception e) {
            newFailure = e;
            log.error(
                    "Reload ({}): the new conf failed to start: {}; starting the previous conf again",
                    why,
                    e.toString());
        }
        try {
            LoadedConf again = previous.reassemble(plugins, environments.get(), strict);
            again.aggregator().start();
            running = again;
            onStarted.accept(again.aggregator());
            log.warn(
                    "Reload ({}): the previous conf runs again; fix the new conf (its error: {}) and reload",
                    why,
                    newFailure.toString());
            return ReloadOutcome.RESTORED;
        } catch (Exception e) {
            log.error(
                    "Reload ({}): the previous conf failed to start again too: {} (the new conf's error: {});"
                            + " nothing runs, exiting",
                    why,
                    e.toString(),
                    newFailure.toString());
            failed = true;
            closed = true;
            closedLatch.countDown();
            return ReloadOutcome.FAILED;
        }
    }

    /** True when a reload left nothing running (see {@link ReloadOutcome#FAILED}). */
    public synchronized boolean hasFailed() {
        return failed;
    }

    /** SIGTERM: closes the running application (with {@code drain_delay}). Idempotent; never throws. */
    @Override
    public void close() {
        Aggregator toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = running.aggregator();
        }
        try {
            toClose.close();
        } finally {
            closedLatch.countDown();
        }
    }

    /** Waits until {@link #close()} has finished, or a reload left nothing running. */
    public void awaitClosed() throws InterruptedException {
        closedLatch.await();
    }
}
