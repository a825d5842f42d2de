package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.app.Supervisor.ReloadOutcome;
import org.kinesisaggregator.server.testing.LogCapture;

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
        return """
        <match %s>
          @type file
          @id %s
          path %s/out-%s
          <buffer>
            @type file
            path %s/buf-%s
            flush_interval 1h
          </buffer>
        </match>
        """.formatted(pattern, id, dir, id, dir, id);
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
                        conf + ":20",
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
    void afterCloseAReloadDoesNothing() throws IOException {
        supervisor.close();
        Files.writeString(conf, conf(0, fileMatch("web.**", "web")));
        assertThat(supervisor.reload("SIGHUP")).isEqualTo(ReloadOutcome.CLOSED);
    }
}
