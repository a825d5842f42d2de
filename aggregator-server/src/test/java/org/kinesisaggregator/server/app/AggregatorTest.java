package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferStats;
import org.kinesisaggregator.buffer.Buffers;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.ForwardSettings;
import org.kinesisaggregator.server.Input;
import org.kinesisaggregator.server.SecuritySettings;
import org.kinesisaggregator.server.output.OutputDefaults;

/** Assembly errors, unused parameters, forward mapping, Kinesis mapping errors and the lifecycle order. */
class AggregatorTest {
    @TempDir
    Path dir;

    private TestConfs confs;
    private String f;

    @BeforeEach
    void setUp() {
        confs = new TestConfs(dir);
        f = confs.conf();
    }

    @Test
    void unknownTypesListTheKnownOnes() {
        assertThatThrownBy(() -> confs.assemble("<match a>\n  @type s3\n</match>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessage(f
                        + ":2: @type: unknown output type \"s3\" in <match a> (known: stdout, file, null, copy, relabel,"
                        + " forward, kinesis_producer, kinesis_streams_aggregated, kinesis_streams)");
        assertThatThrownBy(() -> confs.assemble("<source>\n  type tail\n</source>\n"))
                .hasMessage(f
                        + ":2: type: unknown input type \"tail\" (known: forward, sample, dummy, http,"
                        + " monitor_agent, prometheus, prometheus_monitor, prometheus_output_monitor)");
        assertThatThrownBy(() -> confs.assemble("<filter a>\n  @type record_modifier\n</filter>\n"))
                .hasMessage(f
                        + ":2: @type: unknown filter type \"record_modifier\" (known: grep, record_transformer,"
                        + " stdout, parser)");
        assertThatThrownBy(() -> confs.assemble("<match a>\n</match>\n"))
                .hasMessage(f + ":1: <match a>: missing required parameter '@type'");
        assertThatThrownBy(() -> confs.assemble("<matches a>\n</matches>\n"))
                .hasMessage(
                        f
                                + ":1: unknown directive <matches a> (expected: source, match, filter, label, system or worker)");
    }

    @Test
    void labelErrors() {
        assertThatThrownBy(() -> confs.assemble("<source>\n  @type forward\n  @label @NOPE\n</source>\n"))
                .hasMessage(f + ":3: @label: unknown label @NOPE (defined: @ROOT)");
        assertThatThrownBy(() -> confs.assemble("<match a>\n  @type relabel\n  @label @X\n</match>\n"))
                .hasMessage(f + ":3: @label: unknown label @X (defined: @ROOT)");
        assertThatThrownBy(() -> confs.assemble("<label X>\n</label>\n"))
                .hasMessage(f + ":1: <label X>: a label name starts with @ (expected: <label @NAME>)");
        assertThatThrownBy(() -> confs.assemble("<label @A>\n</label>\n<label @A>\n</label>\n"))
                .hasMessage(f + ":3: <label @A> is defined twice (first at " + f + ":1)");
        assertThatThrownBy(() -> confs.assemble("""
        <label @A>
          <match **>
            @type relabel
            @label @B
          </match>
        </label>
        <label @B>
          <match x.**>
            @type relabel
            @label @A
          </match>
        </label>
        """))
                .hasMessage(f + ":8: relabel cycle: @A → @B → @A (expected: relabel chains that end)");
    }

    @Test
    void unusedParametersWarnOrFailWithStrict() throws Exception {
        String conf = "<match a>\n  @type null\n  colour blue\n</match>\n";
        Aggregator a = confs.assemble(conf);
        assertThat(a.warnings()).containsExactly(f + ":3: parameter 'colour' in <match a> is not used.");
        assertThatThrownBy(() -> confs.assemble(conf, Plugins.defaults(), true))
                .isInstanceOf(ConfException.class)
                .hasMessage(f
                        + ":3: parameter 'colour' in <match a> is not used.\n(--strict: unused parameters are errors)");
    }

    @Test
    void duplicateIdsAndBadIds() {
        assertThatThrownBy(() -> confs.assemble("<match a>\n  @type null\n  @id x\n</match>\n<match b>\n  @type null\n"
                        + "  @id x\n</match>\n"))
                .hasMessageStartingWith(f + ":7: @id: \"x\" is used twice");
        assertThatThrownBy(() -> confs.assemble("<match a>\n  @type null\n  @id ../x\n</match>\n"))
                .hasMessageStartingWith(f + ":3: @id: \"../x\" is not a valid id");
    }

    @Test
    void forwardSourceMapsOntoForwardSettings() throws Exception {
        List<ForwardSettings> seen = new ArrayList<>();
        InputFactory capture = (settings, sink, registry) -> {
            seen.add(settings);
            return new ForwardServer(settings, sink, registry);
        };
        confs.assemble("""
        <system>
          workers 3
        </system>
        <source>
          @type forward
          bind 127.0.0.1
          port 24225
          chunk_size_limit 8m
          chunk_size_warn_limit 4m
          skip_invalid_event false
          source_hostname_key host
          add_tag_prefix fwd
          deny_keepalive true
          linger_timeout 2s
          <transport tls>
            cert_path /etc/agg/cert.pem
            private_key_path /etc/agg/key.pem
            ca_path /etc/agg/ca.pem
            client_cert_auth true
            min_version TLSv1_3
          </transport>
          <security>
            self_hostname agg1
            shared_key secret
            user_auth true
            allow_anonymous_source false
            <user>
              username alice
              password pw
            </user>
            <client>
              network 10.0.0.0/8
              shared_key other
              users alice
            </client>
          </security>
        </source>
        """, Plugins.defaults().withInput("forward", capture), true);
        ForwardSettings s = seen.get(0);
        assertThat(s.bind()).isEqualTo("127.0.0.1");
        assertThat(s.port()).isEqualTo(24225);
        assertThat(s.workers()).isEqualTo(3);
        assertThat(s.chunkSizeLimitBytes()).isEqualTo(8L << 20);
        assertThat(s.chunkSizeWarnLimitBytes()).isEqualTo(4L << 20);
        assertThat(s.skipInvalidEvent()).isFalse();
        assertThat(s.sourceHostnameKey()).isEqualTo("host");
        assertThat(s.resolveHostname()).isTrue();
        assertThat(s.addTagPrefix()).isEqualTo("fwd");
        assertThat(s.denyKeepalive()).isTrue();
        assertThat(s.lingerTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.tls().certPath()).isEqualTo(Path.of("/etc/agg/cert.pem"));
        assertThat(s.tls().clientCertAuth()).isTrue();
        assertThat(s.tls().minVersion()).isEqualTo("TLSv1_3");
        assertThat(s.security().selfHostname()).isEqualTo("agg1");
        assertThat(s.security().users()).containsExactly(new SecuritySettings.User("alice", "pw"));
        assertThat(s.security().clients().get(0).network()).isEqualTo("10.0.0.0/8");
        assertThat(s.security().clients().get(0).users()).containsExactly("alice");
        assertThat(s.security().allowAnonymousSource()).isFalse();
    }

    @Test
    void forwardSettingsErrorsNameTheSection() {
        assertThatThrownBy(() -> confs.assemble("<source>\n  @type forward\n  <transport tls>\n    cert_path /c\n"
                        + "  </transport>\n</source>\n"))
                .hasMessage(f + ":3: <transport tls>: missing required parameter 'private_key_path'");
        assertThatThrownBy(() -> confs.assemble("<source>\n  @type forward\n  port 70000\n</source>\n"))
                .hasMessage(f + ":3: port: 70000 (expected: 0..65535)");
    }

    @Test
    void kinesisOutputsAssembleAndTheirErrorsNameFileLineAndParameter() throws Exception {
        Aggregator a = confs.assemble(
                "<match k.**>\n  @type kinesis_streams_aggregated\n  stream_name s\n"
                        + "  <kinesis_producer>\n    record_ttl 3000\n  </kinesis_producer>\n</match>\n",
                Plugins.defaults(),
                true);
        assertThat(a.summary())
                .contains("kinesis_streams_aggregated [id kinesis_streams_aggregated-k.all]")
                .contains("stream s, aggregation java, partition key random per aggregate");
        a.close();
        assertThatThrownBy(() -> confs.assemble("<match k.**>\n  @type kinesis_streams\n  stream_name s\n"
                        + "  <kinesis_producer>\n    record_ttl soon\n  </kinesis_producer>\n</match>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageStartingWith(
                        f + ":5: <kinesis_producer> record_ttl: soon (expected: a non-negative integer");
        assertThatThrownBy(() -> confs.assemble(
                        "<match k.**>\n  @type kinesis_producer\n  stream_name s\n" + "  region Tokyo\n</match>\n"))
                .hasMessageStartingWith(f + ":4: region: tokyo (expected: a region name like ap-northeast-1)");
        assertThatThrownBy(
                        () -> confs.assemble("<match k.**>\n  @type kinesis_producer\n  region us-east-1\n</match>\n"))
                .hasMessage(f + ":1: <match k.**>: missing required parameter 'stream_name'");
    }

    @Test
    void startsOutputsThenInputsAndClosesInputsFirst() throws Exception {
        List<String> order = new ArrayList<>();
        InputFactory recording = (ForwardSettings s, EventSink sink, MeterRegistry r) -> new Input() {
            @Override
            public String type() {
                return "forward";
            }

            @Override
            public void start() {
                order.add("input start");
            }

            @Override
            public void drain(Duration timeout) {
                order.add("input drain");
            }

            @Override
            public void close() {
                order.add("input close");
            }
        };
        Plugins plugins = Plugins.defaults()
                .withInput("forward", recording)
                .withOutput(
                        "recording",
                        (e, ctx) -> ctx.terminal(
                                new Output() {
                                    @Override
                                    public String type() {
                                        return "recording";
                                    }

                                    @Override
                                    public void start() {
                                        order.add("output start");
                                    }

                                    @Override
                                    public CompletableFuture<WriteResult> write(Chunk chunk) {
                                        return CompletableFuture.completedFuture(WriteResult.allDelivered());
                                    }

                                    @Override
                                    public void close() {
                                        order.add("output close");
                                    }
                                },
                                OutputDefaults.buffered()));
        Aggregator a = confs.assemble(
                "<source>\n  @type forward\n</source>\n<match **>\n  @type recording\n</match>\n", plugins, true);
        a.start();
        assertThat(a.isReady()).isTrue();
        a.close();
        a.close();
        assertThat(a.isReady()).isFalse();
        assertThat(order).containsExactly("output start", "input start", "input drain", "input close", "output close");
    }

    @Test
    void aFailedStartClosesWhatStarted() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Aggregator a = confs.assemble("<source>\n  @type forward\n  bind 127.0.0.1\n  port " + taken.getLocalPort()
                    + "\n</source>\n<match **>\n  @type null\n</match>\n");
            assertThatThrownBy(a::start)
                    .isInstanceOf(ConfException.class)
                    .hasMessageContaining("Address already in use");
            assertThat(a.isReady()).isFalse();
        }
    }

