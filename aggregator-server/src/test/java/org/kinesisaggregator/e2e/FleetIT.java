package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;
import org.kinesisaggregator.server.testing.ChildProcess;
import org.komamitsu.fluency.Fluency;
import org.komamitsu.fluency.fluentd.FluencyBuilderForFluentd;

/**
 * The fleet of docs/operations.md on loopback: three aggregator processes, each the distribution's
 * own launcher ({@code target/dist/kinesis-aggregator/bin/kinesis-aggregator}, no test classpath),
 * behind haproxy in TCP mode standing in for the NLB (health check {@code GET /health/ready} on each
 * node's admin port, PROXY protocol v2 to the nodes, {@code proxy_protocol true} on them), all writing
 * to one stream on the Kinesis emulator. Forwarders send with acks through haproxy: fluency's
 * forward-protocol pieces ({@link AckedSender}) on several connections, each reconnecting every few
 * thousand events as out_forward's {@code keepalive_timeout} makes it, and Fluent Bit when the
 * environment variable {@code FLUENT_BIT} names its binary.
 *
 * <p>During the load, one node gets SIGTERM (its {@code /health/ready} answers 503, haproxy marks it
 * down, the forwarders reconnect to the others, its in-flight acks go out and it exits 0) and another
 * {@code kill -9}; both restart on their buffer directories and take connections again; then
 * everything drains. Every acked event must be in the stream exactly as sent; duplicates are counted
 * and their rate printed.
 *
 * <p>Bounded for CI (about a minute and a half, one round); longer: {@code -Dfleet.rounds=5
 * -Dfleet.phase.seconds=30}. {@code -Dfleet.bench=true} runs {@link #throughputWithOneTwoAndThreeNodes}
 * instead (figures for docs/operations.md; no assertion on them).
 */
class FleetIT {
    private static final String STREAM = "fleet";
    private static final int SHARDS = 4;
    private static final int ROUNDS = Integer.getInteger("fleet.rounds", 1);
    private static final Duration PHASE = Duration.ofSeconds(Long.getLong("fleet.phase.seconds", 6));
    private static final int CONNECTIONS = Integer.getInteger("fleet.connections", 6);
    /** Events per forwarder connection before it reconnects (out_forward's keepalive_timeout). */
    private static final int EVENTS_PER_CONNECTION = 3_000;

    private static final Pattern STAT_LINE = Pattern.compile("(?m)^nodes,([a-z0-9]+),(?:[^,]*,){15}([A-Z]+)");

    @TempDir
    Path dir;

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        threads.shutdownNow();
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    /** One node: its ports and directories stay across restarts (haproxy's server line names them). */
    private final class Node {
        final String name;
        final int forwardPort;
        final int adminPort;
        final Path conf;
        AggregatorProcess process;
        int starts;

        Node(String name, LocalKinesis kinesis) throws IOException {
            this.name = name;
            this.forwardPort = AggregatorProcess.freePort();
            this.adminPort = AggregatorProcess.freePort();
            Path home = Files.createDirectories(dir.resolve(name));
            this.conf = home.resolve("node.conf");
            Files.writeString(conf, """
            <system>
              root_dir %1$s/root
              drain_delay 2s
              shutdown_timeout 15s
            </system>
            <source>
              @type forward
              bind 127.0.0.1
              port %2$d
              proxy_protocol true
            </source>
            <source>
              @type monitor_agent
              bind 127.0.0.1
              port %3$d
            </source>
            <match fleet.**>
              @type kinesis_streams_aggregated
              @id kinesis
              region us-east-1
              stream_name %4$s
              endpoint %5$s
              ssl_verify_peer false
              aws_key_id AKIDLOCALKINESIS
              aws_sec_key local-kinesis-secret
              <kinesis_producer>
                metrics_level none
                log_level error
              </kinesis_producer>
              <buffer>
                @type file
                path %1$s/buffer
                flush_mode interval
                flush_interval 0.5s
                flush_thread_count 2
                flush_at_shutdown true
                retry_wait 0.5s
                retry_max_interval 1s
                retry_forever true
              </buffer>
            </match>
            """.formatted(home, forwardPort, adminPort, STREAM, kinesis.endpoint()));
            toClose.add(() -> {
                if (process != null) {
                    process.close();
                }
            });
        }

