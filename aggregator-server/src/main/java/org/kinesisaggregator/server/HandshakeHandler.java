package org.kinesisaggregator.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.kinesisaggregator.buffer.LogSafe;
import org.kinesisaggregator.server.codec.ErrorReason;
import org.kinesisaggregator.server.codec.ForwardProtocolException;
import org.kinesisaggregator.server.codec.PingRequest;
import org.kinesisaggregator.server.proxy.ProxyProtocolHandler;
import org.kinesisaggregator.server.security.HandshakeAuthenticator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forward protocol's handshake ({@code <security>}): sends the HELO when the connection becomes
 * active, checks the PING against the shared key and users, answers the PONG, and then removes
 * itself, so that an established connection's messages go straight to the ingest handler. Only in
 * the pipeline of a source with {@code <security>}.
 *
 * <p>States: <i>awaiting PING</i> (the HELO is sent; anything but a PING is refused as
 * "events before the handshake", a {@link ForwardProtocolException} with
 * {@link ErrorReason#HANDSHAKE} passed down the pipeline), <i>failed</i> (the failure PONG is
 * written, the connection closes once it is out, every later message is dropped), and
 * <i>established</i> (removed from the pipeline). A failed PING is counted, and logged once per
 * client address per interval.
 *
 * <p>One instance per channel, confined to its event loop.
 */
final class HandshakeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ForwardServer.class);

    private final IngestContext deps;
    private final HandshakeAuthenticator auth;
    private HandshakeAuthenticator.Challenge challenge;
    private boolean failed;

    HandshakeHandler(IngestContext deps) {
        this.deps = deps;
        this.auth = deps.auth();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        challenge = auth.challenge();
        ctx.writeAndFlush(Unpooled.wrappedBuffer(challenge.helo()));
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ProxyProtocolHandler.ProxiedPeer proxied && proxied.address() != null) {
            // the PING is checked against the client's address, not the proxy's
            ConnectionPeer.of(ctx.channel()).update(proxied.address());
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (failed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof PingRequest ping)) {
            ReferenceCountUtil.release(msg);
            failed = true;
            ctx.fireExceptionCaught(new ForwardProtocolException(
                    ErrorReason.HANDSHAKE, "message: events before the handshake (expected: PING)"));
            return;
        }
        ConnectionPeer peer = ConnectionPeer.of(ctx.channel());
        InetSocketAddress peerAddress = peer.address();
        InetAddress address = peerAddress == null ? null : peerAddress.getAddress();
        HandshakeAuthenticator.Outcome outcome = auth.check(ping, address, challenge);
        ChannelFuture written = ctx.writeAndFlush(Unpooled.wrappedBuffer(outcome.pong()));
        String hostname = ping.hostname() == null ? "?" : LogSafe.escape(ping.hostname());
        if (outcome.success()) {
            log.debug("Handshake with {} (client hostname {}) succeeded", peer, hostname);
            ctx.pipeline().remove(this);
            return;
        }
        failed = true;
        deps.metrics().handshakeFailure();
        deps.metrics().error(ErrorReason.HANDSHAKE);
        long notLogged = deps.logThrottle().admit(peer.throttleKey("handshake"));
        if (notLogged >= 0) {
            log.warn(
                    "Handshake with {} failed (client hostname {}): {}; sent the failure PONG and closing the "
                            + "connection{}",
                    peer,
                    hostname,
                    LogSafe.escape(outcome.reason()),
                    deps.logThrottle().note(notLogged, "handshake failure(s) from this address"));
        }
        ctx.fireUserEventTriggered(HANDSHAKE_FAILED);
        written.addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Fired down the pipeline when a PING failed: the ingest handler stops reading and dispatching;
     * this handler closes the connection once the failure PONG is out.
     */
    static final Object HANDSHAKE_FAILED = new Object() {
        @Override
        public String toString() {
            return "HANDSHAKE_FAILED";
        }
    };
}
