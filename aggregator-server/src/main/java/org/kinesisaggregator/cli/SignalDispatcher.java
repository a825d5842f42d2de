package org.kinesisaggregator.cli;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kinesisaggregator.server.app.Supervisor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fluentd's signals on the {@link Supervisor}: SIGUSR1 flushes the buffers now, SIGHUP and SIGUSR2
 * reload the conf, SIGTERM and SIGINT shut down gracefully (drain, flush, close) so that the process
 * exits 0 as Fluentd does, not the JVM's 143 of a signal death. The shutdown hook stays as the
 * fallback for every other way the JVM ends; closing twice is a no-op. A second SIGTERM or SIGINT
 * while the shutdown runs is logged and changes nothing (SIGKILL ends it at once).
 *
 * <p>Signals are served one at a time by one thread ({@code signals}), in the order they came; a
 * signal that arrives while the same request is already waiting its turn is merged into it (and
 * logged), so that a burst of HUPs reloads once after the running reload, not once per signal.
 *
 * <p>Thread-safe; {@link #onSignal} runs on the JVM's signal dispatch thread and only enqueues.
 */
final class SignalDispatcher {
    private static final Logger log = LoggerFactory.getLogger(SignalDispatcher.class);

    private final Supervisor supervisor;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "signals");
        t.setDaemon(true);
        // Created from the JVM's signal handler thread, whose context class loader is null: MapDB (a
        // reload opens ledgers) and other libraries need the application's.
        t.setContextClassLoader(SignalDispatcher.class.getClassLoader());
        return t;
    });
    private final AtomicBoolean flushQueued = new AtomicBoolean();
    private final AtomicBoolean reloadQueued = new AtomicBoolean();
    private final AtomicBoolean stopping = new AtomicBoolean();

    SignalDispatcher(Supervisor supervisor) {
        this.supervisor = supervisor;
    }

    /** Installs the handlers of USR1, USR2, HUP, TERM and INT. */
    void install() {
        for (String name : new String[] {"USR1", "USR2", "HUP", "TERM", "INT"}) {
            PosixSignals.handle(name, this::onSignal);
        }
    }

    void onSignal(String name) {
        String signal = "SIG" + name;
        if (name.equals("TERM") || name.equals("INT")) {
            stop(signal);
        } else if (name.equals("USR1")) {
            enqueue(signal, "flush", flushQueued, () -> supervisor.flushBuffers(signal));
        } else {
            enqueue(signal, "reload", reloadQueued, () -> supervisor.reload(signal));
        }
    }

    /** Closes the supervisor on its own thread (not the signal queue's: a running reload must not delay it). */
    private void stop(String signal) {
        if (!stopping.compareAndSet(false, true)) {
            log.info("Received {}: the shutdown is already under way", signal);
            return;
        }
        log.info("Received {}: shutting down (drain, flush, close)", signal);
        Thread t = new Thread(supervisor::close, "shutdown-" + signal);
        t.setContextClassLoader(SignalDispatcher.class.getClassLoader());
        t.start();
    }

    private void enqueue(String signal, String what, AtomicBoolean queued, Runnable action) {
        if (!queued.compareAndSet(false, true)) {
            log.info("Received {}: a {} is already waiting its turn; this signal is merged into it", signal, what);
            return;
        }
        log.info("Received {}: {} queued", signal, what);
        worker.execute(() -> {
            queued.set(false);
            try {
                action.run();
            } catch (RuntimeException e) {
                log.error("{} ({}) failed: {}", what, signal, e.toString(), e);
            }
        });
    }
}
