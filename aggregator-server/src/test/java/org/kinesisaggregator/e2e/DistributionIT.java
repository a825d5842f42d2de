package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.server.testing.ChildProcess;
import org.komamitsu.fluency.EventTime;
import org.komamitsu.fluency.Fluency;
import org.komamitsu.fluency.fluentd.FluencyBuilderForFluentd;

/**
 * The tarball that {@code mvn package} builds, installed and run as docs/install.md says: unpacked
 * with {@code tar}, the shipped production conf checked with {@code --dry-run --strict}, then started
 * with its own launcher, {@code conf/jvm.options} and the shipped rolling-file logback conf (no test
 * classpath) on a forward + stdout conf; fluency sends one event with acks and it comes out on
 * standard output in UTF-8 with nothing else there; the logs are in the log file (UTF-8 without a
 * locale) and not on standard error; {@code bin/kinesis-aggregator-ready} (the Docker HEALTHCHECK)
 * says ready, then 503 while SIGTERM drains; the process exits 0.
 */
class DistributionIT {
    private static final Pattern FORWARD_PORT = Pattern.compile("Forward input listening on \\S*:(\\d+)");
    private static final Pattern ADMIN_PORT = Pattern.compile("Admin HTTP listening on \\S*:(\\d+)");

    @TempDir
    Path dir;

    private Process process;

    @AfterEach
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static Path tarball() {
        String path = System.getProperty("dist.tarball");
        assertThat(path)
                .as("-Ddist.tarball (aggregator-server's failsafe configuration)")
                .isNotNull();
        Path tarball = Path.of(path);
        assertThat(tarball).as("the tarball of mvn package").isRegularFile();
        return tarball;
    }

    /** The environment of a fresh shell: none of the build's JVM settings leak into the launcher. */
    private static void cleanEnvironment(Map<String, String> env) {
        env.remove("JAVA_OPTS");
        env.remove("JAVA_TOOL_OPTIONS");
        env.remove("KINESIS_AGGREGATOR_CLASSPATH");
        env.remove("KINESIS_AGGREGATOR_JVM_OPTIONS");
        env.remove("LANG");
        env.remove("LC_ALL");
        env.put("JAVA_HOME", System.getProperty("java.home"));
    }

