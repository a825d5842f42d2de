package org.kinesisaggregator.server;

import java.time.Duration;
import java.util.Objects;

/**
 * How long and how many connections a forward source keeps (ours: in_forward has none of these).
 * A zero duration or count turns that limit off. See docs/forward-protocol.md, "Connection limits".
 *
 * @param idleTimeout {@code idle_timeout}: a connection with no message in progress, nothing waiting
 *     for the buffer and no byte read or written for this long is closed. The default (1 h) is well
 *     above an AWS NLB's 350 s idle timeout, so the aggregator never cuts a connection the load
 *     balancer would have kept.
 * @param messageTimeout {@code message_timeout}: a message in progress must deliver each further
 *     {@link #PROGRESS_BYTES} (or its end) within this; else the connection is closed (slowloris).
 *     Time the server itself is not reading (back-pressure) does not count.
 * @param maxConnections {@code max_connections}: open connections beyond this are refused (closed
 *     at once when accepted)
 * @param unreadAckTimeout {@code unread_ack_timeout}: a connection whose unread acks stay above the
 *     write buffer's high-water mark (the peer does not read what we send) for this long is closed
 */
public record ConnectionLimits(
        Duration idleTimeout, Duration messageTimeout, int maxConnections, Duration unreadAckTimeout) {

    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(1);
    public static final Duration DEFAULT_MESSAGE_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final Duration DEFAULT_UNREAD_ACK_TIMEOUT = Duration.ofSeconds(60);

    /** The progress a message in progress must make within {@code message_timeout}: 64 KiB. */
    public static final long PROGRESS_BYTES = 64 * 1024;

    public static final ConnectionLimits DEFAULT = new ConnectionLimits(
            DEFAULT_IDLE_TIMEOUT, DEFAULT_MESSAGE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_UNREAD_ACK_TIMEOUT);

    public ConnectionLimits {
        check(idleTimeout, "idle_timeout");
        check(messageTimeout, "message_timeout");
        check(unreadAckTimeout, "unread_ack_timeout");
        if (maxConnections < 0) {
            throw new IllegalArgumentException("max_connections: " + maxConnections + " (expected: >= 0, 0 = none)");
        }
    }

    private static void check(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: >= 0, 0 = none)");
        }
    }

    public ConnectionLimits withIdleTimeout(Duration v) {
        return new ConnectionLimits(v, messageTimeout, maxConnections, unreadAckTimeout);
    }

    public ConnectionLimits withMessageTimeout(Duration v) {
        return new ConnectionLimits(idleTimeout, v, maxConnections, unreadAckTimeout);
    }

    public ConnectionLimits withMaxConnections(int v) {
        return new ConnectionLimits(idleTimeout, messageTimeout, v, unreadAckTimeout);
    }

    public ConnectionLimits withUnreadAckTimeout(Duration v) {
        return new ConnectionLimits(idleTimeout, messageTimeout, maxConnections, v);
    }
}
