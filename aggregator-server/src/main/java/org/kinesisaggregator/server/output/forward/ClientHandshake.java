package org.kinesisaggregator.server.output.forward;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.kinesisaggregator.server.security.HandshakeAuthenticator;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * The forwarder's side of the forward protocol v1 handshake, for one connection: answers the
 * server's HELO with a PING ({@code sha512_hex(salt + self_hostname + nonce + shared_key)}, and
 * {@code sha512_hex(auth + username + password)} when the HELO asks for user auth) and checks the
 * server's PONG (success, a hostname other than ours, {@code sha512_hex(salt + server_hostname + nonce
 * + shared_key)}). The server side is {@link HandshakeAuthenticator}. Not thread-safe; confined to
 * the connection's event loop.
 */
final class ClientHandshake {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String selfHostname;
    private final String sharedKey;
    private final String username;
    private final String password;
    private final String salt;
    private byte[] nonce;

    ClientHandshake(String selfHostname, String sharedKey, String username, String password) {
        this.selfHostname = selfHostname;
        this.sharedKey = sharedKey;
        this.username = username;
        this.password = password;
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        this.salt = HexFormat.of().formatHex(b);
    }

    /** The PING answering {@code helo}. */
    byte[] ping(Response.Helo helo) {
        this.nonce = helo.nonce();
        String digest = HandshakeAuthenticator.sha512Hex(utf8(salt), utf8(selfHostname), nonce, utf8(sharedKey));
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(6).packString("PING").packString(selfHostname).packString(salt);
            p.packString(digest);
            if (helo.auth().length > 0) {
                p.packString(username);
                p.packString(HandshakeAuthenticator.sha512Hex(helo.auth(), utf8(username), utf8(password)));
            } else {
                p.packString("").packString("");
            }
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Null when {@code pong} completes the handshake, else why it failed. */
    String check(Response.Pong pong) {
        if (nonce == null) {
            return "PONG before HELO (expected: HELO first)";
        }
        if (!pong.ok()) {
            return "authentication failed: " + pong.reason();
        }
        if (pong.hostname().equals(selfHostname)) {
            return "the server's self_hostname is ours, " + selfHostname
                    + " (expected: different self_hostname values on the two sides)";
        }
        String expected = HandshakeAuthenticator.sha512Hex(utf8(salt), utf8(pong.hostname()), nonce, utf8(sharedKey));
        if (!MessageDigest.isEqual(utf8(expected), utf8(pong.digest()))) {
            return "shared_key mismatch (the server's PONG digest is not ours)";
        }
        return null;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
