package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.app.AggregatorFixture.SYSTEM;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.server.input.HttpInput;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * {@code <source> @type http} (Fluentd's in_http) in a running application, driven by real HTTP clients
 * (java.net.http, and Debian's curl when installed): each body kind, batches, the time parameter and
 * field, headers and remote address, the status codes, and the ack: a 200 only once the buffer stored
 * the events.
 */
class HttpInputTest {
    @RegisterExtension
    final AggregatorFixture app = new AggregatorFixture();

    private Aggregator aggregator;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    private static final String FILE_OUTPUT = """
            <match **>
              @type file
              path ${dir}/out/events
              append true
              <format>
                @type out_file
              </format>
              <buffer>
                flush_mode immediate
              </buffer>
            </match>
            """;

    private int start(String conf) throws Exception {
        aggregator = app.start(SYSTEM + conf);
        return port(0);
    }

    private int port(int index) {
        return aggregator.inputs(HttpInput.class).get(index).localAddress().getPort();
    }

    private List<String> lines() throws IOException {
        return app.outputLines("events");
    }

    private List<String> awaitLines(int n) {
        await().atMost(Duration.ofSeconds(20)).until(() -> lines().size() >= n);
        try {
            return lines();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private HttpResponse<String> post(int port, String path, String contentType, byte[] body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> postJson(int port, String path, String json, String... headers) throws Exception {
        return post(port, path, "application/json", json.getBytes(StandardCharsets.UTF_8), headers);
    }

    private static byte[] msgpack(boolean array, List<Map<String, Object>> records) throws IOException {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            if (array) {
                p.packArrayHeader(records.size());
            }
            for (Map<String, Object> r : records) {
                p.packMapHeader(r.size());
                for (Map.Entry<String, Object> e : r.entrySet()) {
                    p.packString(e.getKey());
                    if (e.getValue() instanceof Integer i) {
                        p.packInt(i);
                    } else {
                        p.packString(String.valueOf(e.getValue()));
                    }
                }
            }
            return p.toByteArray();
        }
    }

    @Test
    void jsonObjectsAndArraysBecomeEventsTimedByParameterFieldOrNow() throws Exception {
        int port = start("<source>\n  @type http\n  port 0\n  bind 127.0.0.1\n</source>\n" + FILE_OUTPUT);
        HttpResponse<String> one = postJson(port, "/app.log", "{\"msg\":\"one\"}");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(one.body()).isEmpty();
        // the 200 came after the store: the file output (flush_mode immediate) gets it without a new request
        assertThat(awaitLines(1).get(0)).endsWith("\tapp.log\t{\"msg\":\"one\"}");
        assertThat(postJson(port, "/app/batch", "[{\"n\":1},{\"n\":2},{\"n\":3}]")
                        .statusCode())
                .isEqualTo(200);
        assertThat(postJson(port, "/app.timed?time=1700000000.5", "{\"msg\":\"timed\"}")
                        .statusCode())
                .isEqualTo(200);
        assertThat(postJson(port, "/app.field", "{\"msg\":\"field\",\"time\":1600000000}")
                        .statusCode())
                .isEqualTo(200);
        List<String> lines = awaitLines(6);
        assertThat(lines.subList(1, 4))
                .allSatisfy(l -> assertThat(l).contains("\tapp.batch\t{\"n\":"))
                .extracting(l -> l.substring(l.lastIndexOf('\t') + 1))
                .containsExactly("{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
        assertThat(lines.get(4)).isEqualTo("2023-11-14T22:13:20+00:00\tapp.timed\t{\"msg\":\"timed\"}");
        assertThat(lines.get(5)).isEqualTo("2020-09-13T12:26:40+00:00\tapp.field\t{\"msg\":\"field\"}");
        HttpInput input = aggregator.inputs(HttpInput.class).get(0);
        assertThat(input.requests(200)).isEqualTo(4.0);
        double counted = app.registry()
                .get("fluentd.input.status.num.records")
                .tag("tag", "app.batch")
                .counter()
                .count();
        assertThat(counted).isEqualTo(3.0);
        assertThat(aggregator.summary()).contains("http 127.0.0.1:0 (POST /TAG) → @ROOT");
    }

    @Test
    void msgpackBodiesAndFormFields() throws Exception {
        int port = start("<source>\n  @type http\n  port 0\n  bind 127.0.0.1\n</source>\n" + FILE_OUTPUT);
        byte[] map = msgpack(false, List.of(Map.of("k", "mp1")));
        assertThat(post(port, "/mp.one", "application/msgpack", map).statusCode())
                .isEqualTo(200);
        byte[] array = msgpack(true, List.of(Map.of("k", "mp2"), Map.of("k", "mp3")));
        assertThat(post(port, "/mp.batch", "application/msgpack", array).statusCode())
                .isEqualTo(200);
        String form = "json=" + URLEncoder.encode("{\"k\":\"form json\"}", StandardCharsets.UTF_8);
        assertThat(post(port, "/form.json", "application/x-www-form-urlencoded", form.getBytes(StandardCharsets.UTF_8))
                        .statusCode())
                .isEqualTo(200);
        String mpForm = "msgpack="
                + URLEncoder.encode(
                        new String(msgpack(false, List.of(Map.of("k", "form mp"))), StandardCharsets.ISO_8859_1),
                        StandardCharsets.ISO_8859_1);
        assertThat(post(
                                port,
                                "/form.msgpack",
                                "application/x-www-form-urlencoded",
                                mpForm.getBytes(StandardCharsets.ISO_8859_1))
                        .statusCode())
                .isEqualTo(200);
        assertThat(post(
                                port,
                                "/nd",
                                "application/x-ndjson",
                                "{\"k\":\"nd1\"}\r\n\n{\"k\":\"nd2\"}\n".getBytes(StandardCharsets.UTF_8))
                        .statusCode())
                .isEqualTo(200);
        // in_http answers a GET 200 and stores nothing (a load balancer's health check)
        HttpResponse<String> get = client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/get?json=%7B%7D"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(200);
        List<String> lines = awaitLines(7);
        assertThat(lines)
                .extracting(l -> l.substring(l.indexOf('\t') + 1))
                .containsExactly(
                        "mp.one\t{\"k\":\"mp1\"}",
                        "mp.batch\t{\"k\":\"mp2\"}",
                        "mp.batch\t{\"k\":\"mp3\"}",
                        "form.json\t{\"k\":\"form json\"}",
                        "form.msgpack\t{\"k\":\"form mp\"}",
                        "nd\t{\"k\":\"nd1\"}",
                        "nd\t{\"k\":\"nd2\"}");
    }

    @Test
    void headersAndRemoteAddressGoIntoRecords() throws Exception {
        int port = start("""
                <source>
                  @type http
                  port 0
                  bind 127.0.0.1
                  add_http_headers true
                  add_remote_addr true
                  add_query_params true
                </source>
                """ + FILE_OUTPUT);
        assertThat(postJson(port, "/h?app-name=web", "{\"a\":1}", "X-Custom-Thing", "v1")
                        .statusCode())
                .isEqualTo(200);
        assertThat(postJson(port, "/h", "{\"a\":2}", "X-Forwarded-For", "10.1.2.3, 10.0.0.1")
                        .statusCode())
                .isEqualTo(200);
        List<String> lines = awaitLines(2);
        assertThat(lines.get(0))
                .contains("\"HTTP_X_CUSTOM_THING\":\"v1\"")
                .contains("\"HTTP_CONTENT_TYPE\":\"application/json\"")
                .contains("\"REMOTE_ADDR\":\"127.0.0.1\"")
                .contains("\"QUERY_APP_NAME\":\"web\"");
        assertThat(lines.get(1)).contains("\"REMOTE_ADDR\":\"10.1.2.3\"").contains("\"HTTP_X_FORWARDED_FOR\"");
    }

    @Test
    void badRequestsAreRefusedWholeAndOthersUnaffected() throws Exception {
        int port = start("""
                <source>
                  @type http
                  port 0
                  bind 127.0.0.1
                  body_size_limit 1k
                </source>
                """ + FILE_OUTPUT);
        HttpResponse<String> notJson = postJson(port, "/bad", "{nope");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(notJson.body()).startsWith("400 Bad Request\nbody is not JSON");
        HttpResponse<String> notMap = postJson(port, "/bad", "[{\"ok\":1}, 2]");
        assertThat(notMap.statusCode()).isEqualTo(400);
        assertThat(notMap.body()).contains("event 1: record 2 is not a hash");
        assertThat(postJson(port, "/bad?time=99999999999", "{\"a\":1}").statusCode())
                .isEqualTo(400);
        assertThat(postJson(port, "/bad", "{\"time\":-5}").body()).contains("time -5 is out of range");
        assertThat(postJson(port, "/", "{\"a\":1}").body()).contains("no tag");
        HttpResponse<String> noParam = post(port, "/bad", "text/plain", "hello".getBytes(StandardCharsets.UTF_8));
        assertThat(noParam.statusCode()).isEqualTo(400);
        assertThat(noParam.body()).contains("'json' or 'msgpack' parameter is required");
        HttpResponse<String> big = postJson(port, "/big", "{\"x\":\"" + "y".repeat(2000) + "\"}");
        assertThat(big.statusCode()).isEqualTo(413);
        // the limit bounds the decoded body: 2000 bytes gzip to far less than 1k, and are still refused
        byte[] bomb = gzip("{\"x\":\"" + "y".repeat(2000) + "\"}");
        assertThat(bomb.length).isLessThan(1024);
        assertThat(post(port, "/big", "application/json", bomb, "Content-Encoding", "gzip")
                        .statusCode())
                .isEqualTo(413);
        assertThat(post(
                                port,
                                "/bad",
                                "application/json",
                                "not gzip".getBytes(StandardCharsets.UTF_8),
                                "Content-Encoding",
                                "gzip")
                        .statusCode())
                .isEqualTo(400);
        // a client that sent half a request holds its own connection only
        try (Socket slow = new Socket("127.0.0.1", port)) {
            slow.getOutputStream()
                    .write(
                            "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\""
                                    .getBytes(StandardCharsets.US_ASCII));
            slow.getOutputStream().flush();
            assertThat(post(port, "/good", "application/json", gzip("{\"a\":\"gzipped\"}"), "Content-Encoding", "gzip")
                            .statusCode())
                    .isEqualTo(200);
        }
        assertThat(postJson(port, "/good", "{\"a\":\"after\"}").statusCode()).isEqualTo(200);
        List<String> lines = awaitLines(2);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).endsWith("\tgood\t{\"a\":\"gzipped\"}");
        assertThat(lines.get(1)).endsWith("\tgood\t{\"a\":\"after\"}");
        HttpInput input = aggregator.inputs(HttpInput.class).get(0);
        assertThat(input.requests(400)).isEqualTo(7.0);
        assertThat(input.requests(413)).isEqualTo(2.0);
    }

    @Test
    void corsEmptyImageAnd204() throws Exception {
        start("""
                <source>
                  @type http
                  port 0
                  bind 127.0.0.1
                  cors_allow_origins ["https://ok.example", "https://*.sub.example"]
                  respond_with_empty_img true
                </source>
                <source>
                  @type http
                  port 0
                  bind 127.0.0.1
                  use_204_response true
                </source>
                """ + FILE_OUTPUT);
        int cors = port(0);
        HttpResponse<String> allowed = postJson(cors, "/c", "{\"a\":1}", "Origin", "https://ok.example");
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://ok.example");
        assertThat(allowed.headers().firstValue("Content-Type")).hasValue("image/gif");
        assertThat(allowed.body()).startsWith("GIF89a");
        assertThat(postJson(cors, "/c", "{\"a\":5}", "Origin", "https://app.sub.example")
                        .headers()
                        .firstValue("Access-Control-Allow-Origin"))
                .hasValue("https://app.sub.example");
        assertThat(postJson(cors, "/c", "{\"a\":2}", "Origin", "https://evil.example")
                        .statusCode())
                .isEqualTo(403);
        HttpResponse<String> preflight = client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cors + "/c"))
                        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                        .header("Origin", "https://ok.example")
                        .header("Access-Control-Request-Method", "POST")
                        .header("Access-Control-Request-Headers", "content-type")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.statusCode()).isEqualTo(200);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods"))
                .hasValue("POST");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers"))
                .hasValue("content-type");
        // as in_http: with cors_allow_origins, a request without an Origin is refused too
        assertThat(postJson(cors, "/c", "{\"a\":4}").statusCode()).isEqualTo(403);
        HttpResponse<String> noCors = client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port(1) + "/c"))
                        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                        .header("Origin", "https://ok.example")
                        .header("Access-Control-Request-Method", "POST")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(noCors.statusCode()).isEqualTo(403);
        HttpResponse<String> noContent = postJson(port(1), "/n", "{\"a\":3}");
        assertThat(noContent.statusCode()).isEqualTo(204);
        assertThat(awaitLines(3)).hasSize(3);
    }

    @Test
    void aBufferThatRefusesGives500AndNothingIsCountedAsStored() throws Exception {
        // the output cannot write (its directory is a file), so nothing frees the buffer's room
        Files.writeString(app.dir.resolve("blocked"), "a file, not a directory");
        int port = start("""
                <source>
                  @type http
                  port 0
                  bind 127.0.0.1
                </source>
                <match **>
                  @type file
                  path ${dir}/blocked/events
                  <buffer>
                    @type file
                    path ${dir}/buf
                    flush_mode interval
                    flush_interval 1h
                    retry_wait 1h
                    chunk_limit_size 2k
                    total_limit_size 4k
                    overflow_action throw_exception
                  </buffer>
                </match>
                """);
        String event = "{\"x\":\"" + "z".repeat(900) + "\"}";
        List<Integer> codes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = postJson(port, "/full", event);
            codes.add(r.statusCode());
            if (r.statusCode() == 500) {
                assertThat(r.body()).startsWith("500 Internal Server Error\n");
            }
        }
        assertThat(codes).contains(200, 500);
        long ok = codes.stream().filter(c -> c == 200).count();
        assertThat(codes).as("the first appends fit, then the buffer is full").startsWith(200, 200);
        assertThat(codes.subList(codes.indexOf(500), codes.size())).containsOnly(500);
        double counted = app.registry()
                .get("fluentd.input.status.num.records")
                .tag("tag", "full")
                .counter()
                .count();
        assertThat(counted).isEqualTo((double) ok);
    }

    @Test
    void aFullDiskGives500() throws Exception {
        Path small = Files.createDirectories(app.dir.resolve("small"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", small.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean mounted = mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0;
        Assumptions.assumeTrue(mounted, "mount -t tmpfs failed: " + output.trim());
        Files.writeString(app.dir.resolve("blocked"), "a file: the output cannot deliver, only the disk frees room");
        try {
            int port = start("""
                    <source>
                      @type http
                      port 0
                      bind 127.0.0.1
                    </source>
                    <match **>
                      @type file
                      path ${dir}/blocked/events
                      <buffer>
                        @type file
                        path ${dir}/small/buf
                        flush_mode interval
                        flush_interval 1h
                        retry_wait 1h
                        chunk_limit_size 64k
                        total_limit_size 64m
                      </buffer>
                    </match>
                    """);
            String event = "{\"x\":\"" + "z".repeat(16_000) + "\"}";
            int status = 0;
            for (int i = 0; i < 40 && status != 500; i++) {
                status = postJson(port, "/disk", event).statusCode();
                assertThat(status).isIn(200, 500);
            }
            assertThat(status).isEqualTo(500);
        } finally {
            aggregator.close();
            aggregator = null;
            Process umount = new ProcessBuilder("umount", "-l", small.toString())
                    .redirectErrorStream(true)
                    .start();
            umount.getInputStream().readAllBytes();
            umount.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void curlPostsAsInHttpsReadmeDoes() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "Debian's curl is not installed");
        int port = start("<source>\n  @type http\n  port 0\n  bind 127.0.0.1\n</source>\n" + FILE_OUTPUT);
        String url = "http://127.0.0.1:" + port;
        assertThat(curl("-X", "POST", "-d", "json={\"action\":\"login\",\"user\":2}", url + "/test.tag.here"))
                .isEqualTo("200");
        assertThat(curl(
                        "-X",
                        "POST",
                        "-H",
                        "Content-Type: application/json",
                        "-d",
                        "[{\"n\":1},{\"n\":2}]",
                        url + "/test.batch?time=1518756037"))
                .isEqualTo("200");
        assertThat(curl("-X", "POST", "-H", "Content-Type: application/json", "-d", "{bad", url + "/test.bad"))
                .isEqualTo("400");
        List<String> lines = awaitLines(3);
        assertThat(lines.get(0)).endsWith("\ttest.tag.here\t{\"action\":\"login\",\"user\":2}");
        assertThat(lines.get(1)).isEqualTo("2018-02-16T04:40:37+00:00\ttest.batch\t{\"n\":1}");
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    private static String curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out.strip();
    }

    /** Shaped like Fluentd's example/in_http.conf: a {@code <parse>}, a label with a filter, stdout. */
    @Test
    void aConfShapedLikeFluentdsExampleStartsAndRoutesThroughLabelsAndFilters() throws Exception {
        int port = start("""
                <source>
                  @type http
                  @label @WEB
                  bind 127.0.0.1
                  port 0
                  body_size_limit 32m
                  keepalive_timeout 10s
                  add_http_headers false
                  <parse>
                    @type json
                    time_key ts
                  </parse>
                </source>
                <label @WEB>
                  <filter web.**>
                    @type record_transformer
                    <record>
                      via http
                    </record>
                  </filter>
                  <match web.**>
                    @type file
                    path ${dir}/out/events
                    append true
                    <format>
                      @type out_file
                    </format>
                    <buffer>
                      flush_mode immediate
                    </buffer>
                  </match>
                </label>
                """);
        // <parse> @type json reads any body as JSON, whatever the Content-Type
        assertThat(post(
                                port,
                                "/web.click",
                                "text/plain",
                                "{\"ts\":1500000000,\"b\":1}".getBytes(StandardCharsets.UTF_8))
                        .statusCode())
                .isEqualTo(200);
        assertThat(awaitLines(1).get(0)).isEqualTo("2017-07-14T02:40:00+00:00\tweb.click\t{\"b\":1,\"via\":\"http\"}");
    }

    /** Fluentd's example/in_http.conf as it is, but for the port (and the loopback bind of a test). */
    @Test
    void fluentdsExampleInHttpConfStartsUnchanged() throws Exception {
        int port = start("""
                <source>
                  @type http
                  bind 127.0.0.1
                  port 0
                  body_size_limit 32MB
                  keepalive_timeout 10
                  # backlog 0
                  add_http_headers false
                  format default
                </source>

                <match test>
                  @type stdout
                </match>
                """);
        assertThat(aggregator.warnings()).isEmpty();
        assertThat(post(
                                port,
                                "/test",
                                "application/x-www-form-urlencoded",
                                "json={\"hello\":\"world\"}".getBytes(StandardCharsets.UTF_8))
                        .statusCode())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> app.stdout().toString(StandardCharsets.UTF_8).contains("test: {\"hello\":\"world\"}"));
    }

    @Test
    void aReloadKeepsTheSourceAndItsPortAndAppliesTheNewRoutes() throws Exception {
        Path conf = app.dir.resolve("agg.conf");
        String source =
                "<system>\n  drain_delay 0s\n</system>\n<source>\n  @type http\n  bind 127.0.0.1\n  port 0\n</source>\n";
        String match =
                "<match **>\n  @type file\n  path %s/out/%s\n  append true\n  <buffer>\n    flush_mode immediate\n"
                        + "  </buffer>\n</match>\n";
        Files.writeString(conf, source + match.formatted(app.dir, "before"));
        Supervisor supervisor = new Supervisor(
                LoadedConf.load(conf, Plugins.defaults(), env(), false), Plugins.defaults(), this::env, false, a -> {});
        try {
            supervisor.start();
            HttpInput input = supervisor.current().inputs(HttpInput.class).get(0);
            int port = input.localAddress().getPort();
            assertThat(postJson(port, "/r", "{\"n\":1}").statusCode()).isEqualTo(200);
            Files.writeString(conf, source + match.formatted(app.dir, "after"));
            assertThat(supervisor.reload("SIGHUP")).isEqualTo(Supervisor.ReloadOutcome.RELOADED);
            assertThat(supervisor.current().inputs(HttpInput.class)).containsExactly(input);
            assertThat(postJson(port, "/r", "{\"n\":2}").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> Files.exists(app.dir.resolve("out/after.log"))
                            && Files.readString(app.dir.resolve("out/after.log"))
                                    .contains("{\"n\":2}"));
            assertThat(Files.readString(app.dir.resolve("out/before.log")))
                    .contains("{\"n\":1}")
                    .doesNotContain("\"n\":2");
        } finally {
            supervisor.close();
        }
    }

    private Aggregator.Environment env() {
        return LoadedConf.environment(new SimpleMeterRegistry(), Clock.systemUTC(), new ByteArrayOutputStream());
    }

    @Test
    void aTakenPortIsAStartErrorAtThePortLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            aggregator = app.assemble("<source>\n  @type http\n  bind 127.0.0.1\n  port " + taken.getLocalPort()
                    + "\n</source>\n<match **>\n  @type null\n</match>\n");
            assertThatThrownBy(aggregator::start)
                    .isInstanceOf(ConfException.class)
                    .hasMessageContaining(app.conf() + ":4")
                    .hasMessageContaining("Address already in use");
        }
    }

    @Test
    void confErrorsNameFileLineAndParameter() {
        assertThatThrownBy(() -> app.assemble("""
                        <source>
                          @type http
                          port 0
                          <parse>
                            @type regexp
                          </parse>
                        </source>
                        """))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(app.conf() + ":5")
                .hasMessageContaining("\"regexp\" is not supported by the http source");
        assertThatThrownBy(() -> app.assemble("<source>\n  @type http\n  port 0\n  body_size_limit lots\n</source>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(app.conf() + ":4")
                .hasMessageContaining("body_size_limit");
        assertThatThrownBy(() ->
                        app.assemble("<source>\n  @type http\n  port 0\n  cors_allow_credentials true\n</source>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(app.conf() + ":4")
                .hasMessageContaining("cors_allow_credentials: true without specific cors_allow_origins");
        assertThatThrownBy(() -> app.assemble("<source>\n  @type http\n  port 0\n  format ltsv\n</source>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(app.conf() + ":4")
                .hasMessageContaining("format: \"ltsv\" is not supported by the http source");
    }
}