    @Test
    void aBufferThatRefusesAppendsMakesTheNodeNotReadyAndSaysWhy() throws Exception {
        BufferFactory failingDisk = (id, settings, output, secondary, registry) -> new EventBuffer() {
            private final EventBuffer real =
                    Buffers.create(id, settings, output, secondary, Clock.systemUTC(), new SimpleMeterRegistry());

            @Override
            public void start() throws IOException {
                real.start();
            }

            @Override
            public BufferStats stats() {
                return real.stats();
            }

            @Override
            public CompletableFuture<Integer> flushNow() {
                return real.flushNow();
            }

            @Override
            public List<String> healthProblems() {
                return List.of(
                        "appends refused since 2026-12-01T00:00:00Z: java.io.IOException: Read-only file system");
            }

            @Override
            public CompletableFuture<AppendResult> append(
                    String tag, ChunkMetadata metadata, ByteBuffer entries, int count, byte[] key) {
                return real.append(tag, metadata, entries, count, key);
            }

            @Override
            public StreamedAppend openStream(String tag, ChunkMetadata metadata) {
                return real.openStream(tag, metadata);
            }

            @Override
            public void close() {
                real.close();
            }
        };
        Aggregator app = confs.assemble(
                "<match a.**>\n  @type null\n  @id sink\n  <buffer>\n    @type memory\n  </buffer>\n</match>\n",
                Plugins.defaults().withBufferFactory(failingDisk),
                true);
        try {
            app.start();
            assertThat(app.problems())
                    .containsExactly("buffer of sink: appends refused since 2026-12-01T00:00:00Z:"
                            + " java.io.IOException: Read-only file system");
        } finally {
            app.close();
        }
    }

