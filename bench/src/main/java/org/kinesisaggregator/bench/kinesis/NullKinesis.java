package org.kinesisaggregator.bench.kinesis;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.kinesisaggregator.kinesis.aggregation.AggregationFormat;

/**
 * A "null Kinesis" for measuring the bridge without kinesalite's ceiling (~8 MB/s, one Node
 * thread): an HTTPS server on 127.0.0.1 that answers the calls KPL and the bridge make
 * (DescribeStreamSummary, ListShards, PutRecords) and discards the data after checking each
 * PutRecords request as Kinesis would: at most 500 records and 5 MiB, each record's data (base64)
 * plus partition key at most 1 MiB, partition keys of 1..256 characters, explicit hash keys in
 * range, and — for aggregated records — the KPL magic and MD5. Records are assigned to shards by
 * hash key, so shard predictions can be checked.
 *
 * <p>It counts what it accepted: Kinesis records, bytes (data + key), 25 KB PUT payload units, and
 * invalid requests; and, for records that are not KPL aggregates (Fluent Bit's {@code
 * kinesis_streams} writes one JSON line per event, or several with {@code simple_aggregation}), the
 * lines they hold. It answers JSON ({@code application/x-amz-json-1.1}) requests only, as the AWS SDK
 * without CBOR, KPL and Fluent Bit send them. Its self-signed certificate (for 127.0.0.1 and
 * localhost) can be written as PEM ({@link #writeCertificatePem}) for clients that verify TLS. Its threads are named {@code null-kinesis-*} so the benchmark can subtract
 * their CPU time.
 */
public final class NullKinesis implements AutoCloseable {
    /** Kinesis bills writes in PUT payload units of 25 KB, read as 25,600 bytes ... */
    public static final int PUT_PAYLOAD_UNIT_BYTES = 25 * 1024;

    /** ... or as 25,000 bytes (AWS says "25 KB" without the byte count): both are counted. */
    public static final int PUT_PAYLOAD_UNIT_BYTES_DECIMAL = 25_000;

    private static final BigInteger MAX_HASH = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    private static final JsonFactory JSON = new JsonFactory();

    private final HttpsServer server;
    private final ExecutorService executor;
    private final Set<Long> threadIds = ConcurrentHashMap.newKeySet();
    private final int shards;
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong aggregatedRecords = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong putUnits = new AtomicLong();
    private final AtomicLong putUnitsDecimal = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong invalid = new AtomicLong();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong plainLines = new AtomicLong();
    private final X509Certificate certificate;
    private volatile String lastInvalid;

