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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kinesisaggregator.bench.kinesis.NullKinesis;
import org.kinesisaggregator.bench.load.ForwardLoad;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole pipeline under load: the distribution's {@code bin/kinesis-aggregator} as a child
 * process (as in production), {@link ForwardLoad} sending PackedForward messages with acks over
 * loopback, and a sink:
 *
 * <ul>
 *   <li>{@code null}: a file buffer (fsync group commit) in front of the {@code null} output —
 *       what the forward server and the buffer cost;
 *   <li>{@code kinesis}: a file buffer in front of {@code kinesis_streams_aggregated} → the real
 *       KPL daemon → {@link NullKinesis} (in this JVM) — the whole path.
 * </ul>
 *
 * <p>Reports ingest (all acks received) and end-to-end (buffer drained) events/s, and the CPU of
 * the aggregator JVM and of its KPL daemon per event, read from /proc. A warm-up run precedes the
 * measured one. Not a test: figures go to BENCHMARKS.md with the command and the machine.
 */
@Command(name = "pipeline-benchmark", mixinStandardHelpOptions = true)
public final class PipelineBenchmark implements Callable<Integer> {
    private static final Pattern TOTAL_EVENTS = Pattern.compile("\"buffer_total_events\":(\\d+)");

    @Option(names = "--sink", defaultValue = "null", description = "null or kinesis")
    String sink;

    @Option(names = "--events", defaultValue = "2000000")
    long events;

    @Option(names = "--warmup-events", defaultValue = "300000")
    long warmupEvents;

    @Option(names = "--connections", defaultValue = "4")
    int connections;

    @Option(names = "--batch", defaultValue = "1000")
    int batch;

    @Option(names = "--event-bytes", defaultValue = "200")
    int eventBytes;

    @Option(names = "--window", defaultValue = "4")
    int window;

    @Option(names = "--ack-durability", defaultValue = "fsync", description = "fsync or write")
    String ackDurability;

    @Option(names = "--heap", defaultValue = "1g")
    String heap;