        Node start() throws IOException {
            process = AggregatorProcess.startDistribution(
                    distribution(), conf, conf.resolveSibling("run-" + starts++ + ".log"));
            return this;
        }

        int ready() throws Exception {
            return http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/health/ready"))
                                    .timeout(Duration.ofSeconds(5))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        }

        /** {@code emit_records} of the Kinesis output since this start. */
        long emitRecords() throws IOException, InterruptedException {
            String body = process.get("/api/plugins.json").body();
            Matcher m = Pattern.compile("\"plugin_id\":\"kinesis\".*?\"emit_records\":(\\d+)")
                    .matcher(body);
            assertThat(m.find()).as("emit_records of kinesis in %s", body).isTrue();
            return Long.parseLong(m.group(1));
        }
    }

    /** haproxy in the foreground on its own conf: TCP mode, a stats page on its own port. */
    private final class Haproxy implements AutoCloseable {
        final int port = AggregatorProcess.freePort();
        final int statsPort = AggregatorProcess.freePort();
        final Process process;

        Haproxy(List<Node> nodes) throws IOException {
            StringBuilder servers = new StringBuilder();
            for (Node n : nodes) {
                servers.append(
                        "  server %s 127.0.0.1:%d check port %d\n".formatted(n.name, n.forwardPort, n.adminPort));
            }
            Path conf = dir.resolve("haproxy.cfg");
            Files.writeString(conf, """
            global
              maxconn 2000
            defaults
              mode tcp
              timeout connect 2s
              timeout client 60s
              timeout server 60s
              timeout check 2s
              retries 3
              option redispatch
            frontend forward
              bind 127.0.0.1:%d
              default_backend nodes
            backend nodes
              balance leastconn
              option httpchk GET /health/ready
              default-server inter 300ms fall 1 rise 2 send-proxy-v2
            %s
            frontend stats
              mode http
              bind 127.0.0.1:%d
              stats enable
              stats uri /stats
            """.formatted(port, servers, statsPort));
            process = new ProcessBuilder(haproxyBinary(), "-db", "-f", conf.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("haproxy.log").toFile())
                    .start();
        }

