package org.kinesisaggregator.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.ssl.SslContext;
import org.kinesisaggregator.server.codec.ForwardDecoderConfig;
import org.kinesisaggregator.server.codec.ForwardFrameDecoder;
import org.kinesisaggregator.server.proxy.ProxyHeaderGuard;
import org.kinesisaggregator.server.proxy.ProxyProtocolHandler;

/**
 * The one place that states the order of a forward connection's pipeline:
 *
 * <pre>
 *   proxy-guard    ProxyHeaderGuard          (proxy_protocol only: refuses at once what cannot be a PROXY header)
 *   proxy-decoder  HAProxyMessageDecoder     (proxy_protocol only: the PROXY v1/v2 header comes first, in clear)
 *   proxy          ProxyProtocolHandler      (records the client's address, removes itself)
 *   tls            SslHandler                (&lt;transport tls&gt; only)
 *   decoder        ForwardFrameDecoder       (bytes → ForwardEvents / stream pieces / PING)
 *   ingest         ForwardIngestHandler      (handshake, append, ack, back-pressure, errors)
 * </pre>
 *
 * Handlers are created per channel (none is shared: each holds per-connection state).
 */
final class ForwardChannelInitializer extends ChannelInitializer<Channel> {
    private final IngestContext deps;
    private final ForwardDecoderConfig decoderConfig;
    private final SslContext sslContext;
    private final ChannelGroup channels;

    ForwardChannelInitializer(
            IngestContext deps, ForwardDecoderConfig decoderConfig, SslContext sslContext, ChannelGroup channels) {
        this.deps = deps;
        this.decoderConfig = decoderConfig;
        this.sslContext = sslContext;
        this.channels = channels;
    }

    @Override
    protected void initChannel(Channel ch) {
        channels.add(ch);
        ChannelPipeline p = ch.pipeline();
        if (deps.settings().proxyProtocol()) {
            p.addLast("proxy-guard", new ProxyHeaderGuard());
            p.addLast("proxy-decoder", new HAProxyMessageDecoder(true));
            p.addLast("proxy", new ProxyProtocolHandler());
        }
        if (sslContext != null) {
            p.addLast("tls", sslContext.newHandler(ch.alloc()));
        }
        p.addLast("decoder", new ForwardFrameDecoder(decoderConfig));
        p.addLast("ingest", new ForwardIngestHandler(deps));
    }
}
