package org.kinesisaggregator.bench.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.kinesisaggregator.bench.kinesis.NullKinesis;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;

/**
 * The distribution's {@code bin/kinesis-aggregator} as a child process (as in production) on a conf
 * with a forward source, a monitor_agent, and one {@code <match app.**>}: a {@code file} or
 * {@code memory} buffer ({@code flush_interval 1s}, 8 MiB chunks, 2 flush threads) in front of the
 * {@code null} output, the {@code file} output (out_file lines), or {@code
 * kinesis_streams_aggregated} → the real KPL daemon → {@link NullKinesis} (in this JVM) or the
 * kinesalite emulator. Measured as {@code jvm} (the aggregator) and {@code kpl} (its descendants).
 */
public final class OurAggregator implements Target {
    private static final Pattern TOTAL_EVENTS = Pattern.compile("\"buffer_total_events\":(\\d+)");
    private static final Pattern RECORDS_PUT = Pattern.compile("(?m)^kinesis_records_put_total\\{[^}]*} ([0-9.eE+]+)");

    /** What to run: buffer {@code file|memory}, {@code fsync|write}, output {@code null|file|kinesis|emulator}. */
    public record Settings(String buffer, String ackDurability, String output, String javaOpts, Path home) {
        public String label() {
            String b = buffer.equals("memory") ? "memory" : ackDurability;
            return "ours-" + b + (output.equals("null") ? "" : "-" + output);
        }
    }

    private final Settings settings;
    private final Path work;
    private final int forwardPort;
    private final int adminPort;
    private final NullKinesis nullKinesis;
    private final boolean ownsNullKinesis;
    private final LocalKinesis emulator;
    private final Process process;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private OurAggregator(
            Settings settings, Path work, NullKinesis nullKinesis, boolean ownsNullKinesis, LocalKinesis emulator)
            throws Exception {
        this.settings = settings;
        this.work = work;
        this.nullKinesis = nullKinesis;
        this.ownsNullKinesis = ownsNullKinesis;
        this.emulator = emulator;
        this.forwardPort = freePort();
        this.adminPort = freePort();
        Path conf = work.resolve("bench.conf");
        Files.writeString(conf, conf());
        Path log = work.resolve("aggregator.log");
        ProcessBuilder pb = new ProcessBuilder(
                        settings.home().resolve("bin/kinesis-aggregator").toString(), "-c", conf.toString(), "-q")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment()
                .put(
                        "JAVA_OPTS",
                        (settings.javaOpts() == null ? "-Xmx1g" : settings.javaOpts()) + " -Daws.cborEnabled=false");
        this.process = pb.start();
        awaitReady(log);
    }

    /** Starts the aggregator (and the null Kinesis or the emulator its output needs) and waits until ready. */
    public static OurAggregator start(Settings settings) throws Exception {
        return start(settings, null);
    }

    /**
     * As {@link #start(Settings)}, but with output {@code kinesis} into {@code shared} (when not
     * null), which the caller owns and closes, e.g. to send a peer into the same null Kinesis.
     */
    public static OurAggregator start(Settings settings, NullKinesis shared) throws Exception {
        Path work = Files.createTempDirectory("bench-ours");
        NullKinesis nullKinesis = null;
        LocalKinesis emulator = null;
        try {
            if (settings.output().equals("kinesis")) {
                nullKinesis = shared != null ? shared : NullKinesis.start(4, 4);
            } else if (settings.output().equals("emulator")) {
                emulator = LocalKinesis.start(LocalKinesis.options().workDirectory(work.resolve("kinesalite")));
                emulator.createStream("bench", 4);
            }
            return new OurAggregator(settings, work, nullKinesis, shared == null, emulator);
        } catch (Exception | Error e) {
            if (nullKinesis != null && shared == null) {
                nullKinesis.close();
            }
            if (emulator != null) {
                emulator.close();
            }
            delete(work);
            throw e;
        }
    }

