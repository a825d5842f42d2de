package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.testing.Mp.entries;
import static org.kinesisaggregator.server.testing.Mp.map;

import io.micrometer.core.instrument.Counter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.RawClient;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;

/**
 * Issue 12 finding 1 end to end: one forwarder sends an event whose time is 1e300, another 100
 * good events with acks, into one file buffer flushed to a file output. The good events all reach
 * the output file; the poison event is never stored (skipped and counted with
 * {@code skip_invalid_event true}, its message refused without an ack with false), so it cannot
 * block the chunk it would have shared with them.
 */
class PoisonTimeEndToEndTest {
    @TempDir
    Path dir;

    private Aggregator aggregator;

    @AfterEach
    void tearDown() {
        if (aggregator != null) {
            aggregator.close();
        }
    }

    @ParameterizedTest(name = "skip_invalid_event {0}")
    @ValueSource(booleans = {true, false})
    void aPoisonTimeFromOneClientCostsNoOtherClientItsEvents(boolean skipInvalidEvent) throws Exception {
        TestConfs confs = new TestConfs(dir);
        List<ForwardServer> servers = new ArrayList<>();
        InputFactory capture = (settings, sink, registry) -> {
            ForwardServer server = new ForwardServer(settings, sink, registry);
            servers.add(server);
            return server;
        };
        aggregator = confs.assemble(
                """
                <system>
                  root_dir ${dir}/data
                </system>
                <source>
                  @type forward
                  bind 127.0.0.1
                  port 0
                  skip_invalid_event %s
                </source>
                <match **>
                  @type file
                  @id all
                  path ${dir}/out/all
                  append true
                  <format>
                    @type json
                  </format>
                  <buffer>
                    @type file
                    path ${dir}/buffer
                    flush_mode interval
                    flush_interval 1s
                  </buffer>
                </match>
                """.formatted(skipInvalidEvent), Plugins.defaults().withInput("forward", capture), false);
        aggregator.start();
        assertThat(servers).hasSize(1);

        try (RawClient poison = new RawClient(servers.get(0).localAddress());
                RawClient good = new RawClient(servers.get(0).localAddress())) {
            poison.send(Mp.packed(
                    "app",
                    entries(1_795_000_000L, map("from", "a", "n", 0L), 1e300, map("from", "a", "n", 1L)),
                    map("chunk", "a1")));
            for (int m = 0; m < 10; m++) {
                Object[] pairs = new Object[20];
                for (int i = 0; i < 10; i++) {
                    pairs[2 * i] = 1_795_000_000L + m;
                    pairs[2 * i + 1] = map("from", "b", "n", (long) (m * 10 + i));
                }
                good.send(Mp.packed("app", entries(pairs), map("chunk", "b" + m)));
            }
            for (int m = 0; m < 10; m++) {
                assertThat(good.readValue().asMapValue().map().get(ValueFactory.newString("ack")))
                        .isEqualTo(ValueFactory.newString("b" + m));
            }
            if (skipInvalidEvent) {
                // as in_forward: the valid part is stored and acked, the poison event skipped
                Value ack = poison.readValue().asMapValue().map().get(ValueFactory.newString("ack"));
                assertThat(ack).isEqualTo(ValueFactory.newString("a1"));
            } else {
                assertThat(poison.isClosedByServer())
                        .as("refused: no ack, connection closed")
                        .isTrue();
            }
        }

        List<String> expected = new ArrayList<>();
        if (skipInvalidEvent) {
            expected.add("{\"from\":\"a\",\"n\":0}");
        }
        IntStream.range(0, 100).forEach(n -> expected.add("{\"from\":\"b\",\"n\":" + n + "}"));
        Path file = dir.resolve("out/all.log");
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(
                                Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of())
                        .containsExactlyInAnyOrderElementsOf(expected));
        double skipped = confs.registry.find("forward.events.skipped").counters().stream()
                .mapToDouble(Counter::count)
                .sum();
        assertThat(skipped).isEqualTo(skipInvalidEvent ? 1.0 : 0.0);
    }
}
