package org.kinesisaggregator.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import javax.net.ssl.SSLException;
import org.kinesisaggregator.buffer.LogSafe;
import org.kinesisaggregator.server.codec.ErrorReason;
import org.kinesisaggregator.server.codec.ForwardProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a forward connection: the one log line and the metric for everything that
 * goes wrong on it, named by its {@link ConnectionPeer}. Every failure reaches it: exceptions from
 * any handler (decoding, TLS, PROXY, I/O, bugs), the TLS handshake's completion event, and the
 * {@link ConnectionGuard.Timeout}s the ingest handler has acted on.
 *
 * <p>Who closes: a {@link ForwardProtocolException} leaves the channel open for the ingest handler,
 * which first sends the acks of the messages before the bad one and then closes ("close when
 * settled"); every other exception closes the channel here at once. A timeout is closed by the
 * ingest handler too. Lines a peer can repeat at will (handshake failures) are thinned by the
 * source's {@link LogThrottle}; one connection logs its TLS failure once.
 *
 * <p>One instance per channel, confined to its event loop.
 */
final class ForwardErrorHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ForwardServer.class);

    private final IngestContext deps;
    private boolean tlsFailureLogged;

    ForwardErrorHandler(IngestContext deps) {
        this.deps = deps;
    }

    /** The protocol error {@code cause} stands for, or null if it is another kind of failure. */
    static ForwardProtocolException protocolError(Throwable cause) {
        Throwable root = rootOf(cause);
        return root instanceof ForwardProtocolException e ? e : null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = rootOf(cause);
        ConnectionPeer peer = ConnectionPeer.of(ctx.channel());
        if (root instanceof ForwardProtocolException e) {
            protocolFailure(peer, e);
            return;
        }
        if (root instanceof NotSslRecordException || root instanceof SSLException) {
            tlsFailed(peer, root);
        } else if (root instanceof HAProxyProtocolException) {
            deps.metrics().error(ErrorReason.PROXY);
            log.warn(
                    "Closing forward connection from {}: PROXY protocol header: {} (expected: a PROXY v1 or v2 header, "
                            + "proxy_protocol is on)",
                    peer,
                    LogSafe.escape(root.getMessage()));
        } else if (root instanceof IOException) {
            if (!(root instanceof ClosedChannelException)) {
                log.debug("Forward connection from {} failed: {}", peer, LogSafe.escape(root.toString()));
                deps.metrics().error(ErrorReason.IO);
            }
        } else {
            log.error("Unexpected error on the forward connection from {}; closing it", peer, cause);
            deps.metrics().error(ErrorReason.MALFORMED);
        }
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        ConnectionPeer peer = ConnectionPeer.of(ctx.channel());
        if (evt instanceof SslHandshakeCompletionEvent handshake) {
            if (!handshake.isSuccess() && handshake.cause() instanceof ClosedChannelException) {
                // the peer closed before a handshake (an NLB health check: connect + close): as on the plain port
                log.debug("Forward connection from {} closed before the TLS handshake", peer);
            } else if (!handshake.isSuccess()) {
                tlsFailed(peer, handshake.cause());
            } else {
                log.debug("TLS session established with {}", peer);
            }
        } else if (evt instanceof ConnectionGuard.Timeout timeout) {
            timedOut(peer, timeout);
        }
        ReferenceCountUtil.release(evt);
    }

    private void protocolFailure(ConnectionPeer peer, ForwardProtocolException e) {
        deps.metrics().error(e.reason());
        switch (e.reason()) {
            case INVALID_EVENT ->
                log.warn(
                        "Refused a message from {} (skip_invalid_event false): {}; no ack sent, closing "
                                + "the connection",
                        peer,
                        LogSafe.escape(e.getMessage()));
            case TRUNCATED ->
                log.warn(
                        "Forward connection from {} ended in the middle of a message; nothing of it was "
                                + "stored or acked: {}",
                        peer,
                        LogSafe.escape(e.getMessage()));
            case HANDSHAKE -> {
                deps.metrics().handshakeFailure();
                long notLogged = deps.logThrottle().admit(peer.throttleKey("handshake"));
                if (notLogged >= 0) {
                    log.warn(
                            "Closing forward connection from {}: {}{}",
                            peer,
                            LogSafe.escape(e.getMessage()),
                            deps.logThrottle().note(notLogged, "handshake failure(s) from this address"));
                }
            }
            default -> log.warn("Closing forward connection from {}: {}", peer, LogSafe.escape(e.getMessage()));
        }
    }

    private void tlsFailed(ConnectionPeer peer, Throwable cause) {
        if (tlsFailureLogged) {
            return;
        }
        tlsFailureLogged = true;
        deps.metrics().error(ErrorReason.TLS);
        if (cause instanceof NotSslRecordException
                || cause != null && cause.getCause() instanceof NotSslRecordException) {
            log.warn(
                    "Closing forward connection from {}: not a TLS record (expected: a TLS handshake; is the forwarder "
                            + "sending plain TCP to a TLS port?)",
                    peer);
        } else {
            log.warn(
                    "TLS handshake with {} failed, closing the connection: {}",
                    peer,
                    cause == null
                            ? "unknown"
                            : LogSafe.escape(cause.getMessage() != null ? cause.getMessage() : cause.toString()));
        }
    }

    private void timedOut(ConnectionPeer peer, ConnectionGuard.Timeout timeout) {
        ConnectionGuard.Limit limit = timeout.limit();
        deps.metrics().limited(limit);
        long notLogged = deps.logThrottle().admit(limit.tag());
        if (notLogged < 0) {
            return;
        }
        String why = switch (limit) {
            case IDLE_TIMEOUT -> "no message and no traffic";
            case MESSAGE_TIMEOUT ->
                "a message in progress delivered less than " + ConnectionLimits.PROGRESS_BYTES / 1024
                        + " KiB; nothing of it was stored or acked";
            case UNREAD_ACK_TIMEOUT ->
                "the peer does not read its acks, over the write buffer's bound; the events acked so far "
                        + "are stored, the acks not yet sent are dropped and the forwarder re-sends";
            case MAX_CONNECTIONS -> "too many connections";
        };
        String line = "Closing forward connection from {}: {} {} s ({}){}";
        Object[] args = {
            peer,
            limit.tag(),
            timeout.after().toMillis() / 1000.0,
            why,
            deps.logThrottle().note(notLogged, "connection(s) closed by " + limit.tag())
        };
        if (limit == ConnectionGuard.Limit.IDLE_TIMEOUT) {
            log.info(line, args);
        } else {
            log.warn(line, args);
        }
    }

    private static Throwable rootOf(Throwable cause) {
        if (cause instanceof DecoderException
                && !(cause instanceof ForwardProtocolException)
                && cause.getCause() != null) {
            return cause.getCause();
        }
        return cause;
    }
}
