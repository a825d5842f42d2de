package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.server.testing.ChildProcess;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.RawClient;
import org.msgpack.value.ValueFactory;

/**
 * Fluentd's signals on the process the shipped launcher ({@code bin/kinesis-aggregator}) starts:
 * SIGUSR1 flushes a staged chunk long before its 1 h {@code flush_interval}; SIGHUP and SIGUSR2
 * reload the conf (a valid changed one takes effect, an invalid one is logged and the old routes
 * keep working); the process stays alive through all of them and HotSpot writes no hs_err file.
 */
class SignalsIT {
    private static final Pattern ID = Pattern.compile("\"id\":(\\d+)");

    @TempDir
    Path dir;

    private Process process;
    private Path log;

    @AfterEach
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private String conf(int port, String... ids) {
        StringBuilder sb = new StringBuilder("""
        <system>
          shutdown_timeout 10s
        </system>
        <source>
          @type forward
          bind 127.0.0.1
          port %d
        </source>
        """.formatted(port));
        for (String id : ids) {
            sb.append("""
            <match %s.**>
              @type file
              @id %s
              path %s/out-%s/%s
              <buffer>
                @type file
                path %s/buf-%s
                flush_interval 1h
              </buffer>
            </match>
            """.formatted(id, id, dir, id, id, dir, id));
        }
        return sb.toString();
    }

