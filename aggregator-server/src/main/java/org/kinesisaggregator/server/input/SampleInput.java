package org.kinesisaggregator.server.input;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.EventEntries;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.server.Input;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.value.MapValue;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;

/**
 * {@code <source> @type sample} / {@code dummy}: generates {@code rate} events a second from the
 * {@code sample} records, in turn, as Fluentd's in_sample does: the second is cut into ten ticks,
 * each appending {@code rate / 10} times (the rest at the last tick), each append holding
 * {@code size} events timed now; {@code auto_increment_key} numbers the events from 0.
 *
 * <p>An append that fails is counted and forgotten (in_sample ignores emit errors); while
 * {@value #MAX_IN_FLIGHT} appends are still waiting (a blocked buffer), ticks are skipped and counted
 * instead of piling up.
 *
 * <p>Threads: one scheduler thread ({@code input-sample}) from {@link #start()} to {@link #close()};
 * it generates, appends and never waits for an append.
 */
public final class SampleInput implements Input {
    static final int MAX_IN_FLIGHT = 16;
    private static final int TICKS_PER_SECOND = 10;

    private final SampleSettings settings;
    private final EventSink sink;
    private final Clock clock;
    private final Value autoIncrementKey;
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private ScheduledExecutorService scheduler;
    private long nextIncrement;
    private int nextSample;
    private int tick;

    public SampleInput(SampleSettings settings, EventSink sink, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.autoIncrementKey =
                settings.autoIncrementKey() == null ? null : ValueFactory.newString(settings.autoIncrementKey());
    }

    @Override
    public String type() {
        return "sample";
    }

    @Override
    public synchronized void start() {
        if (scheduler != null) {
            throw new IllegalStateException("sample input already started");
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "input-sample");
            t.setDaemon(true);
            return t;
        });
        long period = 1000 / TICKS_PER_SECOND;
        scheduler.scheduleAtFixedRate(this::tick, 0, period, TimeUnit.MILLISECONDS);
    }

    /** Appends that failed (and were forgotten), for tests and logs. */
    public long failedAppends() {
        return failed.get();
    }

    /** Ticks skipped because appends were still waiting. */
    public long skippedTicks() {
        return skipped.get();
    }

    private void tick() {
        int appends = settings.rate() / TICKS_PER_SECOND;
        if (tick == TICKS_PER_SECOND - 1) {
            appends += settings.rate() % TICKS_PER_SECOND;
        }
        tick = (tick + 1) % TICKS_PER_SECOND;
        for (int i = 0; i < appends; i++) {
            if (inFlight.get() >= MAX_IN_FLIGHT) {
                skipped.incrementAndGet();
                return;
            }
            inFlight.incrementAndGet();
            CompletableFuture<AppendResult> f;
            try {
                f = sink.append(settings.tag(), entries(), settings.size(), null);
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((r, error) -> {
                inFlight.decrementAndGet();
                if (error != null) {
                    failed.incrementAndGet();
                }
            });
        }
    }

    private ByteBuffer entries() {
        try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
            for (int i = 0; i < settings.size(); i++) {
                Instant now = clock.instant();
                packer.packArrayHeader(2);
                packer.packExtensionTypeHeader(EventEntries.EVENT_TIME_EXT_TYPE, EventEntries.EVENT_TIME_LENGTH);
                packer.writePayload(ByteBuffer.allocate(EventEntries.EVENT_TIME_LENGTH)
                        .putInt((int) now.getEpochSecond())
                        .putInt(now.getNano())
                        .array());
                packer.packValue(next());
            }
            return ByteBuffer.wrap(packer.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private MapValue next() {
        MapValue sample = settings.samples().get(nextSample);
        nextSample = (nextSample + 1) % settings.samples().size();
        if (autoIncrementKey == null) {
            return sample;
        }
        Map<Value, Value> m = new LinkedHashMap<>(sample.map());
        m.put(autoIncrementKey, ValueFactory.newInteger(nextIncrement++));
        return ValueFactory.newMap(m);
    }

    /** Stops generating; appends already made complete on their own. */
    @Override
    public void drain(Duration timeout) {
        close();
    }

    @Override
    public synchronized void close() {
        if (scheduler == null) {
            return;
        }
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        scheduler = null;
    }
}
