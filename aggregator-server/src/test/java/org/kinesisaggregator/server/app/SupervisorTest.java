package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.app.Supervisor.ReloadOutcome;
import org.kinesisaggregator.server.testing.LogCapture;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.RawClient;
import org.msgpack.value.ValueFactory;

/**
 * The reload decision (SIGHUP, SIGUSR2) on real applications from conf files: an invalid conf keeps
 * the running one, the same effective text restarts nothing, a changed conf replaces the running
 * application, and a new conf that cannot start brings the previous one back.
 */
class SupervisorTest {
    @TempDir
    Path dir;

    private Path conf;
    private Supervisor supervisor;
    private final List<Aggregator> started = new ArrayList<>();

    private static String conf(int port, String matches) {
        return """
        <system>
          drain_delay 0s
          shutdown_timeout 5s
        </system>
        <source>
          @type forward
          bind 127.0.0.1
          port %d
        </source>
        %s
        """.formatted(port, matches);
    }

    private String fileMatch(String pattern, String id) {
        return fileMatch(pattern, id, "");
    }

    private String fileMatch(String pattern, String id, String bufferExtra) {
        return """
        <match %s>
          @type file
          @id %s
          path %s/out-%s
          append true
          <buffer>
            @type file
            path %s/buf-%s
            flush_interval 1h
            %s
          </buffer>
        </match>
        """.formatted(pattern, id, dir, id, dir, id, bufferExtra);
    }

