package org.kinesisaggregator.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.kinesisaggregator.server.codec.PingRequest;
import org.kinesisaggregator.server.security.HandshakeAuthenticator;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.Settings;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

/**
 * Coverage-guided fuzzing of the {@code <security>} handshake: the decoder's PING parsing and
 * {@link HandshakeAuthenticator}, on the real pipeline ({@link FuzzPipeline}). A PING is either
 * fuzzed bytes as they are, or a well-formed PING with fuzzed fields whose digests are right or
 * fuzzed; a message with a chunk follows it. The connection may authenticate (PONG true, the
 * message acked and appended) only when the PING carries the right shared-key digest (and, with
 * {@code user_auth}, the right password digest), computed here independently; otherwise nothing is
 * appended, nothing acked, and the connection is closed. {@link HandshakeAuthenticator#check} is
 * also called directly with the fuzzed fields: it answers, never throws.
 * Corpus: {@code HandshakeFuzzTestInputs/handshake/}.
 */
@ExtendWith(LeakCheck.class)
class HandshakeFuzzTest {
    private static final String KEY = "fuzz-shared-key";
    private static final String USER = "fluentd";
    private static final String PASSWORD = "fuzz-password";

    @BeforeAll
    static void quiet() {
        FuzzMessages.quietLogs();
    }

    @AfterAll
    static void restore() {
        FuzzMessages.restoreLogs();
    }

    @FuzzTest(maxDuration = "30s")
    void handshake(FuzzedDataProvider data) throws UnknownHostException {
        boolean raw = data.consumeBoolean();
        boolean userAuth = data.consumeBoolean();
        int[] cuts = FuzzMessages.cuts(data);
        SecuritySettings security = new SecuritySettings(
                "aggregator.example",
                KEY,
                userAuth,
                true,
                userAuth ? List.of(new SecuritySettings.User(USER, PASSWORD)) : List.of(),
                List.of());
        HandshakeAuthenticator auth = HandshakeAuthenticator.create(security, false);
        ForwardSettings settings = Settings.local().security(security).build();
        try (FuzzPipeline p = new FuzzPipeline(FuzzPipeline.config(true, false, true), auth, settings)) {
            Map<String, byte[]> helo = helo(p.written().get(0));
            byte[] ping;
            boolean mayAuthenticate;
            if (raw) {
                ping = data.consumeRemainingAsBytes();
                mayAuthenticate = false;
            } else {
                byte[] hostname = data.consumeBytes(data.consumeInt(0, 32));
                byte[] salt = data.consumeBytes(data.consumeInt(0, 32));
                byte[] username = data.consumeBoolean() ? USER.getBytes(StandardCharsets.UTF_8) : data.consumeBytes(16);
                byte[] right = hex(sha512(salt, hostname, helo.get("nonce"), bytes(KEY)));
                byte[] digest = data.consumeBoolean() ? right : data.consumeBytes(128);
                byte[] rightPassword = hex(sha512(helo.get("auth"), username, bytes(PASSWORD)));
                byte[] password = data.consumeBoolean() ? rightPassword : data.consumeBytes(128);
                Object saltValue = data.consumeBoolean() ? (Object) salt : new Mp.Str(salt);
                ping = Mp.pack(List.of(
                        "PING",
                        new Mp.Str(hostname),
                        saltValue,
                        new Mp.Str(digest),
                        new Mp.Str(username),
                        new Mp.Str(password)));
                mayAuthenticate = MessageDigest.isEqual(digest, right)
                        && (!userAuth
                                || MessageDigest.isEqual(username, bytes(USER))
                                        && MessageDigest.isEqual(password, rightPassword));
                // the authenticator alone, on the same fields
                HandshakeAuthenticator.Challenge challenge = auth.challenge();
                byte[] direct = hex(sha512(salt, hostname, challenge.nonce(), bytes(KEY)));
                HandshakeAuthenticator.Outcome outcome =
                        auth.check(new PingRequest(null, hostname, salt, digest, username, password), null, challenge);
                if (outcome.success()) {
                    assertThat(digest)
                            .as("authenticated without the shared key digest")
                            .isEqualTo(direct);
                }
            }
            byte[] message = Mp.message("fz.handshake", 1_700_000_000L, Mp.map("k", "v"), Mp.map("chunk", "hs"));
            p.feed(Mp.concat(ping, message), cuts);
            p.finish();
            p.checkInvariants();
            boolean authenticated = p.written().stream().anyMatch(HandshakeFuzzTest::isSuccessPong);
            if (!mayAuthenticate) {
                assertThat(authenticated)
                        .as("PONG true without the right digests")
                        .isFalse();
                assertThat(p.sink.appended())
                        .as("events appended without a handshake")
                        .isEmpty();
                assertThat(p.acks()).as("acks without a handshake").isEmpty();
            } else {
                assertThat(authenticated).as("PONG true for the right digests").isTrue();
                assertThat(p.acks()).containsExactly(Mp.pack("hs"));
            }
        }
    }

    private static Map<String, byte[]> helo(byte[] bytes) {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
            List<Value> helo = u.unpackValue().asArrayValue().list();
            assertThat(helo.get(0).asStringValue().asString()).isEqualTo("HELO");
            Map<Value, Value> options = helo.get(1).asMapValue().map();
            byte[] nonce = null;
            byte[] authSalt = null;
            for (Map.Entry<Value, Value> e : options.entrySet()) {
                String key = e.getKey().asStringValue().asString();
                if (key.equals("nonce")) {
                    nonce = e.getValue().asRawValue().asByteArray();
                } else if (key.equals("auth")) {
                    authSalt = e.getValue().asRawValue().asByteArray();
                }
            }
            return Map.of("nonce", nonce, "auth", authSalt);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isSuccessPong(byte[] bytes) {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
            Value v = u.unpackValue();
            if (!v.isArrayValue() || v.asArrayValue().size() != 5) {
                return false;
            }
            List<Value> pong = v.asArrayValue().list();
            return pong.get(0).isStringValue()
                    && pong.get(0).asStringValue().asString().equals("PONG")
                    && pong.get(1).isBooleanValue()
                    && pong.get(1).asBooleanValue().getBoolean();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] sha512(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-512");
            for (byte[] part : parts) {
                md.update(part);
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hex(byte[] digest) {
        return HexFormat.of().formatHex(digest).getBytes(StandardCharsets.US_ASCII);
    }
}
