package org.kinesisaggregator.server.output.forward;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.io.IOException;
import java.util.List;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

/**
 * Splits what the server sends into complete msgpack values and parses each into a {@link Response}.
 * Responses are small (HELO, PONG, acks); one larger than 64 KiB is a protocol error. Event-loop
 * confined.
 */
final class ResponseDecoder extends ByteToMessageDecoder {
    static final int MAX_RESPONSE_BYTES = 64 * 1024;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws IOException {
        while (in.isReadable()) {
            int readable = Math.min(in.readableBytes(), MAX_RESPONSE_BYTES + 1);
            byte[] bytes = new byte[readable];
            in.getBytes(in.readerIndex(), bytes);
            long length;
            try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
                u.skipValue();
                length = u.getTotalReadBytes();
            } catch (MessageInsufficientBufferException e) {
                if (readable > MAX_RESPONSE_BYTES) {
                    throw new CorruptedFrameException("response: more than " + MAX_RESPONSE_BYTES
                            + " bytes (expected: a HELO, PONG or ack of a few hundred bytes)");
                }
                return;
            }
            byte[] value = new byte[(int) length];
            in.readBytes(value);
            out.add(Response.parse(value));
        }
    }
}
