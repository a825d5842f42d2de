package org.kinesisaggregator.kinesis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;

/**
 * The local emulator survives what the KPL daemon does to it: a request aborted mid-body (the
 * daemon closing a connection it gave up on). kinesalite throws from its request error handler
 * there, which killed the emulator in the middle of a CI run (KinesisOutputIT: every later test
 * "Connection refused"); tools/node/kinesalite-server.js drops such a request instead.
 */
class LocalKinesisIT {

    @Test
    void aRequestAbortedMidBodyLeavesTheEmulatorServing() throws Exception {
        try (LocalKinesis kinesis = LocalKinesis.start()) {
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, new TrustManager[] {new TrustAll()}, new SecureRandom());
            for (int i = 0; i < 3; i++) {
                try (Socket raw = new Socket("127.0.0.1", kinesis.port());
                        SSLSocket s = (SSLSocket)
                                tls.getSocketFactory().createSocket(raw, "127.0.0.1", kinesis.port(), true)) {
                    OutputStream out = s.getOutputStream();
                    out.write(("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n"
                                    + "X-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Length: 1000\r\n\r\n{\"a\":")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            }
            kinesis.createStream("after-aborts", 1);
            assertThat(kinesis.isRunning()).isTrue();
            assertThat(kinesis.client().listStreams().streamNames()).contains("after-aborts");
        }
    }

    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