    private static ChildProcess.Result run(Path home, List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile());
        cleanEnvironment(pb.environment());
        Path out = Files.createTempFile(home, "out", ".txt");
        Path err = Files.createTempFile(home, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish within 120 s");
        }
        return new ChildProcess.Result(
                p.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    /**
     * {@code unshare --net} where it works (root, as in CI): the shipped conf's ports 24224 and 24220
     * are checked in a network namespace of their own, free whatever runs on this machine's.
     */
    private static List<String> ownNetwork() {
        ChildProcess.Result probe = ChildProcess.run(List.of("unshare", "--net", "true"), 30);
        return probe.exitCode() == 0 ? List.of("unshare", "--net") : List.of();
    }

    private Path install() throws Exception {
        ChildProcess.Result untar =
                ChildProcess.run(List.of("tar", "-xzf", tarball().toString(), "-C", dir.toString()), 60);
        assertThat(untar.exitCode()).as("tar: %s", untar.stderr()).isZero();
        List<Path> unpacked;
        try (Stream<Path> s = Files.list(dir)) {
            unpacked = s.toList();
        }
        assertThat(unpacked).as("one top directory").hasSize(1);
        Path home = unpacked.get(0);
        assertThat(home.getFileName().toString()).startsWith("kinesis-aggregator-");
        return home;
    }

    private static String awaitLog(Path file, Pattern pattern, Process process) {
        String[] found = new String[1];
        await("'" + pattern + "' in " + file)
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    Matcher m = pattern.matcher(read(file));
                    if (m.find()) {
                        found[0] = m.group(1);
                        return true;
                    }
                    return !process.isAlive();
                });
        assertThat(found[0]).as("log:%n%s", readQuietly(file)).isNotNull();
        return found[0];
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    private static String readQuietly(Path file) {
        try {
            return read(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Test
    void theTarballInstallsChecksItsConfAndRunsFromItsOwnLauncher() throws Exception {
        Path home = install();
        for (String f : List.of(
                "bin/kinesis-aggregator",
                "bin/kinesis-aggregator-ready",
                "conf/production.conf",
                "conf/jvm.options",
                "conf/logback-file.xml",
                "systemd/kinesis-aggregator.service",
                "systemd/kinesis-aggregator.sysusers",
                "docker/Dockerfile",
                "monitoring/prometheus-alerts.yml",
                "monitoring/grafana-dashboard.json",
                "docs/install.md",
                "README.md")) {
            assertThat(home.resolve(f)).as(f).isRegularFile();
        }
        assertThat(home.resolve("bin/kinesis-aggregator")).isExecutable();
        assertThat(home.resolve("bin/kinesis-aggregator-ready")).isExecutable();
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            assertThat(jars.map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.startsWith("aggregator-server-"))
                    .anyMatch(n -> n.startsWith("kpl-bridge-"))
                    .anyMatch(n -> n.startsWith("buffer-store-"));
        }

        // docs/install.md, step "check the conf": the shipped production conf as it is.
        List<String> dryRun = new ArrayList<>(ownNetwork());
        dryRun.addAll(List.of("bin/kinesis-aggregator", "-c", "conf/production.conf", "--dry-run", "--strict"));
        ChildProcess.Result checked = run(home, dryRun);
        assertThat(checked.exitCode())
                .as("dry-run of conf/production.conf: %s%s", checked.stdout(), checked.stderr())
                .isZero();
        assertThat(checked.stdout())
                .startsWith("conf conf/production.conf: valid\n")
                .contains("forward 0.0.0.0:24224 → @ROOT")
                .contains("monitor_agent 0.0.0.0:24220")
                .contains("→ kinesis_streams_aggregated [id kinesis]")
                .contains("buffer file /var/lib/kinesis-aggregator/buffer/kinesis");

        // docs/install.md, "try it": forward in, stdout out, a file buffer, drain_delay.
        Path conf = dir.resolve("try.conf");
        Files.writeString(conf, """
        <system>
          root_dir %s
          drain_delay 3s
          shutdown_timeout 10s
        </system>
        <source>
          @type forward
          bind 127.0.0.1
          port 0
        </source>
        <source>
          @type monitor_agent
          bind 127.0.0.1
          port 0
        </source>
        # a non-ASCII pattern and an unused parameter: a WARN line that must keep its "é" (jvm.options)
        <match café.**>
          @type null
          colour blue
        </match>
        <match **>
          @type stdout
          <buffer>
            @type file
            flush_interval 1s
          </buffer>
        </match>
        """.formatted(dir.resolve("state")));
        // docs/install.md, "Logs": the shipped rolling-file logback conf, in $LOGS_DIRECTORY as systemd sets it.
        Path stdout = dir.resolve("aggregator.stdout");
        Path stderr = dir.resolve("aggregator.stderr");
        Path logs = Files.createDirectory(dir.resolve("logs"));
        Path log = logs.resolve("kinesis-aggregator.log");
        ProcessBuilder pb = new ProcessBuilder("bin/kinesis-aggregator", "-c", conf.toString())
                .directory(home.toFile())
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
        cleanEnvironment(pb.environment());
        pb.environment().put("JAVA_OPTS", "-Dlogback.configurationFile=" + home.resolve("conf/logback-file.xml"));
        pb.environment().put("LOGS_DIRECTORY", logs.toString());
        process = pb.start();
        int forwardPort = Integer.parseInt(awaitLog(log, FORWARD_PORT, process));
        String adminPort = awaitLog(log, ADMIN_PORT, process);
        awaitLog(log, Pattern.compile("(Aggregator: Ready)"), process);
        String cmdline = Files.readString(Path.of("/proc", Long.toString(process.pid()), "cmdline"))
                .replace('\0', ' ');
        assertThat(cmdline)
                .as("the launcher exec'd the JVM with conf/jvm.options, then JAVA_OPTS")
                .contains("-XX:MaxRAMPercentage=50 -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError")
                .contains("-Dfile.encoding=UTF-8 -Dlogback.configurationFile=")
                .contains(home.resolve("lib") + "/*")
                .doesNotContain("-Xms");
        assertThat(read(log))
                .as("logs in UTF-8 without a locale")
                .contains("parameter 'colour' in <match café.**> is not used");
        assertThat(Files.readString(Path.of("/proc", Long.toString(process.pid()), "environ")))
                .contains("_JAVA_SR_SIGNUM=39");

        ChildProcess.Result ready = run(home, List.of("bin/kinesis-aggregator-ready", adminPort));
        assertThat(ready.exitCode()).as("ready: %s", ready.stdout()).isZero();

        FluencyBuilderForFluentd builder = new FluencyBuilderForFluentd();
        builder.setAckResponseMode(true);
        builder.setFlushAttemptIntervalMillis(100);
        builder.setSenderMaxRetryCount(3);
        Fluency fluency = builder.build("127.0.0.1", forwardPort);
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("msg", "installed: café ✓");
        record.put("n", 1L);
        try {
            fluency.emit("install.check", EventTime.fromEpoch(1_700_000_000L, 0), record);
            fluency.flush();
            assertThat(fluency.waitUntilAllBufferFlushed(20))
                    .as("acked by the node")
                    .isTrue();
        } finally {
            fluency.close();
        }
        await("the event on the node's standard output")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> read(stdout).contains("install.check") || !process.isAlive());
        assertThat(read(stdout))
                .as("only the event on standard output, in UTF-8")
                .matches("\\d{4}-\\d\\d-\\d\\d [0-9:.]+ [+-]\\d{4} install\\.check: "
                        + "\\{\"msg\":\"installed: café ✓\",\"n\":1}\n");

        process.destroy(); // SIGTERM, as systemctl stop (KillMode=mixed) and docker stop send it
        String[] notReady = new String[1];
        await("bin/kinesis-aggregator-ready: 503 while draining")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    ChildProcess.Result r = run(home, List.of("bin/kinesis-aggregator-ready", adminPort));
                    notReady[0] = r.exitCode() + " " + r.stdout();
                    return r.exitCode() != 0 || !process.isAlive();
                });
        assertThat(notReady[0]).startsWith("1 not ready: HTTP/1.1 503 ").contains("draining");
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("log:%n%s", read(log)).isEqualTo(0);
        assertThat(read(log)).contains("Shutting down: not ready, still serving for drain_delay", "Closed in");
        assertThat(read(stderr)).as("standard error: the logs went to the file").isEmpty();
        try (Stream<Path> files = Files.list(home)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("hs_err")))
                    .isEmpty();
        }
    }
}
