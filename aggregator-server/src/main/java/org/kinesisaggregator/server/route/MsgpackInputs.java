package org.kinesisaggregator.server.route;

import java.nio.ByteBuffer;
import org.msgpack.core.buffer.ArrayBufferInput;
import org.msgpack.core.buffer.ByteBufferInput;
import org.msgpack.core.buffer.MessageBufferInput;

/**
 * msgpack-core reads array-backed and direct buffers only; the read-only views an
 * {@code EventCursor} hands out are neither, so they are copied. Stateless; thread-safe.
 */
public final class MsgpackInputs {
    private MsgpackInputs() {}

    /** An input over {@code bytes}' remaining bytes; {@code bytes} is not moved. */
    public static MessageBufferInput of(ByteBuffer bytes) {
        if (bytes.hasArray()) {
            return new ArrayBufferInput(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
        }
        if (bytes.isDirect()) {
            return new ByteBufferInput(bytes.duplicate());
        }
        byte[] copy = new byte[bytes.remaining()];
        bytes.duplicate().get(copy);
        return new ArrayBufferInput(copy);
    }
}