        /** Each server's status on the stats page: UP, DOWN, NOLB, MAINT. */
        Map<String, String> states() {
            Map<String, String> states = new HashMap<>();
            try {
                String csv = http.send(
                                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statsPort + "/stats;csv"))
                                        .timeout(Duration.ofSeconds(5))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
                Matcher m = STAT_LINE.matcher(csv);
                while (m.find()) {
                    states.put(m.group(1), m.group(2));
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return states;
        }

        void awaitState(String server, String state) {
            await("haproxy: " + server + " " + state + " (log " + dir.resolve("haproxy.log") + ")")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> state.equals(states().get(server)));
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Forwarders that send until told to stop, reconnecting every {@link #EVENTS_PER_CONNECTION} events. */
    private final class Load {
        final AtomicBoolean sending = new AtomicBoolean(true);
        final List<CompletableFuture<Long>> senders = new ArrayList<>();

        Load(AckedSender sender, Random random) {
            this(sender, random, CONNECTIONS, 40, EVENTS_PER_CONNECTION);
        }

        Load(AckedSender sender, Random random, int connections, int maxBatch, long eventsPerConnection) {
            for (int i = 0; i < connections; i++) {
                Random own = new Random(random.nextLong());
                senders.add(CompletableFuture.supplyAsync(
                        () -> {
                            long failed = 0;
                            while (sending.get()) {
                                failed += sender.run("fleet.app", own, maxBatch, eventsPerConnection, sending::get)
                                        .failedBatches();
                            }
                            return failed;
                        },
                        threads));
            }
        }

        long stop() throws Exception {
            sending.set(false);
            long failed = 0;
            for (CompletableFuture<Long> s : senders) {
                failed += s.get(60, TimeUnit.SECONDS);
            }
            return failed;
        }
    }

    @Test
    void everyAckedEventIsInTheStreamAfterASigtermAndAKillMinus9UnderLoad() throws Exception {
        long seed = Long.getLong("fleet.seed", System.nanoTime());
        System.out.println("FleetIT seed=" + seed + " (rerun with -Dfleet.seed=" + seed + ")");
        Random random = new Random(seed);
        LocalKinesis kinesis = LocalKinesis.start(LocalKinesis.options().dataDirectory(dir.resolve("kinesalite")));
        toClose.add(kinesis);
        kinesis.createStream(STREAM, SHARDS);
        List<Node> nodes = List.of(new Node("n1", kinesis), new Node("n2", kinesis), new Node("n3", kinesis));
        for (Node n : nodes) {
            n.start();
        }
        for (Node n : nodes) {
            n.process.awaitReady();
        }
        Haproxy lb = new Haproxy(nodes);
        toClose.add(lb);
        for (Node n : nodes) {
            lb.awaitState(n.name, "UP");
        }
        FluentBit fluentBit = FluentBit.startIfConfigured(dir, lb.port);
        if (fluentBit != null) {
            toClose.add(fluentBit);
        }

        AckedSender sender = new AckedSender("127.0.0.1", lb.port, 0);
        Load load = new Load(sender, random);
        long t0 = System.nanoTime();
        for (int round = 0; round < ROUNDS; round++) {
            Node terminated = nodes.get(round % 3);
            Node killed = nodes.get((round + 1) % 3);
            Node survivor = nodes.get((round + 2) % 3);
            Thread.sleep(PHASE.toMillis());
            long ackedAtTerm = sender.acked().size();
            assertThat(ackedAtTerm).as("events acked before round %d", round).isPositive();
            for (Node n : nodes) {
                assertThat(n.emitRecords())
                        .as("%s took events before round %d", n.name, round)
                        .isPositive();
            }

            long term = System.nanoTime();
            terminated.process.signal("TERM");
            await(terminated.name + " not ready after SIGTERM")
                    .atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> terminated.ready() == 503);
            lb.awaitState(terminated.name, "DOWN");
            long downMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - term);
            killed.process.kill();
            long ackedAtKill = sender.acked().size();
            int status = terminated.process.awaitExit(Duration.ofSeconds(60));
            long exitMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - term);
            assertThat(status)
                    .as("%s's exit status after SIGTERM; log:%n%s", terminated.name, terminated.process.log())
                    .isZero();
            assertThat(terminated.process.log()).contains("Shutting down: not ready, still serving for drain_delay");
            lb.awaitState(killed.name, "DOWN");
            long ackedAlone = sender.acked().size();
            await("acks go on with " + survivor.name + " alone")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> sender.acked().size() > ackedAlone + 1_000);
            System.out.printf(
                    "FleetIT round %d: SIGTERM %s (haproxy DOWN after %d ms, exit 0 after %d ms), kill -9 %s;"
                            + " %d acked before, %d at the kill -9, %d with %s alone%n",
                    round,
                    terminated.name,
                    downMs,
                    exitMs,
                    killed.name,
                    ackedAtTerm,
                    ackedAtKill,
                    sender.acked().size(),
                    survivor.name);