    /** The chunk files of output {@code id}'s buffer, by name. */
    private List<String> chunkFiles(String id) throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("buf-" + id))) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".chunk"))
                    .sorted()
                    .toList();
        }
    }

    /** The records output {@code id} wrote (its file is out-ID.log: time, tag, record by tabs). */
    private List<String> delivered(String id) throws IOException {
        Path out = dir.resolve("out-" + id + ".log");
        if (!Files.exists(out)) {
            return List.of();
        }
        return Files.readAllLines(out).stream()
                .map(l -> l.substring(l.lastIndexOf('\t') + 1))
                .toList();
    }

    private static void sendAcked(RawClient client, String tag, String chunk) {
        client.send(Mp.packed(tag, Mp.entries(1_795_000_000L, Mp.map("chunk", chunk)), Mp.map("chunk", chunk)));
        assertThat(client.readValue().asMapValue().map().get(ValueFactory.newString("ack")))
                .as("ack of %s", chunk)
                .isEqualTo(ValueFactory.newString(chunk));
    }

    @BeforeEach
    void setUp() throws Exception {
        LogCapture.clear();
        conf = dir.resolve("agg.conf");
        Files.writeString(conf, conf(0, fileMatch("app.**", "app")));
        supervisor = newSupervisor();
        supervisor.start();
    }

    @AfterEach
    void tearDown() {
        supervisor.close();
    }

    private Supervisor newSupervisor() {
        Aggregator.Environment env = env();
        return new Supervisor(
                LoadedConf.load(conf, Plugins.defaults(), env, false),
                Plugins.defaults(),
                this::env,
                false,
                started::add);
    }

    private Aggregator.Environment env() {
        return LoadedConf.environment(new SimpleMeterRegistry(), Clock.systemUTC(), new ByteArrayOutputStream());
    }

    @Test
    void anInvalidConfIsLoggedAndTheRunningOneStays() throws Exception {
        Aggregator before = supervisor.current();
        Files.writeString(conf, conf(0, fileMatch("app.**", "app") + "<match web.**>\n  @type file\n</match>\n"));

        assertThat(supervisor.reload("SIGHUP")).isEqualTo(ReloadOutcome.INVALID);

        assertThat(supervisor.current()).isSameAs(before);
        assertThat(before.isReady()).as("the running application still serves").isTrue();
        assertThat(LogCapture.containing(
                        "Reload (SIGHUP): invalid conf",
                        conf + ":22",
                        "missing required parameter 'path'",
                        "the running conf stays"))
                .as("ERROR naming file:line and the parameter; log: %s", LogCapture.lines())
                .singleElement()
                .satisfies(l -> assertThat(l.level()).isEqualTo("ERROR"));
    }

    @Test
    void theSameEffectiveTextRestartsNothing() throws Exception {
        Aggregator before = supervisor.current();
        Files.writeString(conf, "# a comment and other layout\n\n" + conf(0, fileMatch("app.**", "app")));

        assertThat(supervisor.reload("SIGUSR2")).isEqualTo(ReloadOutcome.UNCHANGED);

        assertThat(supervisor.current()).isSameAs(before);
        assertThat(before.isReady()).isTrue();
        assertThat(LogCapture.containing("Reload (SIGUSR2): conf", "unchanged")).hasSize(1);
    }

    @Test
    void aChangedConfReplacesTheRunningApplication() throws Exception {
        Aggregator before = supervisor.current();
        Files.writeString(conf, conf(0, fileMatch("app.**", "app") + fileMatch("web.**", "web")));

        assertThat(supervisor.reload("SIGHUP")).isEqualTo(ReloadOutcome.RELOADED);

        Aggregator after = supervisor.current();
        assertThat(after).isNotSameAs(before);
        assertThat(before.isReady()).as("the old application is closed").isFalse();
        assertThat(after.isReady()).isTrue();
        assertThat(after.summary()).contains("<match web.**>");
        assertThat(after.inputs(ForwardServer.class)).hasSize(1);
        assertThat(started).containsExactly(before, after);
    }

    @Test
    void aNewConfThatCannotStartBringsThePreviousOneBack() throws Exception {
        Aggregator before = supervisor.current();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Files.writeString(conf, conf(taken.getLocalPort(), fileMatch("web.**", "web")));

            assertThat(supervisor.reload("SIGHUP")).isEqualTo(ReloadOutcome.RESTORED);
        }

        Aggregator after = supervisor.current();
        assertThat(after).isNotSameAs(before);
        assertThat(after.isReady()).as("the previous conf runs again").isTrue();
        assertThat(after.summary()).contains("<match app.**>").doesNotContain("web.**");
        assertThat(LogCapture.containing("Reload (SIGHUP): the new conf failed to start"))
                .hasSize(1);
        assertThat(LogCapture.containing("Reload (SIGHUP): the previous conf runs again"))
                .hasSize(1);
        assertThat(supervisor.hasFailed()).isFalse();
    }

    @Test
    void aReloadKeepsUnchangedSourcesOutputsAndConnections() throws Exception {
        Files.writeString(conf, conf(0, fileMatch("app.**", "app") + fileMatch("web.**", "web")));
        assertThat(supervisor.reload("SIGHUP")).isEqualTo(ReloadOutcome.RELOADED);
        Aggregator before = supervisor.current();
        ForwardServer server = before.inputs(ForwardServer.class).get(0);
        try (RawClient client = new RawClient(server.localAddress())) {
            sendAcked(client, "app.x", "a1");
            sendAcked(client, "web.x", "w1");
            sendAcked(client, "db.x", "d0"); // no route yet: acked and dropped, as Fluentd does
            List<String> appChunks = chunkFiles("app");
            assertThat(appChunks).hasSize(1);
            LogCapture.clear();

            // web's buffer changes, a route for db.** comes; the source and app's output are the same
            Files.writeString(
                    conf,
                    conf(
                            0,
                            fileMatch("app.**", "app")
                                    + fileMatch("web.**", "web", "chunk_limit_records 1000")
                                    + fileMatch("db.**", "db")));
            assertThat(supervisor.reload("SIGHUP")).isEqualTo(ReloadOutcome.RELOADED);

            Aggregator after = supervisor.current();
            assertThat(after).isNotSameAs(before);
            assertThat(after.isReady()).isTrue();
            assertThat(after.inputs(ForwardServer.class))
                    .as("the source keeps running")
                    .containsExactly(server);
            assertThat(client.isClosedByServer())
                    .as("the connection stays open")
                    .isFalse();
            assertThat(chunkFiles("app"))
                    .as("app's staged chunk carries over, not sealed")
                    .isEqualTo(appChunks);
            assertThat(LogCapture.containing("Reload (SIGHUP): input forward 127.0.0.1:0 kept (1 connections)"))
                    .as("log: %s", LogCapture.containing("Reload ("))
                    .hasSize(1);
            assertThat(LogCapture.containing("Reload (SIGHUP): output file [id app] kept"))
                    .hasSize(1);
            assertThat(LogCapture.containing("Reload (SIGHUP): output file [id web] restarted (conf changed)"))
                    .hasSize(1);
            assertThat(LogCapture.containing("Reload (SIGHUP): output file [id db] new"))
                    .hasSize(1);
            assertThat(LogCapture.containing("close buffer of app")).isEmpty();
            assertThat(LogCapture.containing("close buffer of web")).hasSize(1);

            // the same connection, through the new conf's routes
            sendAcked(client, "app.x", "a2");
            sendAcked(client, "web.x", "w2");
            sendAcked(client, "db.x", "d1");
            assertThat(chunkFiles("app")).isEqualTo(appChunks);
        }
        assertThat(supervisor.flushBuffers("test")).isEqualTo(3);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(delivered("app")).containsExactly("{\"chunk\":\"a1\"}", "{\"chunk\":\"a2\"}");
            assertThat(delivered("web")).containsExactlyInAnyOrder("{\"chunk\":\"w1\"}", "{\"chunk\":\"w2\"}");
            assertThat(delivered("db")).containsExactly("{\"chunk\":\"d1\"}");
        });
    }

    @Test
    void aKeptComponentsMetersFollowItIntoTheNewConfsRegistry() throws Exception {
        Aggregator before = supervisor.current();
        ForwardServer server = before.inputs(ForwardServer.class).get(0);
        try (RawClient client = new RawClient(server.localAddress())) {
            sendAcked(client, "app.x", "a1");
            Files.writeString(conf, conf(0, fileMatch("app.**", "app") + fileMatch("web.**", "web")));
            assertThat(supervisor.reload("SIGHUP")).isEqualTo(ReloadOutcome.RELOADED);
            sendAcked(client, "app.x", "a2");
            sendAcked(client, "web.x", "w1");

            MeterRegistry now = supervisor.current().registry();
            assertThat(now).isNotSameAs(before.registry());
            // gauges read the kept components' live state
            assertThat(now.get("forward.connections.active").gauge().value())
                    .as("the kept source's open connection")
                    .isEqualTo(1.0);
            assertThat(now.get("buffer.events").tag("output", "app").gauge().value())
                    .as("the kept buffer's staged events, from before and after the reload")
                    .isEqualTo(2.0);
            // counters start from zero in each conf's registry, and count on there
            assertThat(now.get("buffer.appends")
                            .tags("output", "app", "result", "stored")
                            .counter()
                            .count())
                    .isEqualTo(1.0);
            assertThat(now.get("buffer.appends")
                            .tags("output", "web", "result", "stored")
                            .counter()
                            .count())
                    .isEqualTo(1.0);
            assertThat(now.get("forward.acks").counters())
                    .as("one meter per name and tags")
                    .hasSize(1);
            assertThat(now.get("forward.acks").counter().count()).isEqualTo(2.0);
            assertThat(before.registry().get("forward.acks").counter().count())
                    .as("the previous registry no longer counts")
                    .isEqualTo(1.0);

            // a changed output's meters are the new buffer's, once; the kept one's survive a second reload
            Files.writeString(
                    conf, conf(0, fileMatch("app.**", "app") + fileMatch("web.**", "web", "chunk_limit_records 1000")));
            assertThat(supervisor.reload("SIGHUP")).isEqualTo(ReloadOutcome.RELOADED);
            MeterRegistry third = supervisor.current().registry();
            assertThat(third.get("buffer.events").tag("output", "app").gauge().value())
                    .isEqualTo(2.0);
            assertThat(third.get("buffer.events").tag("output", "web").gauges()).hasSize(1);
            assertThat(third.get("forward.connections.active").gauges()).hasSize(1);
            sendAcked(client, "web.x", "w2");
            assertThat(third.get("buffer.appends")
                            .tags("output", "web", "result", "stored")
                            .counter()
                            .count())
                    .isEqualTo(1.0);
        }
    }

    @Test
    void aFailedReloadGivesTheKeptComponentsBackToThePreviousConf() throws Exception {
        ForwardServer server = supervisor.current().inputs(ForwardServer.class).get(0);
        try (RawClient client = new RawClient(server.localAddress());
                ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            sendAcked(client, "app.x", "a1");
            List<String> appChunks = chunkFiles("app");
            // the same source and output, and a second source on a port that is taken
            Files.writeString(
                    conf,
                    conf(0, fileMatch("app.**", "app"))
                            + "<source>\n  @type forward\n  bind 127.0.0.1\n  port " + taken.getLocalPort()
                            + "\n</source>\n");

            assertThat(supervisor.reload("SIGHUP")).isEqualTo(ReloadOutcome.RESTORED);

            Aggregator after = supervisor.current();
            assertThat(after.isReady()).isTrue();
            assertThat(after.inputs(ForwardServer.class)).containsExactly(server);
            assertThat(client.isClosedByServer()).isFalse();
            sendAcked(client, "app.x", "a2");
            assertThat(chunkFiles("app")).isEqualTo(appChunks);
            assertThat(LogCapture.containing("Reload (SIGHUP): the previous conf runs again"))
                    .hasSize(1);
            assertThat(after.registry()
                            .get("forward.connections.active")
                            .gauge()
                            .value())
                    .as("the kept source's meters are back in the previous conf's (new) registry")
                    .isEqualTo(1.0);
        }
        assertThat(supervisor.flushBuffers("test")).isEqualTo(1);
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(
                        () -> assertThat(delivered("app")).containsExactly("{\"chunk\":\"a1\"}", "{\"chunk\":\"a2\"}"));
    }

    @Test
    void afterCloseAReloadDoesNothing() throws IOException {
        supervisor.close();
        Files.writeString(conf, conf(0, fileMatch("web.**", "web")));
        assertThat(supervisor.reload("SIGHUP")).isEqualTo(ReloadOutcome.CLOSED);
    }
}
