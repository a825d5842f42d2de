package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.testing.Mp.map;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.output.OutputDefaults;
import org.kinesisaggregator.server.output.forward.ForwardOutputSettings;
import org.kinesisaggregator.server.output.forward.ForwardOutputSettings.Heartbeat;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.RawClient;

/** {@code <match> @type forward} as a conf file writes it, and two tiers assembled from confs. */
class ForwardOutputConfTest {
    @TempDir
    Path dir;

    private ForwardOutputSettings settings(String body) throws Exception {
        TestConfs confs = new TestConfs(dir);
        ConfElement root = confs.parse("<match **>\n  @type forward\n" + body + "</match>\n");
        return ForwardOutputConf.settings(root.elements("match").get(0), "test-host", (p, m) -> {});
    }

    @Test
    void defaultsAreOutForwards() throws Exception {
        ForwardOutputSettings s = settings("  <server>\n    host 10.0.0.1\n  </server>\n");
        assertThat(s.servers()).hasSize(1);
        assertThat(s.servers().get(0).port()).isEqualTo(24224);
        assertThat(s.servers().get(0).weight()).isEqualTo(60);
        assertThat(s.requireAckResponse()).isFalse();
        assertThat(s.ackResponseTimeout()).isEqualTo(Duration.ofSeconds(190));
        assertThat(s.heartbeat()).isEqualTo(Heartbeat.TRANSPORT);
        assertThat(s.hardTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.gzip()).isFalse();
        assertThat(s.tls()).isNull();
        assertThat(s.security()).isNull();
    }

    @Test
    void everyParameterIsRead() throws Exception {
        ForwardOutputSettings s = settings("""
          require_ack_response true
          ack_response_timeout 30s
          send_timeout 5s
          connect_timeout 2s
          compress gzip
          heartbeat_type udp
          heartbeat_interval 3s
          hard_timeout 20s
          keepalive true
          keepalive_timeout 1m
          transport tls
          tls_cert_path /etc/ca.pem
          tls_verify_hostname false
          <security>
            self_hostname edge-1
            shared_key k
          </security>
          <server>
            name a
            host agg-a
            port 24225
            weight 10
            username u
            password p
          </server>
          <server>
            host agg-b
            standby true
          </server>
        """);
        assertThat(s.requireAckResponse()).isTrue();
        assertThat(s.ackResponseTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.sendTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.gzip()).isTrue();
        assertThat(s.heartbeat()).isEqualTo(Heartbeat.UDP);
        assertThat(s.heartbeatInterval()).isEqualTo(Duration.ofSeconds(3));
        assertThat(s.keepalive()).isTrue();
        assertThat(s.keepaliveTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(s.tls().caPaths()).containsExactly(Path.of("/etc/ca.pem"));
        assertThat(s.tls().verifyHostname()).isFalse();
        assertThat(s.security()).isEqualTo(new ForwardOutputSettings.Security("edge-1", "k"));
        assertThat(s.servers())
                .containsExactly(
                        new ForwardOutputSettings.Server("agg-a", 24225, "a", 10, false, null, "u", "p"),
                        new ForwardOutputSettings.Server("agg-b", 24224, null, 60, true, null, "", ""));
    }

    @Test
    void errorsNameFileLineAndParameter() {
        assertThatThrownBy(() -> settings(""))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("test.conf:1")
                .hasMessageContaining("<server>");
        assertThatThrownBy(() -> settings("  <server>\n    port 24224\n  </server>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("test.conf:3")
                .hasMessageContaining("host");
        assertThatThrownBy(() -> settings("  <server>\n    host a\n    standby true\n  </server>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("every server is standby");
        assertThatThrownBy(() -> settings("  heartbeat_type icmp\n  <server>\n    host a\n  </server>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("test.conf:3")
                .hasMessageContaining("heartbeat_type");
        assertThatThrownBy(() -> settings("  <server>\n    host a\n    shared_key x\n  </server>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("shared_key")
                .hasMessageContaining("<security>");
    }

    @Test
    void twoTiersAssembledFromConfsRelayWithAcks() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        Output recording = new Output() {
            @Override
            public String type() {
                return "recording";
            }

            @Override
            public CompletableFuture<WriteResult> write(Chunk chunk) {
                try (EventCursor c = chunk.events()) {
                    while (c.next()) {
                        received.add(c.tag());
                    }
                } catch (Exception e) {
                    return CompletableFuture.completedFuture(WriteResult.failed(e.toString()));
                }
                return CompletableFuture.completedFuture(WriteResult.allDelivered());
            }
        };
        TestConfs receiverConfs = new TestConfs(dir.resolve("rx").toFile().mkdirs() ? dir.resolve("rx") : dir);
        Aggregator receiver = receiverConfs.assemble(
                """
                <source>
                  @type forward
                  bind 127.0.0.1
                  port 0
                  <security>
                    self_hostname tier-2
                    shared_key k
                  </security>
                </source>
                <match **>
                  @type recording
                  <buffer>
                    flush_mode immediate
                  </buffer>
                </match>
                """,
                Plugins.defaults()
                        .withOutput("recording", (e, ctx) -> ctx.terminal(recording, OutputDefaults.buffered())),
                true);
        receiver.start();
        try {
            int rxPort =
                    receiver.inputs(ForwardServer.class).get(0).localAddress().getPort();
            TestConfs senderConfs = new TestConfs(dir.resolve("tx").toFile().mkdirs() ? dir.resolve("tx") : dir);
            Aggregator sender = senderConfs.assemble("""
                    <source>
                      @type forward
                      bind 127.0.0.1
                      port 0
                    </source>
                    <match app.**>
                      @type forward
                      require_ack_response true
                      compress gzip
                      heartbeat_type none
                      <security>
                        self_hostname tier-1
                        shared_key k
                      </security>
                      <server>
                        host 127.0.0.1
                        port %d
                      </server>
                      <buffer>
                        flush_mode immediate
                      </buffer>
                    </match>
                    """.formatted(rxPort), Plugins.defaults(), true);
            sender.start();
            try (RawClient client =
                    new RawClient(sender.inputs(ForwardServer.class).get(0).localAddress())) {
                client.send(Mp.message("app.web", 1_700_000_000L, map("msg", "hi"), map()));
                client.send(Mp.message("app.db", 1_700_000_001L, map("msg", "ho"), map()));
                await().atMost(Duration.ofSeconds(20)).until(() -> received.size() == 2);
                assertThat(received).containsExactlyInAnyOrder("app.web", "app.db");
            } finally {
                sender.close();
            }
        } finally {
            receiver.close();
        }
    }
}
