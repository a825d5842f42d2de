package org.kinesisaggregator.kinesis.testing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.kinesisaggregator.kinesis.CredentialsSettings;
import org.kinesisaggregator.kinesis.KinesisOutputSettings;
import org.kinesisaggregator.kinesis.KplSettings;
import org.kinesisaggregator.kinesis.internal.AwsClients;
import org.kinesisaggregator.kinesis.tail.TailOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * A local Kinesis for tests: kinesalite ({@code tools/node/kinesalite-server.js}) as a child
 * process, over TLS with a certificate made for this run, bound to 127.0.0.1 on a free port.
 *
 * <pre>{@code
 * try (LocalKinesis kinesis = LocalKinesis.start(LocalKinesis.options().dataDirectory(tempDir))) {
 *   kinesis.createStream("logs", 2);
 *   KinesisOutputSettings settings = kinesis.configure(KinesisOutputSettings.builder(type, "logs")).build();
 *   ...
 *   kinesis.stop();      // an outage: clients see connection errors
 *   kinesis.restart();   // same port, and with a data directory the same data
 * }
 * }</pre>
 *
 * <p>{@link #configure} points an output at it the way DESIGN.md says: endpoint, certificate
 * checks off, fake static credentials, KPL metrics off and log level error.
 *
 * <p>Thread-safe for reading its endpoint; start/stop/restart from one thread.
 */
public final class LocalKinesis implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalKinesis.class);
    public static final String REGION = "us-east-1";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    /** How to run the emulator. */
    public static final class Options {
        private Path dataDirectory;
        private double failShare;
        private long failSeed = 1;
        private Path workDirectory;

        /** Keep data in LevelDB here, so that it survives {@link #restart()}; default: in memory. */
        public Options dataDirectory(Path directory) {
            this.dataDirectory = directory;
            return this;
        }

        /** Fail this share of PutRecords entries with ProvisionedThroughputExceededException (not stored). */
        public Options failShare(double share, long seed) {
            this.failShare = share;
            this.failSeed = seed;
            return this;
        }

        /** Where the certificate goes; default: a new temporary directory. */
        public Options workDirectory(Path directory) {
            this.workDirectory = directory;
            return this;
        }
    }

    private final Options options;
    private final Path workDirectory;
    private final SelfSignedCertificate certificate;
    private final Path script;
    private Process process;
    private int port;
    private AwsClients.KinesisConnection connection;

    private LocalKinesis(Options options) throws IOException {
        this.options = options;
        this.workDirectory =
                options.workDirectory != null ? options.workDirectory : Files.createTempDirectory("local-kinesis");
        this.certificate = SelfSignedCertificate.create(workDirectory.resolve("tls"));
        this.script = projectRoot().resolve("tools/node/kinesalite-server.js");
        if (!Files.exists(projectRoot().resolve("tools/node/node_modules/kinesalite"))) {
            throw new IllegalStateException(
                    "tools/node/node_modules/kinesalite: missing; run scripts/install-test-deps.sh");
        }
    }

    public static Options options() {
        return new Options();
    }

    /** Starts an in-memory emulator. */
    public static LocalKinesis start() {
        return start(options());
    }

    /** Starts an emulator with {@code options}. */
    public static LocalKinesis start(Options options) {
        try {
            LocalKinesis kinesis = new LocalKinesis(options);
            kinesis.launch(0);
            return kinesis;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the local Kinesis", e);
        }
    }

    /** The repository root: -Dproject.root (set by the parent pom for tests), else the working directory's ancestors. */
    public static Path projectRoot() {
        String configured = System.getProperty("project.root");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("tools/node/package.json"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException(
                    "project root: not found (expected: -Dproject.root or a working directory inside the repository)");
        }
        return dir;
    }

    private void launch(int wantedPort) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                "node",
                script.toString(),
                "--port",
                Integer.toString(wantedPort),
                "--key",
                certificate.key().toString(),
                "--cert",
                certificate.certificate().toString()));
        if (options.dataDirectory != null) {
            Files.createDirectories(options.dataDirectory);
            command.addAll(List.of("--path", options.dataDirectory.toString()));
        }
        if (options.failShare > 0) {
            command.addAll(List.of(
                    "--fail-share",
                    Double.toString(options.failShare),
                    "--fail-seed",
                    Long.toString(options.failSeed)));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(false);
        Process started = builder.start();
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        Thread stdout = new Thread(() -> readStdout(started, listening), "local-kinesis-stdout");
        stdout.setDaemon(true);
        stdout.start();
        Thread stderr = new Thread(() -> drain(started), "local-kinesis-stderr");
        stderr.setDaemon(true);
        stderr.start();
        try {
            port = listening.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            started.destroyForcibly();
            throw new IOException("local Kinesis did not start within " + START_TIMEOUT + " (" + command + ")", e);
        }
        process = started;
        log.info(
                "Local Kinesis listening on {} (pid {}, data {})",
                endpoint(),
                started.pid(),
                options.dataDirectory == null ? "in memory" : options.dataDirectory);
    }

    private static void readStdout(Process p, CompletableFuture<Integer> listening) {
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!listening.isDone() && line.contains("\"listening\"")) {
                    listening.complete(parsePort(line));
                }
            }
            listening.completeExceptionally(new IOException("kinesalite-server exited with code " + p.waitFor()));
        } catch (IOException | InterruptedException e) {
            listening.completeExceptionally(e);
        }
    }

    private static int parsePort(String line) throws IOException {
        try (JsonParser parser = new JsonFactory().createParser(line)) {
            while (parser.nextToken() != null) {
                if (parser.currentToken() == JsonToken.FIELD_NAME && "port".equals(parser.currentName())) {
                    parser.nextToken();
                    return parser.getIntValue();
                }
            }
        }
        throw new IOException("no port in: " + line);
    }

    private static void drain(Process p) {
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                log.warn("kinesalite: {}", line);
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    /** {@code https://127.0.0.1:PORT}. */
    public URI endpoint() {
        return URI.create("https://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    /** The emulator's process id (0 when stopped). */
    public long pid() {
        Process p = process;
        return p == null ? 0 : p.pid();
    }

    /** True while the emulator process runs. */
    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Fake static credentials (kinesalite accepts any signature). */
    public static CredentialsSettings credentials() {
        return new CredentialsSettings.Static("AKIDLOCALKINESIS", "local-kinesis-secret", null);
    }

    /**
     * Points {@code builder} at this emulator: region, endpoint, no certificate checks, fake
     * credentials, KPL metrics off, KPL log level error.
     */
    public KinesisOutputSettings.Builder configure(KinesisOutputSettings.Builder builder) {
        return configure(builder, Map.of());
    }

    /** {@link #configure(KinesisOutputSettings.Builder)} plus more {@code <kinesis_producer>} options. */
    public KinesisOutputSettings.Builder configure(
            KinesisOutputSettings.Builder builder, Map<String, String> kplOptions) {
        Map<String, String> kpl = new TreeMap<>(Map.of("metrics_level", "none", "log_level", "error"));
        kpl.putAll(kplOptions);
        return builder.region(REGION)
                .endpoint(endpoint())
                .sslVerifyPeer(false)
                .credentials(credentials())
                .kpl(new KplSettings(kpl));
    }

    /** Options for {@link org.kinesisaggregator.kinesis.tail.StreamTail} reading this emulator to its end. */
    public TailOptions tailOptions(String stream) {
        return TailOptions.defaults(stream)
                .withRegion(REGION)
                .withEndpoint(endpoint())
                .withCredentials(credentials())
                .withFollow(false);
    }

    /** An SDK client for this emulator (closed with it). */
    public synchronized KinesisClient client() {
        if (connection == null) {
            connection = AwsClients.kinesisClient(
                    REGION,
                    endpoint(),
                    false,
                    AwsClients.credentialsProvider(credentials(), REGION),
                    Duration.ofSeconds(30));
        }
        return connection.client();
    }

    /** Creates {@code name} with {@code shards} shards (if it does not exist) and waits until it is ACTIVE. */
    public void createStream(String name, int shards) {
        try {
            client().describeStreamSummary(r -> r.streamName(name));
            return;
        } catch (ResourceNotFoundException e) {
            client().createStream(r -> r.streamName(name).shardCount(shards));
        }
        Awaitility.await("stream " + name + " ACTIVE")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> client().describeStreamSummary(r -> r.streamName(name))
                                .streamDescriptionSummary()
                                .streamStatus()
                        == StreamStatus.ACTIVE);
    }

    /** Stops the emulator (SIGTERM, then SIGKILL after 10 s): an outage. */
    public void stop() {
        if (process == null) {
            return;
        }
        Process p = process;
        process = null;
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("Local Kinesis on port {} stopped", port);
    }

    /** Starts the emulator again on the same port (and data directory, if any). */
    public void restart() {
        if (process != null) {
            throw new IllegalStateException("local Kinesis: already running");
        }
        try {
            launch(port);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restart the local Kinesis on port " + port, e);
        }
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            connection.close();
            connection = null;
        }
        stop();
    }
}
