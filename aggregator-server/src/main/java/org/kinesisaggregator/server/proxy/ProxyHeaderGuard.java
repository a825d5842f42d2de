package org.kinesisaggregator.server.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * Refuses a connection as soon as its first bytes can no longer be a PROXY header (v1
 * {@code "PROXY "} or the v2 signature). Netty's decoder would otherwise wait for 108 bytes or a
 * line end before noticing a forwarder that speaks the forward protocol without a header. Sits
 * before {@code HAProxyMessageDecoder} and removes itself after the first 12 bytes. One per channel.
 */
public final class ProxyHeaderGuard extends ChannelInboundHandlerAdapter {
    private static final byte[] V1 = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2 = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

    private int seen;
    private boolean v1Possible = true;
    private boolean v2Possible = true;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            for (int i = buf.readerIndex(); i < buf.writerIndex() && seen < V2.length; i++, seen++) {
                byte b = buf.getByte(i);
                v1Possible &= seen >= V1.length || V1[seen] == b;
                v2Possible &= V2[seen] == b;
            }
            if (!v1Possible && !v2Possible) {
                String first = firstBytes(buf);
                ReferenceCountUtil.release(msg);
                ctx.pipeline().remove(this);
                ctx.fireExceptionCaught(new HAProxyProtocolException(
                        "first bytes 0x" + first + " are neither \"PROXY \" nor the v2 signature"));
                return;
            }
            if (seen >= V2.length) {
                ctx.pipeline().remove(this);
            }
        }
        ctx.fireChannelRead(msg);
    }

    private static String firstBytes(ByteBuf buf) {
        StringBuilder sb = new StringBuilder();
        for (int i = buf.readerIndex(); i < Math.min(buf.writerIndex(), buf.readerIndex() + 8); i++) {
            sb.append(String.format("%02x", buf.getByte(i)));
        }
        return sb.toString();
    }
}
