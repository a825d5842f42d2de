package org.kinesisaggregator.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.kinesisaggregator.server.codec.ForwardDecoderConfig;
import org.kinesisaggregator.server.codec.ProtocolSniffer;
import org.kinesisaggregator.server.proxy.ProxyHeaderGuard;
import org.kinesisaggregator.server.proxy.ProxyProtocolHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that states the order of a forward connection's pipeline:
 *
 * <pre>
 *   limits         ConnectionGuard           (idle_timeout, message_timeout, unread_ack_timeout: first, sees raw bytes)
 *   proxy-guard    ProxyHeaderGuard          (proxy_protocol only: refuses at once what cannot be a PROXY header)
 *   proxy-decoder  HAProxyMessageDecoder     (proxy_protocol only: the PROXY v1/v2 header comes first, in clear)
 *   proxy          ProxyProtocolHandler      (records the client's address, removes itself)
 *   tls            SslHandler                (&lt;transport tls&gt; only)
 *   decoder        ProtocolSniffer           (the first byte: replaces itself with MsgpackForwardDecoder or
 *                                            JsonForwardDecoder; bytes → ForwardEvents / stream pieces / PING)
 *   handshake      HandshakeHandler          (&lt;security&gt; only: HELO, PING, PONG; removes itself once established)
 *   ingest         ForwardIngestHandler      (append, ack, back-pressure, drain; settles what a failure leaves)
 *   errors         ForwardErrorHandler       (the log line and metric of every failure; closes on non-protocol ones)
 * </pre>
 *
 * Handlers are created per channel (none is shared: each holds per-connection state). A connection
 * beyond {@code max_connections} gets no pipeline: it is counted, logged (once per interval) and
 * closed at once. Thread-safe: initChannel runs on the channels' event loops.
 */
final class ForwardChannelInitializer extends ChannelInitializer<Channel> {
    private static final Logger log = LoggerFactory.getLogger(ForwardServer.class);

    private final IngestContext deps;
    private final ForwardDecoderConfig decoderConfig;
    private final SslContext sslContext;
    private final ChannelGroup channels;
    private final AtomicInteger open = new AtomicInteger();

    ForwardChannelInitializer(
            IngestContext deps, ForwardDecoderConfig decoderConfig, SslContext sslContext, ChannelGroup channels) {
        this.deps = deps;
        this.decoderConfig = decoderConfig;
        this.sslContext = sslContext;
        this.channels = channels;
    }

    @Override
    protected void initChannel(Channel ch) {
        ConnectionLimits limits = deps.settings().limits();
        if (open.incrementAndGet() > limits.maxConnections() && limits.maxConnections() > 0) {
            open.decrementAndGet();
            refuse(ch, limits.maxConnections());
            return;
        }
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        channels.add(ch);
        ChannelPipeline p = ch.pipeline();
        if (ConnectionGuard.isNeeded(limits)) {
            p.addLast("limits", new ConnectionGuard(limits));
        }
        if (deps.settings().proxyProtocol()) {
            p.addLast("proxy-guard", new ProxyHeaderGuard());
            p.addLast("proxy-decoder", new HAProxyMessageDecoder(true));
            p.addLast("proxy", new ProxyProtocolHandler());
        }
        if (sslContext != null) {
            p.addLast("tls", sslContext.newHandler(ch.alloc()));
        }
        addForwardHandlers(p, deps, decoderConfig);
    }

    /** The handlers after the transport ones (PROXY, TLS): decoder, handshake, ingest, errors. */
    static void addForwardHandlers(ChannelPipeline p, IngestContext deps, ForwardDecoderConfig decoderConfig) {
        p.addLast("decoder", new ProtocolSniffer(decoderConfig));
        if (deps.auth() != null) {
            p.addLast("handshake", new HandshakeHandler(deps));
        }
        p.addLast("ingest", new ForwardIngestHandler(deps));
        p.addLast("errors", new ForwardErrorHandler(deps));
    }

    private void refuse(Channel ch, int max) {
        deps.metrics().limited(ConnectionGuard.Limit.MAX_CONNECTIONS);
        long notLogged = deps.logThrottle().admit(ConnectionGuard.Limit.MAX_CONNECTIONS.tag());
        if (notLogged >= 0) {
            log.warn(
                    "Refused a forward connection from {}: max_connections {} reached{}",
                    ch.remoteAddress() instanceof InetSocketAddress a
                            ? a.getAddress().getHostAddress() + ":" + a.getPort()
                            : String.valueOf(ch.remoteAddress()),
                    max,
                    deps.logThrottle().note(notLogged, "refused"));
        }
        ch.close();
    }
}
