package org.kinesisaggregator.server.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.kinesisaggregator.buffer.EventEntries;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.LogSafe;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <label @FLUENT_LOG>}: the process's own log events, at every level the log level lets
 * through, become events of tag {@code fluent.<level>} ({@code fluent.info}, {@code fluent.warn},
 * {@code fluent.error}, …) with the record {@code {"message": "..."}} routed into that label, as
 * Fluentd's {@code FluentLogEventRouter} does. A log call with an exception appends
 * {@code error_class=C error="M"} to the message as Fluentd's logger does for an {@code error:} field.
 * Only the tags the label matches are queued (Fluentd suppresses "no patterns matched" in this label).
 *
 * <p>Bounded: a logging thread only offers the event to a queue of {@value #QUEUE_LIMIT} events and
 * never waits; when the queue is full the event is dropped and counted
 * ({@code fluent_log.events{result=dropped}}). Never recursive: what the emitting thread itself logs,
 * and what the buffer threads of the label's own outputs log (their failures), is not emitted.
 *
 * <p>Lifecycle: {@link #attach()} (the application's start, after its buffers started) registers it on
 * Logback's root logger and starts its thread ({@code fluent-log}); {@link #detach()} (the
 * application's close, before its buffers close; a reload closes the old application) unregisters it
 * and emits what is still queued, bounded by {@value #DRAIN_MILLIS} ms. Thread-safe: any thread may
 * log; one thread appends to the router and waits for each append.
 */
final class FluentLogEvents extends AppenderBase<ILoggingEvent> {
    static final String LABEL = "@FLUENT_LOG";
    static final String TAG_PREFIX = "fluent.";
    /** Fluentd's log event tags, lowest level first. */
    static final List<String> TAGS =
            List.of("fluent.trace", "fluent.debug", "fluent.info", "fluent.warn", "fluent.error", "fluent.fatal");

    /** Events waiting to be emitted; more are dropped and counted. */
    static final int QUEUE_LIMIT = 10_000;
    /** Events per append at most. */
    private static final int BATCH_LIMIT = 256;
    /** How long close waits for the queued events to be emitted. */
    static final long DRAIN_MILLIS = 5_000;
    /** How long one append may take before it is given up (a blocked buffer). */
    private static final long APPEND_WAIT_SECONDS = 30;

    private static final Logger log = LoggerFactory.getLogger(FluentLogEvents.class);

    private record Item(String tag, long epochMillis, String message) {}

    private final EventSink router;
    private final Set<String> routedTags;
    private final Set<String> excludedThreads;
    private final List<String> excludedThreadPrefixes;
    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(QUEUE_LIMIT);
    private final Counter emitted;
    private final Counter dropped;
    private final Counter failed;
    private volatile Thread emitter;
    /** Set by detach: the emitter empties the queue, then ends. */
    private volatile boolean draining;

    private ch.qos.logback.classic.Logger rootLogger;

    /**
     * @param router the label's router
     * @param routedTags the tags of {@link #TAGS} the label matches
     * @param ownOutputIds the ids of the label's outputs: what their buffer threads log is not emitted
     */
    FluentLogEvents(EventSink router, Set<String> routedTags, Set<String> ownOutputIds, MeterRegistry registry) {
        this.router = Objects.requireNonNull(router, "router");
        this.routedTags = Set.copyOf(routedTags);
        this.excludedThreads = ownOutputIds.stream()
                .map(id -> "buffer-writer-" + id)
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        this.excludedThreadPrefixes =
                ownOutputIds.stream().map(id -> "buffer-flush-" + id + "-").toList();
        this.emitted = counter(registry, "emitted", "log events emitted into <label @FLUENT_LOG>");
        this.dropped = counter(registry, "dropped", "log events dropped: the @FLUENT_LOG queue was full");
        this.failed = counter(registry, "failed", "log events the @FLUENT_LOG routes refused");
        setName("FLUENT_LOG");
    }

    private static Counter counter(MeterRegistry registry, String result, String description) {
        return Counter.builder("fluent_log.events")
                .description(description)
                .tag("result", result)
                .register(registry);
    }

    /** Starts the emitting thread and registers on the root logger; false when logging is not Logback. */
    synchronized boolean attach() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            log.warn(
                    "<label {}> gets no log events: the logging backend is not Logback ({})",
                    LABEL,
                    LoggerFactory.getILoggerFactory().getClass().getName());
            return false;
        }
        Thread t = new Thread(this::emitLoop, "fluent-log");
        t.setDaemon(true);
        emitter = t;
        t.start();
        setContext(ctx);
        start();
        rootLogger = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        rootLogger.addAppender(this);
        return true;
    }

    /** Unregisters, emits what is queued (bounded), stops the thread. Idempotent; never throws. */
    synchronized void detach() {
        if (rootLogger != null) {
            rootLogger.detachAppender(this);
            rootLogger = null;
        }
        stop();
        Thread t = emitter;
        if (t == null) {
            return;
        }
        emitter = null;
        draining = true;
        try {
            t.join(DRAIN_MILLIS);
            if (t.isAlive()) {
                t.interrupt();
                t.join(DRAIN_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    protected void append(ILoggingEvent event) {
        Thread current = Thread.currentThread();
        if (current == emitter || isOwnOutputThread(current.getName())) {
            return; // never recursive: failures of the label's own routes are not emitted
        }
        String tag = TAG_PREFIX + levelName(event.getLevel());
        if (!routedTags.contains(tag)) {
            return;
        }
        if (!queue.offer(new Item(tag, event.getTimeStamp(), message(event)))) {
            dropped.increment();
        }
    }

    private boolean isOwnOutputThread(String name) {
        if (excludedThreads.contains(name)) {
            return true;
        }
        for (String prefix : excludedThreadPrefixes) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static String levelName(Level level) {
        return level.toString().toLowerCase(Locale.ROOT);
    }

    /** The formatted message; with an exception, Fluentd's {@code error_class=C error="M"}. */
    static String message(ILoggingEvent event) {
        String message = event.getFormattedMessage();
        IThrowableProxy t = event.getThrowableProxy();
        if (t == null) {
            return message;
        }
        String error = t.getMessage() == null ? "" : t.getMessage();
        return message + " error_class=" + t.getClassName() + " error=\""
                + error.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private void emitLoop() {
        List<Item> batch = new ArrayList<>();
        try {
            while (true) {
                Item first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (draining) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH_LIMIT - 1);
                emit(batch);
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Appends runs of one tag, each waited for (what this thread logs is not emitted). */
    private void emit(List<Item> batch) throws InterruptedException {
        int from = 0;
        while (from < batch.size()) {
            String tag = batch.get(from).tag();
            int to = from + 1;
            while (to < batch.size() && batch.get(to).tag().equals(tag)) {
                to++;
            }
            List<Item> run = batch.subList(from, to);
            try {
                router.append(tag, entries(run), run.size(), null).get(APPEND_WAIT_SECONDS, TimeUnit.SECONDS);
                emitted.increment(run.size());
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                log.warn(
                        "Failed to emit {} log events of tag {} into <label {}>: {}",
                        run.size(),
                        tag,
                        LABEL,
                        LogSafe.escape(String.valueOf(cause)));
                failed.increment(run.size()); // after the line: tests rely on its order
            }
            from = to;
        }
    }

    private static ByteBuffer entries(List<Item> items) {
        try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
            for (Item item : items) {
                packer.packArrayHeader(2);
                packer.packExtensionTypeHeader(EventEntries.EVENT_TIME_EXT_TYPE, EventEntries.EVENT_TIME_LENGTH);
                long millis = item.epochMillis();
                packer.writePayload(ByteBuffer.allocate(EventEntries.EVENT_TIME_LENGTH)
                        .putInt((int) Math.floorDiv(millis, 1000))
                        .putInt(Math.floorMod((int) (millis % 1000), 1000) * 1_000_000)
                        .array());
                packer.packMapHeader(1);
                packer.packString("message");
                packer.packString(item.message());
            }
            return ByteBuffer.wrap(packer.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
