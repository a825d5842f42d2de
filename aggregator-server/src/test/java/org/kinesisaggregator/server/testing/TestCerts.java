package org.kinesisaggregator.server.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.kinesisaggregator.server.TlsSettings;

/**
 * A CA, a server certificate for 127.0.0.1/localhost and client certificates, generated at test
 * time with BouncyCastle and written as PEM files into a directory.
 */
public final class TestCerts {
    private static volatile TestCerts shared;

    public final KeyPair caKey;
    public final X509Certificate ca;
    public final KeyPair serverKey;
    public final X509Certificate server;
    public final KeyPair clientKey;
    public final X509Certificate client;
    public final KeyPair rogueKey;
    public final X509Certificate rogue;

    private TestCerts() throws GeneralSecurityException {
        caKey = rsa();
        ca = certificate("CN=kinesis-aggregator test CA", caKey, "CN=kinesis-aggregator test CA", caKey, true, false);
        serverKey = rsa();
        server = certificate("CN=localhost", serverKey, "CN=kinesis-aggregator test CA", caKey, false, true);
        clientKey = rsa();
        client = certificate("CN=forwarder", clientKey, "CN=kinesis-aggregator test CA", caKey, false, false);
        rogueKey = rsa();
        rogue = certificate("CN=rogue", rogueKey, "CN=rogue", rogueKey, false, false);
    }

    /** Generated once per test JVM (RSA key generation is slow-ish). */
    public static TestCerts get() {
        if (shared == null) {
            synchronized (TestCerts.class) {
                if (shared == null) {
                    try {
                        shared = new TestCerts();
                    } catch (GeneralSecurityException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return shared;
    }

    /** Writes ca.pem, server.pem, server-key.pem (PKCS#8), server-key-rsa.pem (PKCS#1), client.pem, client-key.pem. */
    public Path write(Path dir) {
        try {
            Files.writeString(dir.resolve("ca.pem"), pem(ca));
            Files.writeString(dir.resolve("server.pem"), pem(server));
            Files.writeString(dir.resolve("server-key.pem"), pem(new JcaPKCS8Generator(serverKey.getPrivate(), null)));
            Files.writeString(dir.resolve("server-key-rsa.pem"), pem(serverKey.getPrivate()));
            Files.writeString(dir.resolve("client.pem"), pem(client));
            Files.writeString(dir.resolve("client-key.pem"), pem(new JcaPKCS8Generator(clientKey.getPrivate(), null)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code <transport tls>} with the written files. */
    public static TlsSettings tls(Path dir, boolean clientCertAuth, String minVersion, boolean pkcs1Key) {
        return new TlsSettings(
                dir.resolve("server.pem"),
                dir.resolve(pkcs1Key ? "server-key-rsa.pem" : "server-key.pem"),
                null,
                dir.resolve("ca.pem"),
                clientCertAuth,
                minVersion,
                null,
                List.of());
    }

    /** A client SSLContext trusting the test CA, presenting {@code cert} (or none). */
    public SSLContext clientContext(X509Certificate cert, KeyPair key, String protocol) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (cert != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", key.getPrivate(), "changeit".toCharArray(), new X509Certificate[] {cert});
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, "changeit".toCharArray());
            }
            SSLContext context = SSLContext.getInstance(protocol);
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair rsa() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static X509Certificate certificate(
            String subject, KeyPair subjectKey, String issuer, KeyPair issuerKey, boolean isCa, boolean isServer)
            throws GeneralSecurityException {
        try {
            Instant now = Instant.now();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    new X500Name(issuer),
                    BigInteger.valueOf(now.toEpochMilli() ^ subject.hashCode()),
                    Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(2))),
                    new X500Name(subject),
                    subjectKey.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            if (isCa) {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                builder.addExtension(
                        Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            }
            if (isServer) {
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                    new GeneralName(GeneralName.dNSName, "localhost")
                }));
            }
            return new JcaX509CertificateConverter()
                    .getCertificate(
                            builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey.getPrivate())));
        } catch (OperatorCreationException | CertIOException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static String pem(Object object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        return out.toString();
    }
}
