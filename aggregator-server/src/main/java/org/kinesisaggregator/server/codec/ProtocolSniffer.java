package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Port unification for the forward port: the connection's first byte decides its protocol, and
 * this handler replaces itself with that protocol's decoder (under its own pipeline name), which
 * then receives every byte from the first one on. {@code {} or {@code [} is the JSON-framed
 * protocol that {@code in_forward} accepts ({@link JsonForwardDecoder}); anything else is msgpack
 * ({@link MsgpackForwardDecoder}). With a handshake expected ({@code <security>}) the first message
 * must be the msgpack PING, so such a connection is always msgpack.
 *
 * <p>Stateless apart from what {@link ByteToMessageDecoder} cumulates before the first byte (nothing
 * in practice: the first read holds at least one byte). One instance per channel, confined to its
 * event loop.
 */
public final class ProtocolSniffer extends ByteToMessageDecoder implements ForwardDecoder {
    private final ForwardDecoderConfig config;

    public ProtocolSniffer(ForwardDecoderConfig config) {
        this.config = config;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) {
            return;
        }
        ctx.pipeline().replace(this, ctx.name(), decoderFor(in.getUnsignedByte(in.readerIndex()), config));
        // removing this handler hands the cumulated bytes, the first one included, to the new decoder
    }

    /** The decoder of a connection whose first byte is {@code firstByte}. */
    static ByteToMessageDecoder decoderFor(int firstByte, ForwardDecoderConfig config) {
        if (!config.expectHandshake() && (firstByte == '{' || firstByte == '[')) {
            return new JsonForwardDecoder(config);
        }
        return new MsgpackForwardDecoder(config);
    }

    @Override
    public boolean isMidMessage() {
        return false;
    }
}
