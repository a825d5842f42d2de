package org.kinesisaggregator.server.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Takes the one {@link HAProxyMessage} that Netty's {@code HAProxyMessageDecoder} (v1 and v2)
 * decodes at the start of a connection behind a PROXY-protocol load balancer (an NLB with IP
 * targets), stores the client's address in {@link #PEER}, tells the handlers after it with a
 * {@link ProxiedPeer} event and removes itself. A {@code LOCAL} header (health checks) keeps the
 * socket's address. Event-loop confined; one per channel.
 */
public final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {

    /** The client's address as the PROXY header says; absent without PROXY protocol. */
    public static final AttributeKey<InetSocketAddress> PEER = AttributeKey.valueOf("forward.proxied.peer");

    /** Fired once the PROXY header has been read; {@code address} is null for LOCAL. */
    public record ProxiedPeer(InetSocketAddress address) {}

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg);
            return;
        }
        InetSocketAddress address = null;
        try {
            if (header.command() == HAProxyCommand.PROXY && header.sourceAddress() != null) {
                address = new InetSocketAddress(InetAddress.getByName(header.sourceAddress()), header.sourcePort());
                ctx.channel().attr(PEER).set(address);
            }
        } catch (UnknownHostException e) {
            // an IP literal never needs DNS; keep the socket's address
        } finally {
            ReferenceCountUtil.release(header);
        }
        ctx.fireUserEventTriggered(new ProxiedPeer(address));
        ctx.pipeline().remove(this);
    }
}
