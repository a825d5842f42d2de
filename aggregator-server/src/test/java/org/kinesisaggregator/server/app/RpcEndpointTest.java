package org.kinesisaggregator.server.app;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kinesisaggregator.buffer.EntryWriter;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.server.route.Router;

/**
 * {@code <system> rpc_endpoint}: Fluentd's HTTP RPC against a running {@link Supervisor}, with real
 * HTTP requests (java.net.http): each path answers {@code {"ok":true}} and does what its signal does.
 */
class RpcEndpointTest {
    @TempDir
    Path dir;

    private Path conf;
    private Supervisor supervisor;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The shape of the public confs: rpc_endpoint in <system>, a forward source, a buffered output. */
    private String conf(String extraMatch) {
        return """
        <system>
          rpc_endpoint 127.0.0.1:0
          drain_delay 0s
          shutdown_timeout 5s
        </system>
        <source>
          @type forward
          bind 127.0.0.1
          port 0
        </source>
        <match app.**>
          @type file
          @id app
          path %s/out/app
          append true
          <format>
            @type json
          </format>
          <buffer>
            @type file
            path %s/buf-app
            flush_interval 1h
          </buffer>
        </match>
        %s
        """.formatted(dir, dir, extraMatch);
    }

    private Supervisor start(String text) throws Exception {
        conf = dir.resolve("agg.conf");
        Files.writeString(conf, text);
        supervisor = new Supervisor(
                LoadedConf.load(conf, Plugins.defaults(), env(), false), Plugins.defaults(), this::env, false, a -> {});
        supervisor.start();
        return supervisor;
    }

    private Aggregator.Environment env() {
        return LoadedConf.environment(new SimpleMeterRegistry(), Clock.systemUTC(), new ByteArrayOutputStream());
    }

    @AfterEach
    void tearDown() {
        if (supervisor != null) {
            supervisor.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + supervisor.rpcAddress().getPort() + path);
        return http.send(
                HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofSeconds(10))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + supervisor.rpcAddress().getPort() + path);
        return http.send(
                HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertOk(HttpResponse<String> response) {
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"ok\":true}");
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    }

    private List<String> lines() throws IOException {
        Path file = dir.resolve("out/app.log");
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }

    @Test
    void flushBuffersDeliversWhatIsStagedAsSigusr1Does() throws Exception {
        start(conf(""));
        EntryWriter w = new EntryWriter().add(1_795_000_000L, 0, Map.of("msg", "staged"));
        supervisor
                .current()
                .router(Router.ROOT_LABEL)
                .append("app.web", w.toByteBuffer(), 1, null)
                .get(10, SECONDS);
        assertThat(lines()).as("flush_interval 1h: nothing written yet").isEmpty();

        assertOk(get("/api/plugins.flushBuffers"));

        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(lines()).containsExactly("{\"msg\":\"staged\"}"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/config.reload", "/api/config.gracefulReload"})
    void reloadRunsTheChangedConfAfterTheAnswer(String path) throws Exception {
        start(conf(""));
        Aggregator before = supervisor.current();
        Files.writeString(conf, conf("<match web.**>\n  @type null\n</match>\n"));

        assertOk(post(path));

        await().atMost(Duration.ofSeconds(30)).until(() -> supervisor.current() != before);
        assertThat(supervisor.current().summary()).contains("<match web.**>");
        assertThat(supervisor.current().isReady()).isTrue();
        assertThat(supervisor.rpcAddress())
                .as("the endpoint stays across the reload")
                .isNotNull();
        assertOk(get("/api/plugins.flushBuffers"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/processes.killWorkers", "/api/processes.interruptWorkers"})
    void killAndInterruptWorkersShutDownGracefully(String path) throws Exception {
        start(conf(""));
        Aggregator app = supervisor.current();

        assertOk(get(path));

        CompletableFuture.runAsync(() -> {
                    try {
                        supervisor.awaitClosed();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                })
                .get(30, SECONDS);
        assertThat(app.isReady()).isFalse();
        assertThat(supervisor.hasFailed()).isFalse();
        assertThat(supervisor.rpcAddress())
                .as("the endpoint closes with the supervisor")
                .isNull();
    }

    @Test
    void anUnknownPathIs404WithTheKnownOnes() throws Exception {
        start(conf(""));
        HttpResponse<String> r = get("/api/config.dump");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("\"ok\":false").contains("/api/plugins.flushBuffers");
        assertThat(supervisor.current().isReady()).isTrue();
    }

    @Test
    void aMalformedEndpointIsAConfErrorWithFileAndLine() throws Exception {
        TestConfs confs = new TestConfs(dir);
        assertThatThrownBy(() -> confs.assemble("<system>\n  rpc_endpoint localhost\n</system>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(confs.conf() + ":2")
                .hasMessageContaining("rpc_endpoint: \"localhost\" is not HOST:PORT");
    }

    @Test
    void endpointsParseAsFluentdReadsThem() {
        assertThat(SystemSettings.rpcEndpoint("0.0.0.0:24444"))
                .isEqualTo(new SystemSettings.RpcEndpoint("0.0.0.0", 24444));
        assertThat(SystemSettings.rpcEndpoint("[::1]:24444")).isEqualTo(new SystemSettings.RpcEndpoint("::1", 24444));
        assertThat(SystemSettings.rpcEndpoint("fluentd.local:1"))
                .isEqualTo(new SystemSettings.RpcEndpoint("fluentd.local", 1));
        assertThat(SystemSettings.rpcEndpoint("127.0.0.1:99999")).isNull();
        assertThat(SystemSettings.rpcEndpoint(":24444")).isNull();
    }
}