    @Option(
            names = "--home",
            description = "The distribution (default: aggregator-server/target/dist/kinesis-aggregator)")
    Path home;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(String[] args) {
        System.exit(new CommandLine(new PipelineBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path root = Path.of(System.getProperty("project.root", ".")).toAbsolutePath();
        Path dist = home != null ? home : root.resolve("aggregator-server/target/dist/kinesis-aggregator");
        Path work = Files.createTempDirectory("pipeline-bench");
        int forwardPort = freePort();
        int adminPort = freePort();
        try (NullKinesis nullKinesis = sink.equals("kinesis") ? NullKinesis.start(4, 4) : null) {
            Path conf = work.resolve("bench.conf");
            Files.writeString(conf, conf(work, forwardPort, adminPort, nullKinesis));
            Path log = work.resolve("aggregator.log");
            ProcessBuilder pb = new ProcessBuilder(
                            dist.resolve("bin/kinesis-aggregator").toString(), "-c", conf.toString(), "-q")
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().put("JAVA_OPTS", "-Xms" + heap + " -Xmx" + heap + " -Daws.cborEnabled=false");
            Process aggregator = pb.start();
            try {
                awaitReady(adminPort, aggregator, log);
                System.out.printf(
                        "pipeline-benchmark: sink=%s events=%d connections=%d batch=%d event_bytes=%d window=%d"
                                + " ack_durability=%s heap=%s java=%s cpus=%d cpu=%s%n",
                        sink,
                        events,
                        connections,
                        batch,
                        eventBytes,
                        window,
                        ackDurability,
                        heap,
                        System.getProperty("java.version"),
                        Runtime.getRuntime().availableProcessors(),
                        cpuModel());
                run(forwardPort, adminPort, warmupEvents, "warmup", aggregator, nullKinesis);
                Result r = run(forwardPort, adminPort, events, "measured", aggregator, nullKinesis);
                System.out.println(r);
            } finally {
                aggregator.destroy(); // SIGTERM: a clean shutdown
                if (!aggregator.waitFor(60, TimeUnit.SECONDS)) {
                    aggregator.destroyForcibly();
                }
            }
        }
        return 0;
    }

    private record Result(
            String label,
            long events,
            double ingestSeconds,
            double totalSeconds,
            double jvmCpuSeconds,
            double daemonCpuSeconds,
            long peakRssKib,
            long kinesisRecords,
            ForwardLoad.Result load) {
        @Override
        public String toString() {
            return String.format(
                    "%s: events=%d ingest_events/s=%.0f end_to_end_events/s=%.0f ack_p50_ms=%.1f ack_p99_ms=%.1f"
                            + " aggregator_jvm_cpu_us/event=%.2f kpl_daemon_cpu_us/event=%.2f aggregator_peak_rss_mib=%d"
                            + " kinesis_records=%d",
                    label,
                    events,
                    events / ingestSeconds,
                    events / totalSeconds,
                    load.ackP50Micros() / 1000.0,
                    load.ackP99Micros() / 1000.0,
                    jvmCpuSeconds * 1e6 / events,
                    daemonCpuSeconds * 1e6 / events,
                    peakRssKib / 1024,
                    kinesisRecords);
        }
    }

    private Result run(
            int forwardPort, int adminPort, long count, String label, Process aggregator, NullKinesis nullKinesis)
            throws Exception {
        long pid = aggregator.pid();
        double jvmCpu0 = cpuSeconds(pid);
        double daemonCpu0 = descendantsCpuSeconds(pid);
        long records0 = nullKinesis == null ? 0 : nullKinesis.records();
        ForwardLoad load = new ForwardLoad();
        new CommandLine(load)
                .parseArgs(
                        "--port",
                        String.valueOf(forwardPort),
                        "--connections",
                        String.valueOf(connections),
                        "--events",
                        String.valueOf(count),
                        "--batch",
                        String.valueOf(batch),
                        "--event-bytes",
                        String.valueOf(eventBytes),
                        "--ack",
                        "--window",
                        String.valueOf(window),
                        "--tag",
                        "app.bench",
                        "--timeout-seconds",
                        "900");
        long t0 = System.nanoTime();
        ForwardLoad.Result sent = load.run();
        long ingested = System.nanoTime();
        awaitDrained(adminPort, Duration.ofMinutes(15));
        long drained = System.nanoTime();
        double jvmCpu = cpuSeconds(pid) - jvmCpu0;
        double daemonCpu = descendantsCpuSeconds(pid) - daemonCpu0;
        long records = nullKinesis == null ? 0 : nullKinesis.records() - records0;
        return new Result(
                label,
                count,
                (ingested - t0) / 1e9,
                (drained - t0) / 1e9,
                jvmCpu,
                daemonCpu,
                peakRssKib(pid),
                records,
                sent);
    }

    private String conf(Path work, int forwardPort, int adminPort, NullKinesis nullKinesis) {
        String output = nullKinesis == null ? "  @type null\n" : """
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
        """.formatted(nullKinesis.endpoint());
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
            @type file
            path %1$s/buffer
            ack_durability %5$s
            flush_mode interval
            flush_interval 1s
            flush_thread_count 2
            flush_thread_burst_interval 0
          </buffer>
        </match>
        """.formatted(work, forwardPort, adminPort, output, ackDurability);
    }

    private void awaitReady(int adminPort, Process aggregator, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!aggregator.isAlive()) {
                throw new IllegalStateException("the aggregator exited: " + Files.readString(log));
            }
            try {
                if (get(adminPort, "/health/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new IllegalStateException("not ready after 120 s: " + Files.readString(log));
    }

    private void awaitDrained(int adminPort, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = TOTAL_EVENTS.matcher(get(adminPort, "/api/plugins.json").body());
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

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** utime + stime of {@code pid}, seconds. */
    private static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The CPU of {@code pid}'s descendants (the KPL daemon), seconds. */
    private static double descendantsCpuSeconds(long pid) {
        List<Long> pids = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
        double total = 0;
        for (long d : pids) {
            total += cpuSeconds(d);
        }
        return total;
    }

    private static long peakRssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim().replace(' ', '_');
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return "unknown";
    }
}
