package org.kinesisaggregator.server.output.forward;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.kinesisaggregator.buffer.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code <server>} of a forward output: whether it is available, its kept-alive idle
 * connections and its meters. A failure (connect, handshake, send, ack timeout, heartbeat) marks it
 * down for {@code hard_timeout}; it is tried again after that, or earlier when a heartbeat reaches it.
 *
 * <p>Thread-safe: state is volatile or in concurrent collections.
 */
final class ServerNode {
    private static final Logger log = LoggerFactory.getLogger(ServerNode.class);

    final ForwardOutputSettings.Server server;
    private final String outputId;
    private final Duration hardTimeout;
    final ConcurrentLinkedDeque<ForwardConnection> idle = new ConcurrentLinkedDeque<>();
    private volatile long downUntilNanos;
    private volatile boolean down;
    volatile long lastHeartbeatNanos = System.nanoTime();
    final Counter connectionsOk;
    final Counter connectionsFailed;
    final Counter ackTimeouts;
    final Counter messages;

    ServerNode(String outputId, ForwardOutputSettings.Server server, Duration hardTimeout, MeterRegistry registry) {
        this.outputId = outputId;
        this.server = server;
        this.hardTimeout = hardTimeout;
        String name = server.label();
        connectionsOk = Counter.builder("forward.output.connections")
                .tags("output", outputId, "server", name, "result", "ok")
                .description("connections opened to a forward output's server")
                .register(registry);
        connectionsFailed = Counter.builder("forward.output.connections")
                .tags("output", outputId, "server", name, "result", "failed")
                .description("connections to a forward output's server that failed (connect, TLS, handshake)")
                .register(registry);
        ackTimeouts = Counter.builder("forward.output.ack.timeouts")
                .tags("output", outputId, "server", name)
                .description("messages without an ack within ack_response_timeout")
                .register(registry);
        messages = Counter.builder("forward.output.messages")
                .tags("output", outputId, "server", name)
                .description("messages sent (and acked with require_ack_response)")
                .register(registry);
        Gauge.builder("forward.output.server.available", this, n -> n.isAvailable() ? 1 : 0)
                .tags("output", outputId, "server", name)
                .description("1 while the server is used, 0 while it is down for hard_timeout")
                .register(registry);
    }

    boolean isAvailable() {
        return !down || System.nanoTime() - downUntilNanos >= 0;
    }

    /** Leaves the server out for {@code hard_timeout}. */
    void markDown(String reason) {
        downUntilNanos = System.nanoTime() + hardTimeout.toNanos();
        if (!down) {
            log.warn(
                    "forward output {}: server {} is down for {} (hard_timeout): {}",
                    outputId,
                    server.label(),
                    hardTimeout,
                    LogSafe.escape(reason));
        }
        down = true;
        ForwardConnection c;
        while ((c = idle.poll()) != null) {
            c.close();
        }
    }

    /** A heartbeat reached the server, or a connection to it succeeded. */
    void markUp() {
        lastHeartbeatNanos = System.nanoTime();
        if (down) {
            down = false;
            log.info("forward output {}: server {} is available again", outputId, server.label());
        }
    }
}
