package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Reads the handshake's PING, {@code ["PING", client_hostname, shared_key_salt,
 * shared_key_hexdigest, username, password_hexdigest]}, out of one whole msgpack value into a
 * {@link PingRequest}. Every field is a str ({@code shared_key_salt} may also be a bin); username
 * and password digest are empty strings without user auth. Anything else gives an
 * {@linkplain PingRequest#isWellFormed() ill-formed} request ("invalid ping message", as
 * {@code in_forward} answers it), never an exception: the handshake handler answers it with a PONG
 * refusal.
 *
 * <p>Finding the value's end (and bounding it to {@link ForwardDecoderConfig#MAX_OPTION_BYTES}) is
 * the decoder's business: this is given a complete value. Stateless; safe from any thread.
 */
final class PingParser {

    static final String INVALID = "invalid ping message";
    private static final int FIELDS = 6;

    private PingParser() {}

    /** The PING in {@code in} from {@code start} to {@code end} (exclusive), one complete msgpack value. */
    static PingRequest parse(ByteBuf in, int start, int end) {
        int b = in.getUnsignedByte(start);
        if (!Msgpack.isArray(b) || Msgpack.arrayCount(in, start, b) != FIELDS) {
            return PingRequest.invalid(INVALID);
        }
        byte[][] fields = new byte[FIELDS][];
        int index = start + Msgpack.headerLength(b);
        for (int i = 0; i < FIELDS; i++) {
            int fb = in.getUnsignedByte(index);
            if (!Msgpack.isStr(fb) && !(i == 2 && Msgpack.isBin(fb))) {
                return PingRequest.invalid(INVALID);
            }
            int header = Msgpack.headerLength(fb);
            int length = (int) Msgpack.payloadLength(in, index, fb);
            if (index + header + length > end) {
                return PingRequest.invalid(INVALID);
            }
            fields[i] = new byte[length];
            in.getBytes(index + header, fields[i]);
            index += header + length;
        }
        if (!"PING".equals(new String(fields[0], StandardCharsets.UTF_8))) {
            return PingRequest.invalid(INVALID);
        }
        return new PingRequest(null, fields[1], fields[2], fields[3], fields[4], fields[5]);
    }
}
