package org.kinesisaggregator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.testing.Mp.map;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.server.testing.CollectingSink;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.ForwardServerFixture;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.LogCapture;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.RawClient;
import org.kinesisaggregator.server.testing.Settings;
import org.kinesisaggregator.server.testing.TestCerts;

/** {@code <transport tls>}: certificates from PEM files generated at test time, client certificates, versions. */
@ExtendWith(LeakCheck.class)
class TlsTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final ForwardServerFixture fx = new ForwardServerFixture();

    private final CollectingSink sink = fx.sink;
    private final SimpleMeterRegistry registry = fx.registry;
    private ForwardServer server;
    private final TestCerts certs = TestCerts.get();

    private ForwardServer start(boolean clientCertAuth, String minVersion, boolean pkcs1) throws Exception {
        certs.write(dir);
        server = fx.start(Settings.local().tls(TestCerts.tls(dir, clientCertAuth, minVersion, pkcs1)));
        return server;
    }

    private SSLSocket connect(SSLContext context, String... protocols) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory()
                .createSocket("127.0.0.1", server.localAddress().getPort());
        socket.setSoTimeout(10_000);
        if (protocols.length > 0) {
            socket.setEnabledProtocols(protocols);
        }
        socket.startHandshake();
        return socket;
    }

    @Test
    void aClientWithACertificateSendsAndIsAcked() throws Exception {
        start(true, "TLSv1_2", false);
        try (SSLSocket socket = connect(certs.clientContext(certs.client, certs.clientKey, "TLS"))) {
            socket.getOutputStream().write(Mp.message("secure", 1L, map("a", 1L), map("chunk", "tls-1")));
            byte[] expected = ForwardServerTest.ack("tls-1");
            assertThat(socket.getInputStream().readNBytes(expected.length)).isEqualTo(expected);
        }
        assertThat(sink.events()).containsExactly(Event.of("secure", 1, 0, map("a", 1L)));
    }

    @Test
    void aPkcs1KeyFileWorksToo() throws Exception {
        start(false, "TLSv1_2", true);
        assertThat(Files.readString(dir.resolve("server-key-rsa.pem"))).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        try (SSLSocket socket = connect(certs.clientContext(null, null, "TLS"))) {
            socket.getOutputStream().write(Mp.message("pkcs1", 1L, map(), map("chunk", "k")));
            byte[] expected = ForwardServerTest.ack("k");
            assertThat(socket.getInputStream().readNBytes(expected.length)).isEqualTo(expected);
        }
    }

    @Test
    void plainTcpOnATlsPortIsClosedWithALogLine() throws Exception {
        start(false, "TLSv1_2", false);
        try (RawClient plain = new RawClient(server.localAddress())) {
            int port = plain.socket().getLocalPort();
            plain.send(Mp.message("plain", 1L, map(), map("chunk", "p")));
            assertThat(plain.isClosedByServer()).isTrue();
            await().atMost(10, TimeUnit.SECONDS)
                    .until(() -> !LogCapture.containing(
                                    "127.0.0.1:" + port, "not a TLS record", "plain TCP to a TLS port")
                            .isEmpty());
        }
        assertThat(registry.find("forward.errors")
                        .tag("reason", "tls")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(sink.events()).isEmpty();
    }

    /** What an NLB health check does on a TLS port: connect, then close without a byte. */
    @Test
    void aConnectAndCloseWithoutTlsLogsNoWarningAsOnThePlainPort() throws Exception {
        start(false, "TLSv1_2", false);
        LogCapture.clear();
        for (int i = 0; i < 3; i++) {
            try (Socket probe = new Socket()) {
                probe.connect(server.localAddress(), 5000);
            }
        }
        await().atMost(10, TimeUnit.SECONDS)
                .until(() ->
                        registry.find("forward.connections.total").counter().count() == 3
                                && server.activeConnections() == 0);
        assertThat(LogCapture.matching(
                        l -> l.level().equals("WARN") || l.level().equals("ERROR")))
                .isEmpty();
        assertThat(registry.find("forward.errors")
                        .tag("reason", "tls")
                        .counter()
                        .count())
                .isZero();
        // a real TLS client still works afterwards
        try (SSLSocket socket = connect(certs.clientContext(null, null, "TLS"))) {
            socket.getOutputStream().write(Mp.message("after", 1L, map(), map("chunk", "h")));
            byte[] expected = ForwardServerTest.ack("h");
            assertThat(socket.getInputStream().readNBytes(expected.length)).isEqualTo(expected);
        }
    }

    @Test
    void clientCertAuthRefusesClientsWithoutAValidCertificate() throws Exception {
        start(true, "TLSv1_2", false);
        for (SSLContext context : new SSLContext[] {
            certs.clientContext(null, null, "TLS"), certs.clientContext(certs.rogue, certs.rogueKey, "TLS")
        }) {
            assertThatThrownBy(() -> {
                        try (SSLSocket socket = connect(context, "TLSv1.2")) {
                            socket.getOutputStream().write(Mp.message("x", 1L, map(), map("chunk", "c")));
                            InputStream in = socket.getInputStream();
                            if (in.read() < 0) {
                                throw new IOException("closed");
                            }
                        }
                    })
                    .isInstanceOf(IOException.class);
        }
        await().atMost(10, TimeUnit.SECONDS)
                .until(() -> LogCapture.containing("TLS handshake with 127.0.0.1:", "failed")
                                .size()
                        >= 2);
        assertThat(sink.events()).isEmpty();
    }

    @Test
    void minVersionRefusesOlderProtocols() throws Exception {
        start(false, "TLSv1_3", false);
        assertThatThrownBy(() -> connect(certs.clientContext(null, null, "TLS"), "TLSv1.2"))
                .isInstanceOf(IOException.class);
        try (SSLSocket socket = connect(certs.clientContext(null, null, "TLS"), "TLSv1.3")) {
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
    }
}