            terminated.start();
            killed.start();
            terminated.process.awaitReady();
            killed.process.awaitReady();
            lb.awaitState(terminated.name, "UP");
            lb.awaitState(killed.name, "UP");
            await("the restarted nodes take connections again")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> terminated.emitRecords() > 0 && killed.emitRecords() > 0);
        }
        Thread.sleep(PHASE.toMillis());
        long failedBatches = load.stop();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (fluentBit != null) {
            fluentBit.stop();
        }

        for (Node n : nodes) {
            await(n.name + "'s buffer drained")
                    .atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> n.process.bufferedEvents() == 0);
        }
        for (Node n : nodes) {
            assertThat(n.process.terminate())
                    .as("%s's exit status at the end", n.name)
                    .isZero();
        }

        List<Map.Entry<String, String>> records = RunningAggregator.readStream(kinesis, STREAM);
        List<Map.Entry<String, String>> ours = new ArrayList<>();
        List<String> fromFluentBit = new ArrayList<>();
        for (Map.Entry<String, String> r : records) {
            if (r.getValue().contains(FluentBit.MARK)) {
                fromFluentBit.add(r.getValue());
            } else {
                ours.add(r);
            }
        }
        Delivered.Report report = Delivered.compare(sender, ours);
        System.out.printf(
                "FleetIT (seed %d, %d round(s), %d connections, %.0f s of load, %.0f acked events/s, %d batches"
                        + " failed by a SIGTERM or kill -9): %s; duplicate rate %.4f%%%n",
                seed,
                ROUNDS,
                CONNECTIONS,
                seconds,
                report.acked() / seconds,
                failedBatches,
                report,
                100.0 * report.duplicates() / Math.max(1, report.distinct()));
        assertThat(report.wrong()).as("records that differ from what was sent").isEmpty();
        assertThat(report.missing())
                .as("acked events not in the stream (seed %d)", seed)
                .isEmpty();
        if (fluentBit != null) {
            TreeSet<Long> missing = fluentBit.missing(fromFluentBit);
            long distinct = fluentBit.written() - missing.size();
            System.out.printf(
                    "FleetIT Fluent Bit: %d events written to it, %d records of them read, %d missing, %d duplicates"
                            + " (%.4f%%)%n",
                    fluentBit.written(),
                    fromFluentBit.size(),
                    missing.size(),
                    fromFluentBit.size() - distinct,
                    100.0 * (fromFluentBit.size() - distinct) / Math.max(1, distinct));
            assertThat(missing)
                    .as("Fluent Bit's events not in the stream; its output:%n%s", fluentBit.output())
                    .isEmpty();
        }
    }

    /**
     * Acked events/s through haproxy with 1, 2 and 3 nodes (each run on a stream of its own), and
     * the end-to-end rate (acked events ÷ the time until every node's buffer is empty). Figures only.
     */
    @Test
    @EnabledIfSystemProperty(named = "fleet.bench", matches = "true")
    void throughputWithOneTwoAndThreeNodes() throws Exception {
        Duration window = Duration.ofSeconds(Long.getLong("fleet.bench.seconds", 20));
        int connections = Integer.getInteger("fleet.bench.connections", 16);
        int maxBatch = Integer.getInteger("fleet.bench.batch", 500);
        LocalKinesis kinesis = LocalKinesis.start(LocalKinesis.options().dataDirectory(dir.resolve("kinesalite")));
        toClose.add(kinesis);
        List<String> lines = new ArrayList<>();
        for (int count = 1; count <= 3; count++) {
            List<Node> nodes = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                nodes.add(new Node("b" + count + "n" + i, kinesis));
            }
            if (count == 1) {
                kinesis.createStream(STREAM, SHARDS);
            }
            for (Node n : nodes) {
                n.start();
            }
            for (Node n : nodes) {
                n.process.awaitReady();
            }
            try (Haproxy lb = new Haproxy(nodes)) {
                for (Node n : nodes) {
                    lb.awaitState(n.name, "UP");
                }
                AckedSender sender = new AckedSender("127.0.0.1", lb.port, count * 1_000_000_000L);
                long loadStart = System.nanoTime();
                Load load = new Load(sender, new Random(count), connections, maxBatch, 100_000);
                Thread.sleep(5_000); // warm-up
                long before = sender.acked().size();
                long t0 = System.nanoTime();
                Thread.sleep(window.toMillis());
                long acked = sender.acked().size() - before;
                double seconds = (System.nanoTime() - t0) / 1e9;
                load.stop();
                long total = sender.acked().size();
                for (Node n : nodes) {
                    await(n.name + "'s buffer drained")
                            .atMost(Duration.ofMinutes(10))
                            .pollInterval(Duration.ofMillis(200))
                            .until(() -> n.process.bufferedEvents() == 0);
                }
                double endToEnd = total / ((System.nanoTime() - loadStart) / 1e9);
                String line = ("%d node(s), %d connections, 1..%d events a message: %.0f acked events/s (%.0f s"
                                + " window), %.0f events/s end to end (buffers drained)")
                        .formatted(count, connections, maxBatch, acked / seconds, seconds, endToEnd);
                System.out.println("FleetIT bench: " + line);
                lines.add(line);
            }
            for (Node n : nodes) {
                assertThat(n.process.terminate()).isZero();
            }
        }
        System.out.println("FleetIT bench (" + Runtime.getRuntime().availableProcessors() + " CPUs):");
        lines.forEach(l -> System.out.println("  " + l));
    }

    /**
     * Fluent Bit ({@code $FLUENT_BIT}) as a forwarder in the middle: the test writes unique events to
     * its {@code forward} input on loopback (fluency, a steady rate during the whole load; the peer
     * build here has no {@code tail} input), and its {@code forward} output sends them through
     * haproxy with {@code Require_ack_response} and unlimited retries, reconnecting every 200
     * messages ({@code net.keepalive_max_recycle}). Every event written must be in the stream.
     */
    private static final class FluentBit implements AutoCloseable {
        static final String MARK = "fleet-fluent-bit-event-";

        private final Process process;
        private final Path out;
        private final Fluency fluency;
        private final AtomicBoolean writing = new AtomicBoolean(true);
        private final Thread writer;
        private volatile long written;

        static FluentBit startIfConfigured(Path dir, int port) throws IOException {
            String binary = System.getenv("FLUENT_BIT");
            if (binary == null || binary.isBlank()) {
                System.out.println("FleetIT: no Fluent Bit forwarder (set FLUENT_BIT to its binary to add one)");
                return null;
            }
            return new FluentBit(Path.of(binary), dir, port);
        }

        private FluentBit(Path binary, Path dir, int port) throws IOException {
            int inputPort = AggregatorProcess.freePort();
            Path conf = dir.resolve("fluent-bit.conf");
            Files.writeString(conf, """
            [SERVICE]
                Flush          0.2
                Grace          30
                Log_Level      warn
                scheduler.base 1
                scheduler.cap  2
            [INPUT]
                Name   forward
                Listen 127.0.0.1
                Port   %d
            [OUTPUT]
                Name                 forward
                Match                *
                Host                 127.0.0.1
                Port                 %d
                Require_ack_response true
                Retry_Limit          no_limits
                net.keepalive        on
                net.keepalive_max_recycle 200
            """.formatted(inputPort, port));
            out = dir.resolve("fluent-bit.out");
            process = new ProcessBuilder(binary.toString(), "-c", conf.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            await("Fluent Bit's forward input on port " + inputPort)
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> listening(inputPort) || !process.isAlive());
            assertThat(process.isAlive())
                    .as("Fluent Bit running: %s", Files.readString(out))
                    .isTrue();
            fluency = new FluencyBuilderForFluentd().build("127.0.0.1", inputPort);
            writer = new Thread(this::write, "fluent-bit-events");
            writer.start();
        }

        private static boolean listening(int port) {
            try {
                new Socket(InetAddress.getLoopbackAddress(), port).close();
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        private void write() {
            try {
                while (writing.get()) {
                    for (int i = 0; i < 50; i++) {
                        fluency.emit("fleet.fluentbit", Map.of("log", MARK + written));
                        written++;
                    }
                    Thread.sleep(100);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        long written() {
            return written;
        }

        /** Stops writing and hands fluency's rest over, then SIGTERM: Fluent Bit flushes within Grace. */
        void stop() throws Exception {
            writing.set(false);
            writer.join(10_000);
            fluency.flush();
            assertThat(fluency.waitUntilAllBufferFlushed(30))
                    .as("fluency handed everything to Fluent Bit")
                    .isTrue();
            fluency.close();
            Thread.sleep(2_000);
            process.destroy();
            assertThat(process.waitFor(60, TimeUnit.SECONDS))
                    .as("Fluent Bit exited")
                    .isTrue();
        }

        TreeSet<Long> missing(List<String> records) {
            TreeSet<Long> missing = new TreeSet<>();
            for (long i = 0; i < written; i++) {
                missing.add(i);
            }
            Pattern line = Pattern.compile(Pattern.quote(MARK) + "(\\d+)");
            for (String r : records) {
                Matcher m = line.matcher(r);
                if (m.find()) {
                    missing.remove(Long.parseLong(m.group(1)));
                }
            }
            return missing;
        }

        String output() throws IOException {
            return Files.readString(out);
        }

        @Override
        public void close() {
            writing.set(false);
            if (process.isAlive()) {
                try {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static Path distribution() {
        String home = System.getProperty("dist.home");
        Path path = home != null
                ? Path.of(home)
                : ChildProcess.projectRoot().resolve("aggregator-server/target/dist/kinesis-aggregator");
        assertThat(path.resolve("bin/kinesis-aggregator"))
                .as("the distribution of mvn package (-Ddist.home)")
                .isExecutable();
        return path;
    }

    private static String haproxyBinary() {
        for (String candidate : List.of("/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new AssertionError("haproxy not installed: run scripts/install-test-deps.sh (apt-get install haproxy)");
    }
}