    private NullKinesis(int shards, int threads) throws Exception {
        this.shards = shards;
        AtomicInteger n = new AtomicInteger();
        executor = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(
                    () -> {
                        threadIds.add(Thread.currentThread().getId());
                        r.run();
                    },
                    "null-kinesis-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        KeyPair pair = generator.generateKeyPair();
        certificate = selfSigned(pair);
        server.setHttpsConfigurator(new HttpsConfigurator(sslContext(pair, certificate)));
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts on a free loopback port with {@code shards} equal shards and {@code threads} handler threads. */
    public static NullKinesis start(int shards, int threads) throws Exception {
        return new NullKinesis(shards, threads);
    }

    public URI endpoint() {
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort());
    }

    public long records() {
        return records.get();
    }

    /**
     * Lines (events) in the accepted records that are not KPL aggregates: the newlines in their data,
     * plus one for data not ending in a newline.
     */
    public long plainRecordLines() {
        return plainLines.get();
    }

    /** The port it listens on (127.0.0.1). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Writes its self-signed certificate as PEM to {@code file}: the CA file for a verifying client. */
    public void writeCertificatePem(Path file) throws IOException {
        try {
            String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(certificate.getEncoded());
            Files.writeString(file, "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n");
        } catch (CertificateEncodingException e) {
            throw new IOException(e);
        }
    }

    public long aggregatedRecords() {
        return aggregatedRecords.get();
    }

    /** Data plus partition key of every accepted record. */
    public long bytes() {
        return bytes.get();
    }

    /** 25 KB PUT payload units the accepted records would be billed. */
    public long putUnits() {
        return putUnits.get();
    }

    /** PUT payload units accepted so far with a unit of 25,000 bytes. */
    public long putUnitsDecimal() {
        return putUnitsDecimal.get();
    }

    public long requests() {
        return requests.get();
    }

    public long invalidRequests() {
        return invalid.get();
    }

    public String lastInvalid() {
        return lastInvalid;
    }

    /** CPU time of the server's handler threads so far. */
    public long cpuNanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (long id : threadIds) {
            long t = mx.getThreadCpuTime(id);
            if (t > 0) {
                total += t;
            }
        }
        return total;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = readAll(exchange.getRequestBody());
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            String operation = target == null ? "" : target.substring(target.indexOf('.') + 1);
            byte[] answer;
            int status = 200;
            switch (operation) {
                case "PutRecords" -> {
                    requests.incrementAndGet();
                    try {
                        answer = putRecords(body);
                    } catch (IllegalArgumentException e) {
                        invalid.incrementAndGet();
                        lastInvalid = e.getMessage();
                        status = 400;
                        answer = error("InvalidArgumentException", e.getMessage());
                    }
                }
                case "DescribeStreamSummary" -> answer = describeStreamSummary(body);
                case "ListShards" -> answer = listShards(body);
                default -> {
                    status = 400;
                    answer = error("UnknownOperationException", "null Kinesis does not implement " + operation);
                }
            }
            exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
            exchange.getResponseHeaders().set("x-amzn-RequestId", "null-" + sequence.incrementAndGet());
            exchange.sendResponseHeaders(status, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        }
    }

