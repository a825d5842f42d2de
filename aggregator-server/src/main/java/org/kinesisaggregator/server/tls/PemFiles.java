package org.kinesisaggregator.server.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Reads PEM certificates and private keys with the JDK alone: PKCS#8 ({@code PRIVATE KEY}),
 * encrypted PKCS#8 ({@code ENCRYPTED PRIVATE KEY}, with a passphrase) and PKCS#1 RSA
 * ({@code RSA PRIVATE KEY}, unencrypted) — what {@code openssl} and Fluentd's docs produce.
 * Stateless.
 */
public final class PemFiles {
    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\s*(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final byte[] RSA_ALGORITHM_IDENTIFIER = {
        0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00
    };

    private PemFiles() {}

    /** Every certificate in the PEM file, in order. */
    public static X509Certificate[] certificates(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> certs = new ArrayList<>();
        for (Block block : blocks(file)) {
            if (block.type().equals("CERTIFICATE")) {
                certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
            }
        }
        if (certs.isEmpty()) {
            throw new GeneralSecurityException(file + ": no certificate (expected: PEM blocks BEGIN CERTIFICATE)");
        }
        return certs.toArray(new X509Certificate[0]);
    }

    /** The private key in the PEM file. */
    public static PrivateKey privateKey(Path file, String passphrase) throws IOException, GeneralSecurityException {
        for (Block block : blocks(file)) {
            switch (block.type()) {
                case "PRIVATE KEY":
                    return pkcs8(file, block.der());
                case "ENCRYPTED PRIVATE KEY": {
                    if (passphrase == null) {
                        throw new GeneralSecurityException(
                                file + ": encrypted private key (expected: private_key_passphrase)");
                    }
                    EncryptedPrivateKeyInfo info = new EncryptedPrivateKeyInfo(block.der());
                    SecretKeyFactory skf = SecretKeyFactory.getInstance(info.getAlgName());
                    Cipher cipher = Cipher.getInstance(info.getAlgName());
                    cipher.init(
                            Cipher.DECRYPT_MODE,
                            skf.generateSecret(new PBEKeySpec(passphrase.toCharArray())),
                            info.getAlgParameters());
                    return pkcs8(file, info.getKeySpec(cipher).getEncoded());
                }
                case "RSA PRIVATE KEY":
                    if (block.headers().contains("ENCRYPTED")) {
                        throw new GeneralSecurityException(
                                file + ": encrypted PKCS#1 key (expected: PKCS#8; convert it with "
                                        + "'openssl pkcs8 -topk8 -in KEY -out KEY8')");
                    }
                    return KeyFactory.getInstance("RSA")
                            .generatePrivate(new PKCS8EncodedKeySpec(wrapPkcs1(block.der())));
                default:
                    break;
            }
        }
        throw new GeneralSecurityException(file + ": no private key (expected: PEM block BEGIN PRIVATE KEY, "
                + "ENCRYPTED PRIVATE KEY or RSA PRIVATE KEY; convert others with 'openssl pkcs8 -topk8')");
    }

    private static PrivateKey pkcs8(Path file, byte[] der) throws GeneralSecurityException {
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448", "DSA"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (InvalidKeySpecException | NoSuchAlgorithmException e) {
                // try the next algorithm
            }
        }
        throw new GeneralSecurityException(file + ": unsupported private key (expected: RSA, EC, Ed25519 or DSA)");
    }

    /** PKCS#1 RSAPrivateKey → PKCS#8 PrivateKeyInfo. */
    private static byte[] wrapPkcs1(byte[] pkcs1) {
        ByteArrayOutputStream octets = new ByteArrayOutputStream();
        octets.write(0x04);
        writeLength(octets, pkcs1.length);
        octets.writeBytes(pkcs1);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(RSA_ALGORITHM_IDENTIFIER);
        body.writeBytes(octets.toByteArray());
        ByteArrayOutputStream seq = new ByteArrayOutputStream();
        seq.write(0x30);
        writeLength(seq, body.size());
        seq.writeBytes(body.toByteArray());
        return seq.toByteArray();
    }

    private static void writeLength(ByteArrayOutputStream out, int length) {
        if (length < 0x80) {
            out.write(length);
        } else if (length < 0x100) {
            out.write(0x81);
            out.write(length);
        } else if (length < 0x10000) {
            out.write(0x82);
            out.write(length >>> 8);
            out.write(length);
        } else {
            out.write(0x83);
            out.write(length >>> 16);
            out.write(length >>> 8);
            out.write(length);
        }
    }

    private record Block(String type, String headers, byte[] der) {}

    private static List<Block> blocks(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        List<Block> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String body = m.group(2);
            String headers = "";
            int blank = body.indexOf("\n\n");
            if (body.contains(":") && blank >= 0) {
                headers = body.substring(0, blank);
                body = body.substring(blank + 2);
            }
            blocks.add(new Block(m.group(1), headers, Base64.getMimeDecoder().decode(body.replaceAll("\\s", ""))));
        }
        return blocks;
    }
}
