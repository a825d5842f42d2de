package org.kinesisaggregator.server.output.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.testing.Mp.entries;
import static org.kinesisaggregator.server.testing.Mp.map;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.Frame;
import org.kinesisaggregator.buffer.InMemoryChunk;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.server.output.forward.ForwardOutputSettings.Heartbeat;
import org.kinesisaggregator.server.testing.Mp.Time;

/**
 * Our forward output into the real Fluentd's in_forward (shared key, user auth, acks, gzip), which
 * writes the events with out_file. Needs {@code FLUENTD}: a Fluentd source tree set up by
 * /work/shared/peers/fluentd.sh ({@code ruby -Ilib bin/fluentd}) or a fluentd executable;
 * skipped with the reason otherwise.
 */
class ForwardOutputFluentdIT {
    @TempDir
    Path dir;

    @Test
    void fluentdsInForwardAcceptsOurMessages() throws Exception {
        String home = System.getenv("FLUENTD");
        if (home == null || home.isBlank()) {
            System.out.println("ForwardOutputFluentdIT skipped: FLUENTD is not set (a Fluentd tree from"
                    + " /work/shared/peers/fluentd.sh setup, or a fluentd executable)");
        }
        Assumptions.assumeTrue(home != null && !home.isBlank(), "FLUENTD is not set");
        Path fluentd = Path.of(home);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path out = dir.resolve("out");
        Path conf = dir.resolve("fluentd.conf");
        Files.writeString(conf, """
                <source>
                  @type forward
                  bind 127.0.0.1
                  port %d
                  <security>
                    self_hostname fluentd-peer
                    shared_key interop-key
                    user_auth true
                    <user>
                      username alice
                      password pw1
                    </user>
                  </security>
                </source>
                <match **>
                  @type file
                  path %s/events
                  append true
                  <format>
                    @type json
                  </format>
                  <inject>
                    tag_key tag
                  </inject>
                  <buffer>
                    flush_mode immediate
                  </buffer>
                </match>
                """.formatted(port, out));
        List<String> command = Files.isDirectory(fluentd)
                ? List.of("ruby", "-Ilib", "bin/fluentd", "-c", conf.toString())
                : List.of(fluentd.toString(), "-c", conf.toString());
        Process p = new ProcessBuilder(command)
                .directory(Files.isDirectory(fluentd) ? fluentd.toFile() : dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("fluentd.log").toFile())
                .start();
        ForwardOutput output = new ForwardOutput(
                "interop",
                new ForwardOutputSettings(
                        List.of(new ForwardOutputSettings.Server(
                                "127.0.0.1", port, "fluentd", 60, false, null, "alice", "pw1")),
                        true,
                        Duration.ofSeconds(20),
                        Duration.ofSeconds(10),
                        Duration.ofSeconds(5),
                        true,
                        new ForwardOutputSettings.Security("our-host", "interop-key"),
                        null,
                        Heartbeat.NONE,
                        Duration.ofSeconds(1),
                        Duration.ofMillis(1),
                        false,
                        null),
                new SimpleMeterRegistry(),
                new Random(1));
        try {
            output.start();
            byte[] a = entries(
                    new Time(1_700_000_000, 0), map("msg", "one"), new Time(1_700_000_001, 0), map("msg", "two"));
            byte[] b = entries(new Time(1_700_000_002, 0), map("msg", "three"));
            InMemoryChunk chunk = new InMemoryChunk(
                    "c1",
                    List.of(new Frame("a.x", ByteBuffer.wrap(a), 2, 0), new Frame("b.y", ByteBuffer.wrap(b), 1, 2)),
                    Instant.now());
            // Fluentd takes a few seconds to start: retry as the buffer would
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        WriteResult r = output.write(chunk).get(30, TimeUnit.SECONDS);
                        chunk.apply(r);
                        return r.isAllDelivered();
                    });
            await().atMost(Duration.ofSeconds(30)).until(() -> written(out).split("\n").length >= 3);
            String text = written(out);
            assertThat(text)
                    .contains("\"msg\":\"one\"", "\"msg\":\"two\"", "\"msg\":\"three\"")
                    .contains("\"tag\":\"a.x\"", "\"tag\":\"b.y\"");
        } finally {
            output.close();
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static String written(Path out) throws IOException {
        if (!Files.isDirectory(out)) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.list(out)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("events")
                            && f.toString().endsWith(".log"))
                    .toList()) {
                sb.append(Files.readString(f, StandardCharsets.UTF_8));
            }
        }
        return sb.toString().strip();
    }
}