    private void start(Path conf) throws IOException {
        Path root = ChildProcess.projectRoot();
        log = dir.resolve("aggregator.log");
        ProcessBuilder pb = new ProcessBuilder(
                        "sh",
                        root.resolve("aggregator-server/src/dist/bin/kinesis-aggregator")
                                .toString(),
                        "-c",
                        conf.toString())
                .directory(dir.toFile())
                .redirectOutput(dir.resolve("aggregator.stdout").toFile())
                .redirectError(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("KINESIS_AGGREGATOR_CLASSPATH", System.getProperty("java.class.path"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put(
                "JAVA_OPTS",
                "-Xmx256m -Dlogback.configurationFile="
                        + root.resolve("aggregator-server/src/main/resources/logback.xml"));
        process = pb.start();
        awaitLog("] Aggregator: Ready");
    }

    private String log() throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    private void awaitLog(String text) {
        await("log line '" + text + "' (log " + log + ")")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> log().contains(text) || !process.isAlive());
        assertThat(process.isAlive())
                .as("aggregator alive; log:%n%s", (Object) logQuietly())
                .isTrue();
    }

    private String logQuietly() {
        try {
            return log();
        } catch (IOException e) {
            return e.toString();
        }
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill -%s", name).isZero();
    }

    /** The ids the file output of {@code id} wrote. */
    private Set<Long> written(String id) throws IOException {
        Set<Long> ids = new TreeSet<>();
        Path out = dir.resolve("out-" + id);
        if (!Files.isDirectory(out)) {
            return ids;
        }
        try (Stream<Path> files = Files.list(out)) {
            for (Path f : files.toList()) {
                Matcher m = ID.matcher(Files.readString(f, StandardCharsets.UTF_8));
                while (m.find()) {
                    ids.add(Long.parseLong(m.group(1)));
                }
            }
        }
        return ids;
    }

    private void assertNoHsErr() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("hs_err")))
                    .as("HotSpot crash files")
                    .isEmpty();
        }
    }

    private static Set<Long> send(AckedSender sender, String tag, int events, long seed) {
        AckedSender.RunResult r = sender.run(tag, new Random(seed), 10, events, () -> true);
        assertThat(r.failedBatches())
                .as("batches without ack (%s)", r.lastError())
                .isZero();
        return new TreeSet<>(sender.acked());
    }

    @Test
    void usr1FlushesAStagedChunkLongBeforeFlushInterval() throws Exception {
        int port = AggregatorProcess.freePort();
        Path conf = dir.resolve("agg.conf");
        Files.writeString(conf, conf(port, "app"));
        start(conf);
        Set<Long> acked = send(new AckedSender("127.0.0.1", port, 0), "app.x", 50, 1);
        assertThat(acked).hasSize(50);
        assertThat(written("app"))
                .as("nothing written before the signal (flush_interval 1h)")
                .isEmpty();

        signal("USR1");

        await("the acked events in the output file after SIGUSR1")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> written("app").equals(acked) || !process.isAlive());
        assertThat(process.isAlive()).as("alive after SIGUSR1; log:%n%s", log()).isTrue();
        assertThat(written("app")).isEqualTo(acked);
        assertThat(log()).contains("Flushing all buffers (SIGUSR1)");
        assertNoHsErr();
        process.destroy();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue())
                .as("a clean SIGTERM shutdown exits 0, as Fluentd does")
                .isEqualTo(0);
    }

    @Test
    void hupAndUsr2ReloadTheConfAndABadConfKeepsTheOldRoutes() throws Exception {
        int port = AggregatorProcess.freePort();
        Path conf = dir.resolve("agg.conf");
        Files.writeString(conf, conf(port, "app"));
        start(conf);
        AckedSender sender = new AckedSender("127.0.0.1", port, 0);
        Set<Long> app = send(sender, "app.x", 20, 1);

        // A valid changed conf (a new route for web.**), by SIGHUP.
        Files.writeString(conf, conf(port, "app", "web"));
        signal("HUP");
        awaitLog("Reload (SIGHUP): the new conf runs");
        AckedSender webSender = new AckedSender("127.0.0.1", port, 1000);
        Set<Long> web = send(webSender, "web.x", 20, 2);
        signal("USR1");
        await("web events through the new route")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> written("web").equals(web) || !process.isAlive());
        assertThat(written("web")).isEqualTo(web);
        assertThat(written("app"))
                .as("acked before the reload: on disk, then delivered")
                .isEqualTo(app);

        // An invalid conf, by SIGUSR2: logged with file:line and the parameter, the routes stay.
        Files.writeString(conf, conf(port, "app", "web").replace("flush_interval 1h", "flush_interval soon"));
        signal("USR2");
        awaitLog("Reload (SIGUSR2): invalid conf");
        // both buffers' flush_interval are bad: one ERROR line, then each error with file:line, in file order
        assertThat(log())
                .containsPattern(
                        "\\[ERROR\\].*Reload \\(SIGUSR2\\): invalid conf .*agg\\.conf: 2 errors, in file order:")
                .containsPattern("agg\\.conf:\\d+: flush_interval: \"soon\" is not a time")
                .contains("the running conf stays");
        AckedSender later = new AckedSender("127.0.0.1", port, 2000);
        Set<Long> more = send(later, "web.y", 10, 3);
        signal("USR1");
        await("web events through the old routes after the bad conf")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> written("web").containsAll(more) || !process.isAlive());
        assertThat(process.isAlive())
                .as("alive after HUP, USR2, USR1; log:%n%s", log())
                .isTrue();
        assertNoHsErr();
        process.destroy();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue())
                .as("a clean SIGTERM shutdown exits 0, as Fluentd does")
                .isEqualTo(0);
    }

    /** One acked event of tag {@code tag}, record {"id": id}, on {@code client}'s connection. */
    private static void sendAcked(RawClient client, String tag, long id) {
        String chunk = "c" + id;
        client.send(Mp.packed(tag, Mp.entries(1_795_000_000L, Mp.map("id", id)), Mp.map("chunk", chunk)));
        assertThat(client.readValue().asMapValue().map().get(ValueFactory.newString("ack")))
                .as("ack of event %d", id)
                .isEqualTo(ValueFactory.newString(chunk));
    }

    private List<String> chunkFiles(String id) throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("buf-" + id))) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".chunk"))
                    .sorted()
                    .toList();
        }
    }

    @Test
    void hupKeepsTheConnectionAndTheUnchangedOutputsStagedChunk() throws Exception {
        int port = AggregatorProcess.freePort();
        Path conf = dir.resolve("agg.conf");
        Files.writeString(conf, conf(port, "app", "web"));
        start(conf);
        try (RawClient client = new RawClient(new InetSocketAddress("127.0.0.1", port))) {
            int localPort = client.socket().getLocalPort();
            sendAcked(client, "app.x", 1);
            sendAcked(client, "web.x", 2);
            List<String> appChunks = chunkFiles("app");
            assertThat(appChunks).hasSize(1);

            // a new route (db), web's buffer changed, the source and app's output unchanged
            Files.writeString(
                    conf,
                    conf(port, "app", "web", "db")
                            .replace(
                                    "path " + dir + "/buf-web",
                                    "path " + dir + "/buf-web\n" + "    chunk_limit_records 1000"));
            signal("HUP");
            awaitLog("Reload (SIGHUP): the new conf runs");
            assertThat(log())
                    .contains("Reload (SIGHUP): input forward 127.0.0.1:" + port + " kept (1 connections)")
                    .contains("Reload (SIGHUP): output file [id app] kept with its buffer")
                    .contains("Reload (SIGHUP): output file [id web] restarted (conf changed)")
                    .contains("Reload (SIGHUP): output file [id db] new")
                    .doesNotContain("close buffer of app");
            assertThat(client.isClosedByServer())
                    .as("the connection stays open")
                    .isFalse();
            assertThat(chunkFiles("app")).as("the same staged chunk").isEqualTo(appChunks);

            sendAcked(client, "app.x", 3);
            sendAcked(client, "web.x", 4);
            sendAcked(client, "db.x", 5);
            assertThat(client.socket().getLocalPort()).isEqualTo(localPort);
            assertThat(chunkFiles("app")).isEqualTo(appChunks);
        }
        signal("USR1");
        await("every acked event where the conf in force routed it")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> (written("app").equals(Set.of(1L, 3L))
                                && written("web").equals(Set.of(2L, 4L))
                                && written("db").equals(Set.of(5L)))
                        || !process.isAlive());
        assertThat(written("app")).containsExactly(1L, 3L);
        assertThat(written("web")).containsExactly(2L, 4L);
        assertThat(written("db")).containsExactly(5L);
        process.destroy();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(0);
    }
}
