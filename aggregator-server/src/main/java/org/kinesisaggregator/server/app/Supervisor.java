package org.kinesisaggregator.server.app;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.kinesisaggregator.admin.RpcServer;
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
 * running application in-process, keeping what did not change: the new conf is assembled taking over
 * the running sources and outputs whose sections are unchanged
 * ({@link LoadedConf#load(java.nio.file.Path, Plugins, Aggregator.Environment, boolean, Aggregator)});
 * the old application closes the rest without {@code drain_delay} (their connections close, un-acked
 * messages are re-sent by the forwarders; their buffers close and their chunks stay on disk for the
 * new one), then the new one starts its new parts and points the kept sources at its routes. If the
 * new one fails to start, the previous conf is assembled again taking back the kept components and
 * started, and both errors are logged; if that fails too, the supervisor closes and
 * {@link #hasFailed()} says so. Each application gets a fresh environment (its own meter registry):
 * counters restart from zero, as after a restart of the process; the kept components' meters move
 * into the new registry as it starts ({@link org.kinesisaggregator.admin.ComponentMeters}).
 *
 * <p>With {@code <system> rpc_endpoint HOST:PORT}, the supervisor serves Fluentd's HTTP RPC from
 * {@link #start()} to {@link #close()}: {@code /api/plugins.flushBuffers} (as SIGUSR1),
 * {@code /api/config.reload} (SIGHUP), {@code /api/config.gracefulReload} (SIGUSR2),
 * {@code /api/processes.killWorkers} (SIGTERM), {@code /api/processes.interruptWorkers} (SIGINT) and
 * {@code /api/processes.flushBuffersAndKillWorkers} (SIGUSR1 then SIGTERM). A request only queues its
 * action and is answered {@code {"ok":true}} at once, as Fluentd answers after sending itself the
 * signal: flushes and reloads run one at a time on the thread {@code rpc-actions} (a request for one
 * that is already waiting its turn is merged into it), a stop on a thread of its own. The endpoint is
 * the start-up conf's: a reload that changes {@code rpc_endpoint} is logged, and applies at the next
 * start (Fluentd's supervisor keeps its RPC server across reloads too).
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
    private final AtomicBoolean rpcFlushQueued = new AtomicBoolean();
    private final AtomicBoolean rpcReloadQueued = new AtomicBoolean();
    private final AtomicBoolean rpcStopping = new AtomicBoolean();
    // written under this; read without the lock (the RPC event loop must never wait for a running reload)
    private volatile RpcServer rpc;
    private volatile ExecutorService rpcActions;
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
        SystemSettings.RpcEndpoint endpoint = running.aggregator().system().rpcEndpoint();
        if (endpoint != null) {
            try {
                startRpc(endpoint);
            } catch (Exception e) {
                log.error("Start-up failed: {}", e.toString());
                running.aggregator().close();
                throw e;
            }
        }
        onStarted.accept(running.aggregator());
    }

    /** The bound address of the {@code rpc_endpoint}, or null when there is none. */
    public InetSocketAddress rpcAddress() {
        RpcServer server = rpc;
        return server == null ? null : server.localAddress();
    }

    private void startRpc(SystemSettings.RpcEndpoint endpoint) throws Exception {
        rpcActions = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "rpc-actions");
            t.setDaemon(true);
            t.setContextClassLoader(Supervisor.class.getClassLoader());
            return t;
        });
        Map<String, Runnable> actions = new LinkedHashMap<>();
        actions.put(
                "/api/plugins.flushBuffers",
                () -> queue("/api/plugins.flushBuffers", "flush", rpcFlushQueued, () -> {
                    flushBuffers("RPC /api/plugins.flushBuffers");
                }));
        actions.put(
                "/api/config.reload",
                () -> queue("/api/config.reload", "reload", rpcReloadQueued, () -> {
                    reload("RPC /api/config.reload");
                }));
        actions.put(
                "/api/config.gracefulReload",
                () -> queue(
                        "/api/config.gracefulReload",
                        "reload",
                        rpcReloadQueued,
                        () -> reload("RPC /api/config.gracefulReload")));
        actions.put("/api/processes.killWorkers", () -> stop("/api/processes.killWorkers", false));
        actions.put("/api/processes.interruptWorkers", () -> stop("/api/processes.interruptWorkers", false));
        actions.put(
                "/api/processes.flushBuffersAndKillWorkers",
                () -> stop("/api/processes.flushBuffersAndKillWorkers", true));
        RpcServer server = new RpcServer(endpoint.bind(), endpoint.port(), actions);
        try {
            server.start();
        } catch (Exception e) {
            rpcActions.shutdownNow();
            rpcActions = null;
            throw e;
        }
        rpc = server;
    }

    /** Runs on the RPC event loop: queues a flush or a reload, merged into one already waiting. */
    private void queue(String path, String what, AtomicBoolean queued, Runnable action) {
        if (!queued.compareAndSet(false, true)) {
            log.info("RPC {}: a {} is already waiting its turn; this request is merged into it", path, what);
            return;
        }
        log.info("RPC {}: {} queued", path, what);
        ExecutorService executor = rpcActions;
        if (executor == null) {
            queued.set(false);
            log.info("RPC {}: ignored, shutting down", path);
            return;
        }
        try {
            executor.execute(() -> {
                queued.set(false);
                try {
                    action.run();
                } catch (RuntimeException e) {
                    log.error("{} (RPC {}) failed: {}", what, path, e.toString(), e);
                }
            });
        } catch (RejectedExecutionException e) {
            queued.set(false);
            log.info("RPC {}: ignored, shutting down", path);
        }
    }

    /** Runs on the RPC event loop: closes on a thread of its own (the request is answered first). */
    private void stop(String path, boolean flushFirst) {
        if (!rpcStopping.compareAndSet(false, true)) {
            log.info("RPC {}: the shutdown is already under way", path);
            return;
        }
        log.info("RPC {}: shutting down (drain, flush, close){}", path, flushFirst ? " after a flush" : "");
        Thread t = new Thread(
                () -> {
                    if (flushFirst) {
                        flushBuffers("RPC " + path);
                    }
                    close();
                },
                "shutdown-rpc");
        t.setContextClassLoader(Supervisor.class.getClassLoader());
        t.start();
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
            next = LoadedConf.load(previous.file(), plugins, environments.get(), strict, previous.aggregator());
        } catch (ConfException e) {
            log.error("Reload ({}): invalid conf {}: {}; the running conf stays", why, previous.file(), e.getMessage());
            return ReloadOutcome.INVALID;
        } catch (RuntimeException e) {
            log.error(
                    "Reload ({}): cannot load conf {}: {}; the running conf stays", why, previous.file(), e.toString());
            return ReloadOutcome.INVALID;
        }
        SystemSettings.RpcEndpoint before = previous.aggregator().system().rpcEndpoint();
        SystemSettings.RpcEndpoint after = next.aggregator().system().rpcEndpoint();
        if (!Objects.equals(before, after)) {
            log.warn(
                    "Reload ({}): rpc_endpoint changed from {} to {}; the RPC endpoint stays as it is until the next"
                            + " start",
                    why,
                    before == null ? "off" : before,
                    after == null ? "off" : after);
        }
        if (next.effectiveText().equals(previous.effectiveText())) {
            log.info("Reload ({}): conf {} unchanged (same text after includes); nothing to do", why, previous.file());
            return ReloadOutcome.UNCHANGED;
        }
        log.info(
                "Reload ({}): conf {} changed; unchanged sources and outputs keep running, the rest closes"
                        + " (no drain_delay), then the new conf starts",
                why,
                previous.file());
        previous.aggregator().closeForReload(next.aggregator(), why);
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
            // takes back what the previous conf had kept running for the new one
            LoadedConf again = previous.reassemble(plugins, environments.get(), strict, previous.aggregator());
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
            previous.aggregator().closeKept();
            failed = true;
            closed = true;
            closeRpc();
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
                closeRpc();
                return;
            }
            closed = true;
            toClose = running.aggregator();
        }
        try {
            toClose.close();
        } finally {
            synchronized (this) {
                closeRpc();
            }
            closedLatch.countDown();
        }
    }

    // guarded by this
    private void closeRpc() {
        if (rpc != null) {
            rpc.close();
            rpc = null;
        }
        if (rpcActions != null) {
            rpcActions.shutdown();
            rpcActions = null;
        }
    }

    /** Waits until {@link #close()} has finished, or a reload left nothing running. */
    public void awaitClosed() throws InterruptedException {
        closedLatch.await();
    }
}
