package org.kinesisaggregator.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.kinesisaggregator.server.codec.ErrorReason;
import org.kinesisaggregator.server.codec.ForwardMode;

/**
 * The meters of one forward source, created once (no lookups on the hot path). Names are dotted
 * lowercase; tags are bounded: {@code port} (configured), {@code mode}, {@code result},
 * {@code reason} — never peer addresses, event tags or chunk ids. Thread-safe.
 *
 * <ul>
 *   <li>{@code forward.connections.active} (gauge), {@code forward.connections.total}</li>
 *   <li>{@code forward.messages{mode,result}}: result {@code ok}, {@code duplicate}, {@code failed},
 *       {@code dropped} (chunk_size_limit)</li>
 *   <li>{@code forward.events}: events appended; {@code forward.events.skipped}: invalid ones dropped</li>
 *   <li>{@code forward.bytes}: bytes of messages received (compressed size when compressed)</li>
 *   <li>{@code forward.acks}, {@code forward.handshake.failures}, {@code forward.heartbeats}</li>
 *   <li>{@code forward.ack.latency} (a histogram, Prometheus {@code forward_ack_latency_seconds_bucket}):
 *       from a message's last byte to its ack being written — the append, its fsync (file buffer) and
 *       the hand-back to the connection's event loop</li>
 *   <li>{@code forward.errors{reason}}: reason from {@link ErrorReason}</li>
 *   <li>{@code forward.connections.refused{reason}} ({@code max_connections}) and
 *       {@code forward.connections.timed.out{reason}} ({@code idle_timeout}, {@code message_timeout},
 *       {@code unread_ack_timeout}): connections cut by a {@link ConnectionLimits} limit</li>
 * </ul>
 */
public final class ForwardMetrics {

    /** Outcome of a message. */
    public enum Result {
        OK,
        DUPLICATE,
        FAILED,
        DROPPED;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final AtomicInteger active = new AtomicInteger();
    private final Counter connections;
    private final Map<ForwardMode, Map<Result, Counter>> messages = new EnumMap<>(ForwardMode.class);
    private final Map<ErrorReason, Counter> errors = new EnumMap<>(ErrorReason.class);
    private final Counter events;
    private final Counter skipped;
    private final Counter bytes;
    private final Counter acks;
    private final Timer ackLatency;
    private final Counter handshakeFailures;
    private final Counter heartbeats;
    private final Map<ConnectionGuard.Limit, Counter> limited = new EnumMap<>(ConnectionGuard.Limit.class);

    public ForwardMetrics(MeterRegistry registry, int port) {
        Tags tags = Tags.of("port", Integer.toString(port));
        Gauge.builder("forward.connections.active", active, AtomicInteger::get)
                .tags(tags)
                .description("Open forward connections")
                .register(registry);
        connections = Counter.builder("forward.connections.total")
                .tags(tags)
                .description("Forward connections accepted")
                .register(registry);
        for (ForwardMode mode : ForwardMode.values()) {
            Map<Result, Counter> byResult = new EnumMap<>(Result.class);
            for (Result result : Result.values()) {
                byResult.put(
                        result,
                        Counter.builder("forward.messages")
                                .tags(tags)
                                .tag("mode", mode.tag())
                                .tag("result", result.tag())
                                .description("Forward messages by carrier mode and outcome")
                                .register(registry));
            }
            messages.put(mode, byResult);
        }
        for (ErrorReason reason : ErrorReason.values()) {
            errors.put(
                    reason,
                    Counter.builder("forward.errors")
                            .tags(tags)
                            .tag("reason", reason.tag())
                            .description("Connections closed or messages refused, by reason")
                            .register(registry));
        }
        events = Counter.builder("forward.events")
                .tags(tags)
                .description("Events appended")
                .register(registry);
        skipped = Counter.builder("forward.events.skipped")
                .tags(tags)
                .description("Invalid events dropped under skip_invalid_event")
                .register(registry);
        bytes = Counter.builder("forward.bytes")
                .tags(tags)
                .baseUnit("bytes")
                .description("Bytes of forward messages received")
                .register(registry);
        acks = Counter.builder("forward.acks")
                .tags(tags)
                .description("Acks sent")
                .register(registry);
        ackLatency = Timer.builder("forward.ack.latency")
                .tags(tags)
                .description("From a message's last byte to its ack: append, fsync and hand-back")
                .publishPercentileHistogram()
                .register(registry);
        handshakeFailures = Counter.builder("forward.handshake.failures")
                .tags(tags)
                .description("Failed HELO/PING/PONG handshakes")
                .register(registry);
        for (ConnectionGuard.Limit limit : ConnectionGuard.Limit.values()) {
            boolean refusal = limit == ConnectionGuard.Limit.MAX_CONNECTIONS;
            limited.put(
                    limit,
                    Counter.builder(refusal ? "forward.connections.refused" : "forward.connections.timed.out")
                            .tags(tags)
                            .tag("reason", limit.tag())
                            .description(
                                    refusal
                                            ? "Connections refused at accept (max_connections)"
                                            : "Connections closed by a timeout")
                            .register(registry));
        }
        heartbeats = Counter.builder("forward.heartbeats")
                .tags(tags)
                .description("UDP heartbeats answered")
                .register(registry);
    }

    void connectionOpened() {
        active.incrementAndGet();
        connections.increment();
    }

    void connectionClosed() {
        active.decrementAndGet();
    }

    int activeConnections() {
        return active.get();
    }

    void message(ForwardMode mode, Result result, long wireBytes) {
        messages.get(mode).get(result).increment();
        bytes.increment(wireBytes);
    }

    void events(long count) {
        events.increment(count);
    }

    void skipped(long count) {
        skipped.increment(count);
    }

    /** An ack was sent for a message whose last byte came at {@code receivedNanos} ({@link System#nanoTime()}). */
    void ack(long receivedNanos) {
        acks.increment();
        ackLatency.record(System.nanoTime() - receivedNanos, TimeUnit.NANOSECONDS);
    }

    void error(ErrorReason reason) {
        errors.get(reason).increment();
    }

    void handshakeFailure() {
        handshakeFailures.increment();
    }

    void limited(ConnectionGuard.Limit limit) {
        limited.get(limit).increment();
    }

    Counter heartbeats() {
        return heartbeats;
    }
}