    @Test
    void aPortTakenAfterTheChecksIsStillAConfErrorAtThePortsLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Aggregator app = confs.assemble("<source>\n  @type forward\n  bind 127.0.0.1\n  port "
                    + taken.getLocalPort() + "\n</source>\n<match **>\n  @type null\n</match>\n");
            assertThatThrownBy(app::start)
                    .isInstanceOf(ConfException.class)
                    .hasMessageStartingWith(f + ":4: port: 127.0.0.1:" + taken.getLocalPort() + " cannot be bound")
                    .hasMessageContaining("stop the process that holds it, or change port or bind");
        }
    }

    @Test
    void everyFailedEnvironmentCheckIsReportedInOneRunInFileOrder() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("blocker"), "a file where a directory should be");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Aggregator app = confs.assemble("<source>\n  @type forward\n  bind 127.0.0.1\n  port "
                    + taken.getLocalPort() + "\n  <transport tls>\n    cert_path " + dir.resolve("no-cert.pem")
                    + "\n    private_key_path " + dir.resolve("no-key.pem") + "\n  </transport>\n</source>\n"
                    + "<match **>\n  @type file\n  @id out\n  path " + dir.resolve("out/x") + "\n  <buffer>\n"
                    + "    path " + dir.resolve("blocker/buf") + "\n  </buffer>\n</match>\n");
            assertThatThrownBy(app::checkEnvironment)
                    .isInstanceOf(org.kinesisaggregator.conf.ConfErrors.class)
                    .hasMessageStartingWith("4 errors, in file order:\n  " + f + ":4: port: 127.0.0.1:"
                            + taken.getLocalPort() + " cannot be bound")
                    .hasMessageContaining("\n  " + f + ":6: cert_path: ")
                    .hasMessageContaining("\n  " + f + ":7: private_key_path: ")
                    .hasMessageContaining("\n  " + f + ":15: path: ")
                    .hasMessageContaining("blocker is not a writable directory");
        }
    }
}
