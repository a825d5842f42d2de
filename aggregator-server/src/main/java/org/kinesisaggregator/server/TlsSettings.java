package org.kinesisaggregator.server;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * {@code <transport tls>} of a forward source (Fluentd v1 names).
 *
 * @param certPath {@code cert_path}: PEM certificate chain of the server
 * @param privateKeyPath {@code private_key_path}: PEM private key (PKCS#8, or PKCS#1 RSA)
 * @param privateKeyPassphrase {@code private_key_passphrase}, or null
 * @param caPath {@code ca_path}: PEM CA certificates that client certificates must chain to, or null
 * @param clientCertAuth {@code client_cert_auth}: require and verify a client certificate
 * @param minVersion {@code min_version}: e.g. TLSv1_2 (Fluentd spelling) or TLSv1.2
 * @param maxVersion {@code max_version}, or null for the JDK's newest
 * @param ciphers {@code ciphers}: cipher suites, empty for the JDK's defaults
 */
public record TlsSettings(
        Path certPath,
        Path privateKeyPath,
        String privateKeyPassphrase,
        Path caPath,
        boolean clientCertAuth,
        String minVersion,
        String maxVersion,
        List<String> ciphers) {

    public TlsSettings {
        Objects.requireNonNull(certPath, "cert_path");
        Objects.requireNonNull(privateKeyPath, "private_key_path");
        Objects.requireNonNull(minVersion, "min_version");
        ciphers = List.copyOf(ciphers);
        if (clientCertAuth && caPath == null) {
            throw new IllegalArgumentException(
                    "client_cert_auth: true (expected: ca_path to verify client certificates with)");
        }
    }
}