    /** The default distribution: {@code aggregator-server/target/dist/kinesis-aggregator} under the project root. */
    public static Path defaultHome() {
        Path root = Path.of(System.getProperty("project.root", ".")).toAbsolutePath();
        return root.resolve("aggregator-server/target/dist/kinesis-aggregator");
    }

    @Override
    public String name() {
        return settings.label();
    }

    @Override
    public int forwardPort() {
        return forwardPort;
    }

    public long pid() {
        return process.pid();
    }

    public int adminPort() {
        return adminPort;
    }

    @Override
    public Map<String, List<Long>> processes() {
        Map<String, List<Long>> m = new LinkedHashMap<>();
        m.put("jvm", List.of(process.pid()));
        if (settings.output().equals("kinesis") || settings.output().equals("emulator")) {
            m.put("kpl", ProcStats.descendants(process.pid()));
        }
        return m;
    }

    @Override
    public void awaitDrained(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = TOTAL_EVENTS.matcher(get("/api/plugins.json").body());
            long total = 0;
            boolean found = false;
            while (m.find()) {
                total += Long.parseLong(m.group(1));
                found = true;
            }
            if (found && total == 0) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new IllegalStateException("the buffer did not drain within " + timeout);
    }

    @Override
    public KinesisCounts kinesis() throws Exception {
        if (nullKinesis != null) {
            return new KinesisCounts(
                    nullKinesis.records(),
                    nullKinesis.putUnits(),
                    nullKinesis.putUnitsDecimal(),
                    nullKinesis.plainRecordLines(),
                    nullKinesis.cpuNanos());
        }
        if (emulator != null) {
            // kinesalite does not say what it stored; the aggregator's own counter does (units: not observable).
            Matcher m = RECORDS_PUT.matcher(get("/metrics").body());
            double records = 0;
            while (m.find()) {
                records += Double.parseDouble(m.group(1));
            }
            return new KinesisCounts((long) records, -1, -1, -1, -1);
        }
        return null;
    }

    @Override
    public void close() {
        process.destroy(); // SIGTERM: a clean shutdown
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        if (nullKinesis != null && ownsNullKinesis) {
            nullKinesis.close();
        }
        if (emulator != null) {
            emulator.close();
        }
        delete(work);
    }

    private String conf() {
        String output = switch (settings.output()) {
            case "null" -> "  @type null\n";
            case "file" -> "  @type file\n  path %s/out/app\n  append true\n".formatted(work);
            case "kinesis", "emulator" ->
                """
                      @type kinesis_streams_aggregated
                      region us-east-1
                      stream_name bench
                      endpoint %s
                      ssl_verify_peer false
                      aws_key_id bench
                      aws_sec_key bench
                      <kinesis_producer>
                        metrics_level none
                        log_level error
                      </kinesis_producer>
                    """.formatted(nullKinesis != null ? nullKinesis.endpoint() : emulator.endpoint());
            default -> throw new IllegalArgumentException("output: null, file, kinesis or emulator");
        };
        String buffer = settings.buffer().equals("memory") ? """
                    @type memory
                    chunk_limit_size 8m
                """ : """
                    @type file
                    path %s/buffer
                    ack_durability %s
                    chunk_limit_size 8m
                """.formatted(work, settings.ackDurability());
        return """
        <system>
          root_dir %1$s
          shutdown_timeout 30s
        </system>
        <source>
          @type forward
          bind 127.0.0.1
          port %2$d
        </source>
        <source>
          @type monitor_agent
          bind 127.0.0.1
          port %3$d
        </source>
        <match app.**>
          @id bench
        %4$s  <buffer>
        %5$s    flush_mode interval
            flush_interval 1s
            flush_thread_count 2
            flush_thread_burst_interval 0
          </buffer>
        </match>
        """.formatted(work, forwardPort, adminPort, output, buffer);
    }

    private void awaitReady(Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the aggregator exited: " + Files.readString(log));
            }
            try {
                if (get("/health/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        String text = Files.readString(log);
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new IllegalStateException("not ready after 120 s: " + text);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temporary directory
        }
    }
}
