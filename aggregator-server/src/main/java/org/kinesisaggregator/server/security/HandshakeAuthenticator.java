package org.kinesisaggregator.server.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.kinesisaggregator.server.SecuritySettings;
import org.kinesisaggregator.server.codec.PingRequest;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * The server side of the forward protocol v1 handshake (as in_forward does it): a HELO with a
 * random nonce and user-auth salt, a check of the client's PING
 * ({@code sha512_hex(shared_key_salt + client_hostname + nonce + shared_key)}, and with
 * {@code user_auth} {@code sha512_hex(auth_salt + username + password)}), and a PONG proving the
 * server knows the key too ({@code sha512_hex(shared_key_salt + self_hostname + nonce + shared_key)}).
 * A failure PONG is {@code ["PONG", false, reason, "", ""]}.
 *
 * <p>Immutable after construction; thread-safe (shared by every connection of a source).
 *
 * @see <a href="https://github.com/fluent/fluentd/wiki/Forward-Protocol-Specification-v1">Forward Protocol Specification v1</a>
 */
public final class HandshakeAuthenticator {
    private static final int SALT_BYTES = 16;

    private final SecuritySettings security;
    private final boolean keepalive;
    private final List<ClientRule> clients;
    private final SecureRandom random = new SecureRandom();

    /** The outcome of a PING check: the PONG to send, and whether the connection may go on. */
    public record Outcome(boolean success, String reason, byte[] pong) {}

    /** Per-connection secrets sent in HELO. */
    public record Challenge(byte[] nonce, byte[] authSalt, byte[] helo) {}

    /** Resolves {@code <client host>} names: DNS I/O, call it from start(), not a constructor. */
    public static HandshakeAuthenticator create(SecuritySettings security, boolean denyKeepalive)
            throws UnknownHostException {
        List<ClientRule> rules = new ArrayList<>();
        for (SecuritySettings.Client c : security.clients()) {
            rules.add(ClientRule.resolve(
                    c.host(), c.network(), c.sharedKey() != null ? c.sharedKey() : security.sharedKey(), c.users()));
        }
        if (!security.allowAnonymousSource() && rules.isEmpty()) {
            throw new IllegalArgumentException(
                    "allow_anonymous_source: false (expected: at least one <client> section, or every peer is refused)");
        }
        return new HandshakeAuthenticator(security, !denyKeepalive, rules);
    }

    HandshakeAuthenticator(SecuritySettings security, boolean keepalive, List<ClientRule> clients) {
        this.security = security;
        this.keepalive = keepalive;
        this.clients = List.copyOf(clients);
    }

    /** A fresh nonce and salt for a new connection, and the HELO carrying them. */
    public Challenge challenge() {
        byte[] nonce = new byte[SALT_BYTES];
        byte[] authSalt = new byte[SALT_BYTES];
        random.nextBytes(nonce);
        random.nextBytes(authSalt);
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(2).packString("HELO").packMapHeader(3);
            p.packString("nonce").packBinaryHeader(nonce.length).writePayload(nonce);
            p.packString("auth").packBinaryHeader(authSalt.length).writePayload(authSalt);
            p.packString("keepalive").packBoolean(keepalive);
            return new Challenge(nonce, authSalt, p.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Checks {@code ping} from {@code peer} against the {@code challenge} sent to it. */
    public Outcome check(PingRequest ping, InetAddress peer, Challenge challenge) {
        if (!ping.isWellFormed()) {
            return failure(ping.problem());
        }
        ClientRule client = null;
        for (ClientRule rule : clients) {
            if (peer != null && rule.matches(peer)) {
                client = rule;
                break;
            }
        }
        if (client == null && !security.allowAnonymousSource()) {
            return failure("anonymous source host '" + (peer == null ? "?" : peer.getHostAddress()) + "' denied");
        }
        byte[] sharedKey =
                (client != null ? client.sharedKey() : security.sharedKey()).getBytes(StandardCharsets.UTF_8);
        String expected = sha512Hex(ping.sharedKeySalt(), ping.hostname(), challenge.nonce(), sharedKey);
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), ping.sharedKeyHexdigest())) {
            return failure("shared_key mismatch");
        }
        if (security.userAuth()) {
            String username = new String(ping.username(), StandardCharsets.UTF_8);
            boolean ok = false;
            for (SecuritySettings.User user : security.users()) {
                if (!user.username().equals(username)) {
                    continue;
                }
                if (client != null
                        && !client.users().isEmpty()
                        && !client.users().contains(username)) {
                    continue;
                }
                String digest = sha512Hex(
                        challenge.authSalt(), ping.username(), user.password().getBytes(StandardCharsets.UTF_8));
                ok |= MessageDigest.isEqual(digest.getBytes(StandardCharsets.US_ASCII), ping.passwordHexdigest());
            }
            if (!ok) {
                return failure("username/password mismatch");
            }
        }
        String pongDigest = sha512Hex(
                ping.sharedKeySalt(),
                security.selfHostname().getBytes(StandardCharsets.UTF_8),
                challenge.nonce(),
                sharedKey);
        return new Outcome(true, "", pong(true, "", security.selfHostname(), pongDigest));
    }

    private static Outcome failure(String reason) {
        return new Outcome(false, reason, pong(false, reason, "", ""));
    }

    private static byte[] pong(boolean success, String reason, String hostname, String digest) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(5)
                    .packString("PONG")
                    .packBoolean(success)
                    .packString(reason)
                    .packString(hostname)
                    .packString(digest);
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lowercase hex SHA-512 of the concatenated parts. */
    public static String sha512Hex(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-512");
            for (byte[] part : parts) {
                md.update(part);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-512 is required of every JDK", e);
        }
    }
}
