package org.kinesisaggregator.server.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.kinesisaggregator.server.TlsSettings;

/**
 * Builds the server's {@link SslContext} for {@code <transport tls>} with the JDK provider: the
 * certificate chain and key from PEM files, client certificates required and verified against
 * {@code ca_path} when {@code client_cert_auth} is on, protocol versions between
 * {@code min_version} and {@code max_version} (Fluentd's {@code TLSv1_2} spelling or the JDK's
 * {@code TLSv1.2}), optional cipher suites. Stateless; reads files (call it from start()).
 */
public final class TlsContextFactory {
    private static final List<String> VERSIONS = List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

    private TlsContextFactory() {}

    public static SslContext serverContext(TlsSettings tls) throws IOException, GeneralSecurityException {
        SslContextBuilder builder = SslContextBuilder.forServer(
                        PemFiles.privateKey(tls.privateKeyPath(), tls.privateKeyPassphrase()),
                        PemFiles.certificates(tls.certPath()))
                .sslProvider(SslProvider.JDK)
                .protocols(protocols(tls.minVersion(), tls.maxVersion()));
        if (tls.caPath() != null) {
            builder.trustManager(PemFiles.certificates(tls.caPath()));
        }
        builder.clientAuth(tls.clientCertAuth() ? ClientAuth.REQUIRE : ClientAuth.NONE);
        if (!tls.ciphers().isEmpty()) {
            builder.ciphers(tls.ciphers());
        }
        return builder.build();
    }

    /** The JDK protocol names from {@code min} to {@code max} (null: the newest). */
    public static List<String> protocols(String min, String max) {
        int from = versionIndex(min, "min_version");
        int to = max == null ? VERSIONS.size() - 1 : versionIndex(max, "max_version");
        if (from > to) {
            throw new IllegalArgumentException("min_version: " + min + " (expected: <= max_version " + max + ")");
        }
        return new ArrayList<>(VERSIONS.subList(from, to + 1));
    }

    private static int versionIndex(String version, String field) {
        String v = version.trim().replace('_', '.');
        if (v.toUpperCase(Locale.ROOT).startsWith("TLS1")) {
            v = "TLSv" + v.substring(3);
        }
        v = v.replace("TLSV", "TLSv").replace("tlsv", "TLSv");
        if (v.equals("TLSv1.0")) {
            v = "TLSv1";
        }
        int index = VERSIONS.indexOf(v);
        if (index < 0) {
            throw new IllegalArgumentException(
                    field + ": " + version + " (expected: TLSv1_2 or TLSv1_3; TLSv1_1 and TLSv1 are weak)");
        }
        return index;
    }
}
