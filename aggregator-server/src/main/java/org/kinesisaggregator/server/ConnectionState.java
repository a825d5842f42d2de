package org.kinesisaggregator.server;

/**
 * The lifecycle of one forward connection, as {@link ForwardIngestHandler} sees it. One method per
 * transition; each names the states it may start from and throws {@link IllegalStateException} from
 * any other (a programming error, not bad input).
 *
 * <pre>
 *   NEW --activate--&gt; OPEN --drain--&gt; DRAINING
 *   OPEN, DRAINING        --closeWhenSettled--&gt; CLOSE_WHEN_SETTLED
 *   OPEN, DRAINING        --fail--&gt;             FAILED
 *   CLOSE_WHEN_SETTLED    --fail--&gt;             FAILED_CLOSE_WHEN_SETTLED
 *   FAILED                --closeWhenSettled--&gt; FAILED_CLOSE_WHEN_SETTLED
 *   any but NEW           --close--&gt;            CLOSED (absorbs every later transition)
 * </pre>
 *
 * <p>The handshake is not part of it (a connection may finish its handshake while it is already
 * closing, with held messages); the handler tracks it as the pending challenge.
 *
 * <p>Immutable; the handler's field holding it is confined to the channel's event loop.
 */
enum ConnectionState {
    /** Before {@code channelActive}. */
    NEW,
    /** Reading, dispatching and acking. */
    OPEN,
    /** {@link ForwardIngestHandler#DRAIN} came: still reading until the message in progress ends. */
    DRAINING,
    /**
     * Reading stopped (drained, half-closed, {@code deny_keepalive}); the held messages are still
     * dispatched and acked, the channel is closed once nothing is in flight or held.
     */
    CLOSE_WHEN_SETTLED,
    /**
     * Failed (a bad message, a failed append, a message timeout): reading stopped, held messages are
     * dropped without an ack, the channel is closed once the acks of the appends in flight are out.
     */
    FAILED_CLOSE_WHEN_SETTLED,
    /**
     * Failed, and whoever failed it closes the channel (the TLS handler, the failure PONG's listener,
     * an immediate close): reading stopped, held messages are dropped.
     */
    FAILED,
    /** After {@code channelInactive}. */
    CLOSED;

    /** {@code channelActive}: from {@link #NEW} only. */
    ConnectionState activate() {
        if (this != NEW) {
            throw illegal("activate");
        }
        return OPEN;
    }

    /** A drain request: {@link #OPEN} starts draining; the closing states stay as they are. */
    ConnectionState drain() {
        return switch (this) {
            case NEW -> throw illegal("drain");
            case OPEN, DRAINING -> DRAINING;
            case CLOSE_WHEN_SETTLED, FAILED_CLOSE_WHEN_SETTLED, FAILED, CLOSED -> this;
        };
    }

    /** Stop reading and close once settled; a failed connection keeps failing. */
    ConnectionState closeWhenSettled() {
        return switch (this) {
            case NEW -> throw illegal("closeWhenSettled");
            case OPEN, DRAINING, CLOSE_WHEN_SETTLED -> CLOSE_WHEN_SETTLED;
            case FAILED, FAILED_CLOSE_WHEN_SETTLED -> FAILED_CLOSE_WHEN_SETTLED;
            case CLOSED -> CLOSED;
        };
    }

    /** A failure: nothing more is dispatched; a close-when-settled stays one. */
    ConnectionState fail() {
        return switch (this) {
            case NEW -> throw illegal("fail");
            case OPEN, DRAINING, FAILED -> FAILED;
            case CLOSE_WHEN_SETTLED, FAILED_CLOSE_WHEN_SETTLED -> FAILED_CLOSE_WHEN_SETTLED;
            case CLOSED -> CLOSED;
        };
    }

    /** {@code channelInactive}: from any state but {@link #NEW}. */
    ConnectionState close() {
        if (this == NEW) {
            throw illegal("close");
        }
        return CLOSED;
    }

    /** Between {@code channelActive} and {@code channelInactive}. */
    boolean isActive() {
        return this != NEW && this != CLOSED;
    }

    /** Failed: held and later messages are dropped without an ack. */
    boolean isFailed() {
        return this == FAILED || this == FAILED_CLOSE_WHEN_SETTLED;
    }

    /** The channel closes by itself once nothing is in flight (and, unless failed, nothing held). */
    boolean closesWhenSettled() {
        return this == CLOSE_WHEN_SETTLED || this == FAILED_CLOSE_WHEN_SETTLED;
    }

    /** Reading is held for good: failed, or closing once settled. */
    boolean stopsReading() {
        return isFailed() || closesWhenSettled();
    }

    private IllegalStateException illegal(String transition) {
        return new IllegalStateException("connection state: " + transition + " from " + this
                + " (expected: a state this transition is defined for)");
    }
}
