package org.kinesisaggregator.server.output.forward;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageTypeException;
import org.msgpack.core.MessageUnpacker;

/**
 * What a forward server sends back to a forwarder: {@code ["HELO", {...}]}, {@code ["PONG", ...]}
 * or {@code {"ack": id}}. Parsed by hand from one complete msgpack value (no value tree). Immutable.
 */
sealed interface Response {

    /** {@code ["HELO", {"nonce": n, "auth": a, "keepalive": k}]}; missing salts are empty. */
    record Helo(byte[] nonce, byte[] auth, boolean keepalive) implements Response {}

    /** {@code ["PONG", ok, reason, server_hostname, digest]}. */
    record Pong(boolean ok, String reason, String hostname, String digest) implements Response {}

    /** {@code {"ack": id}}. */
    record Ack(String chunk) implements Response {}

    /**
     * Parses one complete msgpack value.
     *
     * @throws IOException when it is none of the three (with what it is)
     */
    static Response parse(byte[] bytes) throws IOException {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
            MessageFormat f = u.getNextFormat();
            if (isMap(f)) {
                int n = u.unpackMapHeader();
                String ack = null;
                for (int i = 0; i < n; i++) {
                    String key = text(u);
                    if ("ack".equals(key)) {
                        ack = text(u);
                    } else {
                        u.skipValue();
                    }
                }
                if (ack == null) {
                    throw new IOException("response: a map without \"ack\" (expected: {\"ack\": chunk})");
                }
                return new Ack(ack);
            }
            if (!isArray(f)) {
                throw new IOException("response: " + f + " (expected: HELO, PONG or an ack map)");
            }
            int n = u.unpackArrayHeader();
            String kind = n > 0 ? text(u) : "";
            if ("HELO".equals(kind) && n == 2) {
                byte[] nonce = new byte[0];
                byte[] auth = new byte[0];
                boolean keepalive = true;
                if (isMap(u.getNextFormat())) {
                    int m = u.unpackMapHeader();
                    for (int i = 0; i < m; i++) {
                        String key = text(u);
                        switch (key) {
                            case "nonce" -> nonce = raw(u);
                            case "auth" -> auth = raw(u);
                            case "keepalive" -> keepalive = u.unpackBoolean();
                            default -> u.skipValue();
                        }
                    }
                } else {
                    u.skipValue();
                }
                return new Helo(nonce, auth, keepalive);
            }
            if ("PONG".equals(kind) && n == 5) {
                boolean ok = u.unpackBoolean();
                return new Pong(ok, text(u), text(u), text(u));
            }
            throw new IOException("response: [" + kind + ", ...] of " + n + " elements (expected: HELO or PONG)");
        } catch (MessageTypeException e) {
            throw new IOException("response: " + e.getMessage() + " (expected: HELO, PONG or an ack map)", e);
        }
    }

    private static boolean isMap(MessageFormat f) {
        return f == MessageFormat.FIXMAP || f == MessageFormat.MAP16 || f == MessageFormat.MAP32;
    }

    private static boolean isArray(MessageFormat f) {
        return f == MessageFormat.FIXARRAY || f == MessageFormat.ARRAY16 || f == MessageFormat.ARRAY32;
    }

    private static String text(MessageUnpacker u) throws IOException {
        return new String(raw(u), StandardCharsets.UTF_8);
    }

    private static byte[] raw(MessageUnpacker u) throws IOException {
        MessageFormat t = u.getNextFormat();
        switch (t) {
            case FIXSTR, STR8, STR16, STR32 -> {
                return u.readPayload(u.unpackRawStringHeader());
            }
            case BIN8, BIN16, BIN32 -> {
                return u.readPayload(u.unpackBinaryHeader());
            }
            default -> {}
        }
        if (t == MessageFormat.NIL) {
            u.unpackNil();
            return new byte[0];
        }
        throw new IOException("response: " + t + " (expected: a string)");
    }
}
