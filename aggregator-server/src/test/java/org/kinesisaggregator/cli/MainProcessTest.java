package org.kinesisaggregator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command as a child JVM: real exit statuses, the shipped logback.xml (logs on standard error),
 * and SIGTERM through the shutdown hook.
 */
class MainProcessTest {
    @TempDir
    Path dir;

    private Process process;

    @AfterEach
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Path root() {
        String r = System.getProperty("project.root");
        return r == null ? Path.of("..").toAbsolutePath().normalize() : Path.of(r);
    }

    private Process start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m",
                "-Dlogback.configurationFile=" + root().resolve("aggregator-server/src/main/resources/logback.xml"),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd)
                .redirectOutput(dir.resolve("stdout.txt").toFile())
                .redirectError(dir.resolve("stderr.txt").toFile())
                .start();
    }

    private String read(String name) throws IOException {
        Path p = dir.resolve(name);
        return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
    }

    @Test
    void exitStatusesOfDryRunAndInvalidConf() throws Exception {
        process = start("-c", root().resolve("conf/example.conf").toString(), "--dry-run");
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(Main.OK);
        assertThat(read("stdout.txt")).contains("→ kinesis_producer [id kinesis_producer-kinesis.all]");
        assertThat(read("stderr.txt"))
                .contains("[WARN] [main] Aggregator: ")
                .contains("parameter 'detach_process' in <match kinesis.**> has no effect");

        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "<match a>\n  @type null\n");
        process = start("-c", bad.toString());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(Main.INVALID_CONF);
        assertThat(read("stderr.txt")).contains(bad + ":1: expected end tag '</match>'");
    }

    @Test
    void sigtermClosesInOrder() throws Exception {
        Path conf = dir.resolve("run.conf");
        Files.writeString(conf, """
        <system>
          root_dir %s
          shutdown_timeout 5s
        </system>
        <match **>
          @type file
          @id files
          path %s/out/x
          append true
          <buffer>
            flush_interval 1s
          </buffer>
        </match>
        """.formatted(dir.resolve("data"), dir));
        process = start("-c", conf.toString());
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(read("stderr.txt")).contains("Ready"));
        process.destroy(); // SIGTERM
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue())
                .as("a clean SIGTERM shutdown exits 0, as Fluentd does")
                .isEqualTo(0);
        String log = read("stderr.txt");
        assertThat(log)
                .contains(
                        "Started output files (file)",
                        "Started buffer of files",
                        "Shutdown: close buffer of files done",
                        "Shutdown: close output files done",
                        "Closed in");
        assertThat(log.indexOf("close buffer of files")).isLessThan(log.indexOf("close output files"));
    }
}
