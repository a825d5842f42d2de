package org.kinesisaggregator.server.heartbeat;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers UDP heartbeats on the forward port as in_forward does: whatever arrives, one byte
 * {@code 0x00} goes back to the sender. Stateless and {@link ChannelHandler.Sharable}.
 */
@ChannelHandler.Sharable
public final class HeartbeatHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    private static final byte[] RESPONSE = {0};

    private final Counter heartbeats;

    public HeartbeatHandler(Counter heartbeats) {
        this.heartbeats = heartbeats;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        heartbeats.increment();
        ctx.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(RESPONSE), packet.sender()));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // an ICMP error for one sender must not stop heartbeats for the others
        log.debug("Heartbeat answer failed: {}", cause.toString());
    }

    private static final Logger log = LoggerFactory.getLogger(HeartbeatHandler.class);
}
