package org.kinesisaggregator.server.app;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.server.Input;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order in which an application's components close: the inputs that started drain (bounded by
 * {@code shutdown_timeout}, shared by all), then every input closes; the {@code <label @FLUENT_LOG>}
 * events stop (what is queued still reaches the buffers); the buffers close (sealing, flushing per
 * {@code flush_at_shutdown}); the outputs close; the admin endpoints close last, so that
 * {@code /health/ready} answers 503 for as long as the node lives. Components a reload keeps running
 * are skipped. Each step is logged ({@code Shutdown: … done}); a failing step is logged and the next
 * one runs.
 *
 * <p>Immutable; {@link Aggregator#close()} runs it once, on whichever thread closes.
 */
final class ShutdownSequence {
    /** The application's logger: the lines are the application's shutdown, as before the split. */
    private static final Logger log = LoggerFactory.getLogger(Aggregator.class);

    private final List<Named<Input>> inputs;
    private final List<Named<EventBuffer>> buffers;
    private final List<Named<Output>> outputs;
    /** The {@code <label @FLUENT_LOG>} events, or null. */
    private final FluentLogEvents fluentLog;

    ShutdownSequence(
            List<Named<Input>> inputs,
            List<Named<EventBuffer>> buffers,
            List<Named<Output>> outputs,
            FluentLogEvents fluentLog) {
        this.inputs = List.copyOf(inputs);
        this.buffers = List.copyOf(buffers);
        this.outputs = List.copyOf(outputs);
        this.fluentLog = fluentLog;
    }

    /**
     * Closes everything but {@code keep}, in the order of the class comment.
     *
     * @param startedInputs how many inputs (the first ones, in conf order) started: those drain
     * @param keep the components the next conf took over (or the start failed to keep): left running
     * @param shutdownTimeout the bound of all the drains together
     */
    void run(int startedInputs, Set<Object> keep, Duration shutdownTimeout) {
        long deadline = System.nanoTime() + shutdownTimeout.toNanos();
        List<Named<Input>> admin =
                inputs.stream().filter(i -> i.component() instanceof AdminInput).toList();
        for (Named<Input> i : inputs.subList(0, startedInputs)) {
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
    }

    /** Closes only {@code toClose} (what was kept for a next conf that then failed): inputs, buffers, outputs. */
    void closeOnly(Set<Object> toClose) {
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

    private static void step(String what, Runnable action) {
        try {
            action.run();
            log.info("Shutdown: {} done", what);
        } catch (RuntimeException e) {
            log.warn("Shutdown: {} failed, continuing: {}", what, e.toString());
        }
    }
}