    private byte[] putRecords(byte[] body) throws IOException {
        List<String> shardIds = new ArrayList<>();
        long requestBytes = 0;
        long requestLines = 0;
        MessageDigest md5 = md5();
        try (JsonParser p = JSON.createParser(body)) {
            expect(p.nextToken() == JsonToken.START_OBJECT, "request is not a JSON object");
            String stream = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("StreamName")) {
                    stream = p.getText();
                } else if (field.equals("Records")) {
                    expect(p.currentToken() == JsonToken.START_ARRAY, "Records is not an array");
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        byte[] data = null;
                        String key = null;
                        String hashKey = null;
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String name = p.currentName();
                            p.nextToken();
                            switch (name) {
                                case "Data" -> data = Base64.getDecoder().decode(p.getText());
                                case "PartitionKey" -> key = p.getText();
                                case "ExplicitHashKey" -> hashKey = p.getText();
                                default -> p.skipChildren();
                            }
                        }
                        expect(data != null, "record without Data");
                        expect(
                                key != null && !key.isEmpty() && key.length() <= 256,
                                "PartitionKey of 1..256 characters");
                        int keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
                        expect(
                                data.length + keyBytes <= 1024 * 1024,
                                "record of " + (data.length + keyBytes) + " bytes over 1 MiB");
                        BigInteger hash = hashKey != null
                                ? new BigInteger(hashKey)
                                : new BigInteger(1, md5.digest(key.getBytes(StandardCharsets.UTF_8)));
                        expect(hash.signum() >= 0 && hash.compareTo(MAX_HASH) <= 0, "ExplicitHashKey out of range");
                        if (AggregationFormat.isAggregated(data, 0, data.length)) {
                            md5.update(data, 4, data.length - 20);
                            byte[] digest = md5.digest();
                            for (int i = 0; i < 16; i++) {
                                expect(digest[i] == data[data.length - 16 + i], "aggregated record with a bad MD5");
                            }
                            aggregatedRecords.incrementAndGet();
                        } else {
                            requestLines += lines(data);
                        }
                        int size = data.length + keyBytes;
                        requestBytes += size;
                        bytes.addAndGet(size);
                        putUnits.addAndGet((size + PUT_PAYLOAD_UNIT_BYTES - 1) / PUT_PAYLOAD_UNIT_BYTES);
                        putUnitsDecimal.addAndGet(
                                (size + PUT_PAYLOAD_UNIT_BYTES_DECIMAL - 1) / PUT_PAYLOAD_UNIT_BYTES_DECIMAL);
                        shardIds.add(shardId(hash));
                    }
                } else {
                    p.skipChildren();
                }
            }
            expect(stream != null && !stream.isEmpty(), "StreamName missing");
        }
        expect(shardIds.size() >= 1 && shardIds.size() <= 500, shardIds.size() + " records (expected: 1..500)");
        expect(requestBytes <= 5L * 1024 * 1024, "request of " + requestBytes + " bytes of records over 5 MiB");
        records.addAndGet(shardIds.size());
        plainLines.addAndGet(requestLines);
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + shardIds.size() * 100);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("FailedRecordCount", 0);
            g.writeArrayFieldStart("Records");
            for (String shard : shardIds) {
                g.writeStartObject();
                g.writeStringField("ShardId", shard);
                g.writeStringField("SequenceNumber", Long.toString(49_000_000_000L + sequence.incrementAndGet()));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private String shardId(BigInteger hash) {
        BigInteger step = MAX_HASH.divide(BigInteger.valueOf(shards));
        int index = Math.min(hash.divide(step).intValue(), shards - 1);
        return String.format("shardId-%012d", index);
    }

    private byte[] describeStreamSummary(byte[] body) throws IOException {
        String stream = streamName(body);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeObjectFieldStart("StreamDescriptionSummary");
            g.writeStringField("StreamName", stream);
            g.writeStringField("StreamARN", "arn:aws:kinesis:us-east-1:000000000000:stream/" + stream);
            g.writeStringField("StreamStatus", "ACTIVE");
            g.writeNumberField("RetentionPeriodHours", 24);
            g.writeNumberField(
                    "StreamCreationTimestamp",
                    Instant.parse("2026-01-01T00:00:00Z").getEpochSecond());
            g.writeArrayFieldStart("EnhancedMonitoring");
            g.writeEndArray();
            g.writeStringField("EncryptionType", "NONE");
            g.writeNumberField("OpenShardCount", shards);
            g.writeNumberField("ConsumerCount", 0);
            g.writeEndObject();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private byte[] listShards(byte[] body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BigInteger step = MAX_HASH.divide(BigInteger.valueOf(shards));
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("Shards");
            for (int i = 0; i < shards; i++) {
                BigInteger start = step.multiply(BigInteger.valueOf(i));
                BigInteger end = i == shards - 1 ? MAX_HASH : start.add(step).subtract(BigInteger.ONE);
                g.writeStartObject();
                g.writeStringField("ShardId", String.format("shardId-%012d", i));
                g.writeObjectFieldStart("HashKeyRange");
                g.writeStringField("StartingHashKey", start.toString());
                g.writeStringField("EndingHashKey", end.toString());
                g.writeEndObject();
                g.writeObjectFieldStart("SequenceNumberRange");
                g.writeStringField(
                        "StartingSequenceNumber", "49000000000000000000000000000000000000000000000000000000");
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private static String streamName(byte[] body) throws IOException {
        try (JsonParser p = JSON.createParser(body)) {
            while (p.nextToken() != null) {
                if (p.currentToken() == JsonToken.FIELD_NAME && p.currentName().equals("StreamName")) {
                    p.nextToken();
                    return p.getText();
                }
            }
        }
        return "unknown";
    }

    private static byte[] error(String type, String message) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("__type", type);
            g.writeStringField("message", message);
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private static long lines(byte[] data) {
        long n = 0;
        for (byte b : data) {
            if (b == '\n') {
                n++;
            }
        }
        return data.length > 0 && data[data.length - 1] != '\n' ? n + 1 : n;
    }

    private static void expect(boolean condition, String what) {
        if (!condition) {
            throw new IllegalArgumentException(what);
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate selfSigned(KeyPair pair) throws Exception {
        X500Name name = new X500Name("CN=localhost");
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                name,
                BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))),
                name,
                pair.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")
        }));
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
    }

    private static SSLContext sslContext(KeyPair pair, X509Certificate certificate) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        char[] password = "null-kinesis".toCharArray();
        store.setKeyEntry("null-kinesis", pair.getPrivate(), password, new X509Certificate[] {certificate});
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, new SecureRandom());
        return context;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
