package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * Encodes the server's responses: {@code {"ack": <chunk>}} with the chunk value echoed byte for
 * byte as the forwarder encoded it (same msgpack type: out_forward's base64 ids end in a newline),
 * as msgpack or, on a JSON connection, as JSON. Stateless.
 */
public final class AckEncoder {
    private static final byte[] MSGPACK_PREFIX = {(byte) 0x81, (byte) 0xa3, 'a', 'c', 'k'};
    private static final byte[] JSON_PREFIX = "{\"ack\":".getBytes(StandardCharsets.US_ASCII);

    private AckEncoder() {}

    /** The ack for {@code option} (which must want one); {@code json} for JSON connections. */
    public static ByteBuf encode(ByteBufAllocator alloc, ForwardOption option, boolean json) {
        byte[] value = option.ackValue();
        ByteBuf buf = alloc.buffer(value.length + 8);
        if (json) {
            buf.writeBytes(JSON_PREFIX).writeBytes(value).writeByte('}');
        } else {
            buf.writeBytes(MSGPACK_PREFIX).writeBytes(value);
        }
        return buf;
    }
}
