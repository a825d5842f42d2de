package org.kinesisaggregator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.server.app.Plugins;

/** The CLI run in-process: output, errors and exit codes. */
class MainTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.execute(
                args,
                Plugins.defaults(),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static Path shipped(String name) {
        String root = System.getProperty("project.root");
        return root == null ? Path.of("..", "conf", name) : Path.of(root, "conf", name);
    }

    private Path conf(String text) throws IOException {
        Path file = dir.resolve("test.conf");
        Files.writeString(file, text.replace("${dir}", dir.toString()));
        return file;
    }

    @Test
    void dryRunOfTheSeedsLegacySectionPasses() {
        Path example = shipped("example.conf");
        assertThat(run("-c", example.toString(), "--dry-run")).isEqualTo(Main.OK);
        assertThat(out())
                .startsWith("conf " + example + ": valid\n")
                .contains("forward 0.0.0.0:24224 → @ROOT")
                .contains("→ kinesis_producer [id kinesis_producer-kinesis.all]")
                .contains("buffer file /var/log/td-agent/buffer/kinesis_producer-kinesis.all, chunk_limit_size 1048576,"
                        + " flush_interval 15.0s, flush_thread_count 1, queue_limit_length 512")
                .contains("stream YOUR_KINESIS_NAME, aggregation java, partition key random per aggregate")
                .contains("parameter 'detach_process' in <match kinesis.**> has no effect");
        assertThat(err()).isEmpty();
    }

    @Test
    void dryRunOfTheSeedShowsNamesAppliedEffectiveValuesCredentialsAndItsSlowDrain() {
        Path example = shipped("example.conf");
        assertThat(run("-c", example.toString(), "--dry-run")).isEqualTo(Main.OK);
        assertThat(out())
                .contains("buffer_chunk_limit → chunk_limit_size (" + example + ":20)")
                .contains("num_threads → flush_thread_count (" + example + ":26)")
                .contains("retry_wait 1s (default)")
                .contains("credentials: the AWS SDK's default chain (no credentials in the conf); here it finds ")
                .contains(
                        "backlog drain ceiling: flush_thread_count 1 × chunk_limit_size 1m /"
                                + " flush_thread_burst_interval 1s = 1.0 MiB/s (1,048,576 B/s, ~5,242 events/s at ~200 B/event)")
                .contains(example + ":14: <match kinesis.**>: its buffer drains a backlog at most at 1.0 MiB/s");
    }

    @Test
    void everyConfErrorIsReportedInOneRunInFileOrder() throws IOException {
        Path c = conf("<match b>\n  @type file\n  path ${dir}/x\n  flush_interval soon\n</match>\n"
                + "<source>\n  @type forward\n  port twelve\n</source>\n<match a>\n  @type nope\n</match>\n");
        assertThat(run("-c", c.toString(), "--dry-run")).isEqualTo(Main.INVALID_CONF);
        assertThat(err())
                .startsWith(
                        "kinesis-aggregator: invalid conf: 3 errors, in file order:\n  " + c + ":4: flush_interval:")
                .contains("\n  " + c + ":8: port: \"twelve\" is not an integer")
                .contains("\n  " + c + ":11: @type: unknown output type \"nope\"");
    }

    @Test
    void workersAndWorkerSectionsAreRunInOneProcessWithAWarning() throws IOException {
        Path c = conf("<system>\n  workers 2\n</system>\n<worker 1>\n  <match a>\n    @type null\n  </match>\n"
                + "</worker>\n");
        assertThat(run("-c", c.toString(), "--dry-run")).isEqualTo(Main.OK);
        assertThat(out())
                .contains(c + ":2: <system> workers 2: Fluentd would start 2 worker processes; this aggregator runs"
                        + " one process")
                .contains(c + ":4: <worker 1> names only workers other than 0: its 1 directives are ignored");
    }

    @Test
    void theLocalConfIsValid() {
        assertThat(run("-c", shipped("local.conf").toString(), "--dry-run", "--strict"))
                .isEqualTo(Main.OK);
        assertThat(out())
                .contains("forward 127.0.0.1:24224 → @ROOT")
                .contains("monitor_agent 127.0.0.1:24220")
                .contains("→ kinesis_streams_aggregated [id local_kinesis]")
                .contains("endpoint https://127.0.0.1:4567");
    }

    @Test
    void invalidConfExitsWith3AndNamesFileLineAndParameter() throws IOException {
        Path c = conf(
                "<match a>\n  @type file\n  path ${dir}/x\n  <buffer>\n    flush_interval abc\n  </buffer>\n</match>\n");
        assertThat(run("-c", c.toString(), "--dry-run")).isEqualTo(Main.INVALID_CONF);
        assertThat(err())
                .isEqualTo("kinesis-aggregator: invalid conf: " + c + ":5: flush_interval: \"abc\" is not a time"
                        + " (expected: a number with optional s/m/h/d)\n");
    }

    @Test
    void strictTurnsUnusedParametersIntoErrors() throws IOException {
        Path c = conf("<match a>\n  @type null\n  typo 1\n</match>\n");
        assertThat(run("-c", c.toString(), "--dry-run")).isEqualTo(Main.OK);
        assertThat(out()).contains("warnings: 1\n  " + c + ":3: parameter 'typo' in <match a> is not used.");
        assertThat(run("-c", c.toString(), "--dry-run", "--strict")).isEqualTo(Main.INVALID_CONF);
        assertThat(err()).contains(c + ":3: parameter 'typo' in <match a> is not used.");
    }

    @Test
    void usageErrorsExitWith2() {
        assertThat(run()).isEqualTo(Main.USAGE);
        assertThat(err()).contains("missing -c FILE");
        assertThat(run("--no-such-option")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("Unknown option: '--no-such-option'");
        assertThat(run("-c", dir.resolve("absent.conf").toString())).isEqualTo(Main.USAGE);
        assertThat(err()).contains("absent.conf: no such file");
    }

    @Test
    void aPortInUseIsAConfErrorNamingFileLineAndPortAtStartAndInDryRun() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Path c = conf("<source>\n  @type forward\n  bind 127.0.0.1\n  port " + port
                    + "\n</source>\n<match **>\n  @type null\n</match>\n");
            String expected = "kinesis-aggregator: invalid conf: " + c + ":4: port: 127.0.0.1:" + port
                    + " cannot be bound for TCP: ";
            assertThat(run("-c", c.toString(), "--dry-run")).isEqualTo(Main.INVALID_CONF);
            assertThat(err())
                    .startsWith(expected)
                    .contains("(expected: a free port; stop the process that holds it, or change port or bind)");
            assertThat(out()).doesNotContain("valid");
            err.reset();
            assertThat(run("-c", c.toString())).isEqualTo(Main.INVALID_CONF);
            assertThat(err()).startsWith(expected);
        }
    }

    @Test
    void aMissingTlsKeyIsAConfErrorNamingFileLineAndParameterInDryRun() throws IOException {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "not checked here\n");
        Path c = conf("<source>\n  @type forward\n  bind 127.0.0.1\n  port 0\n  <transport tls>\n"
                + "    cert_path " + cert + "\n    private_key_path /etc/nonexistent/server.key\n"
                + "  </transport>\n</source>\n<match **>\n  @type null\n</match>\n");
        assertThat(run("-c", c.toString(), "--dry-run")).isEqualTo(Main.INVALID_CONF);
        assertThat(err())
                .isEqualTo("kinesis-aggregator: invalid conf: " + c + ":7: private_key_path:"
                        + " /etc/nonexistent/server.key: no such file (expected: a readable file; fix the path or"
                        + " create the file)\n");
    }

    @Test
    void anUnwritableBufferPathIsAConfErrorNamingFileLineAndParameterInDryRun() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Path c = conf("<match **>\n  @type file\n  path ${dir}/out\n  <buffer>\n    @type file\n" + "    path " + file
                + "/buffer\n  </buffer>\n</match>\n");
        assertThat(run("-c", c.toString(), "--dry-run")).isEqualTo(Main.INVALID_CONF);
        assertThat(err())
                .startsWith("kinesis-aggregator: invalid conf: " + c + ":6: path: " + file + "/buffer")
                .contains("cannot be created or written by this user (" + file + " is not a writable directory");
    }

    @Test
    void versionAndHelp() {
        assertThat(run("--version")).isEqualTo(Main.OK);
        assertThat(out()).startsWith("kinesis-aggregator ");
        assertThat(run("--help")).isEqualTo(Main.OK);
        assertThat(out()).contains("--dry-run").contains("Exit codes:").contains("3   invalid conf");
    }
}
