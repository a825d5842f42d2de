package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kinesisaggregator.cli.Main;
import org.kinesisaggregator.server.testing.ChildProcess;

/**
 * {@code kinesis-aggregator -c CONF} as a child JVM (the test classpath, the shipped logback.xml:
 * logs on standard error, here into {@code log}), as MainProcessTest runs it. The conf should have a
 * {@code monitor_agent} source on port 0: its bound port is read from the log.
 */
final class AggregatorProcess implements AutoCloseable {
    private static final Pattern ADMIN_PORT = Pattern.compile("Admin HTTP listening on \\S*:(\\d+)");

    private final Process process;
    private final Path log;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private AggregatorProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** A port free on 127.0.0.1 now, for a conf's forward source (taken again by the child). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static AggregatorProcess start(Path conf, Path log) throws IOException {
        return start(conf, log, List.of());
    }

    /**
     * As {@link #start(Path, Path)}, through {@code setsid}: the JVM leads a process group of its own
     * (its pid is the group id), as a service manager's unit or a terminal's job would, so that a
     * test can signal the whole group ({@link #signalGroup}).
     */
    static AggregatorProcess startInOwnProcessGroup(Path conf, Path log) throws IOException {
        return start(conf, log, List.of("setsid"));
    }

    /**
     * {@code bin/kinesis-aggregator -c CONF} of the distribution unpacked in {@code home} (the
     * package phase's {@code target/dist/kinesis-aggregator}): its launcher, {@code conf/jvm.options}
     * and {@code lib/}, no test classpath. {@code JAVA_OPTS} caps the heap (several nodes share the
     * machine); the logs go to standard error, here into {@code log}.
     */
    static AggregatorProcess startDistribution(Path home, Path conf, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(
                        home.resolve("bin/kinesis-aggregator").toString(), "-c", conf.toString())
                .directory(home.toFile())
                .redirectOutput(
                        log.resolveSibling(log.getFileName() + ".stdout").toFile())
                .redirectError(log.toFile());
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("KINESIS_AGGREGATOR_CLASSPATH");
        pb.environment().remove("KINESIS_AGGREGATOR_JVM_OPTIONS");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("JAVA_OPTS", "-Xmx256m");
        return new AggregatorProcess(pb.start(), log);
    }

    private static AggregatorProcess start(Path conf, Path log, List<String> prefix) throws IOException {
        Path root = ChildProcess.projectRoot();
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "--add-opens",
                "java.base/java.nio=ALL-UNNAMED",
                "--add-opens",
                "java.base/sun.nio.ch=ALL-UNNAMED",
                "-Dlogback.configurationFile=" + root.resolve("aggregator-server/src/main/resources/logback.xml"),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "-c",
                conf.toString()));
        Process p = new ProcessBuilder(command)
                .redirectOutput(
                        log.resolveSibling(log.getFileName() + ".stdout").toFile())
                .redirectError(log.toFile())
                .start();
        return new AggregatorProcess(p, log);
    }

    /** Waits for "Ready" on the log (the inputs accept connections). */
    AggregatorProcess awaitReady() throws IOException {
        await("aggregator ready (log " + log + ")")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> log().contains("] Aggregator: Ready") || !process.isAlive());
        assertThat(process.isAlive())
                .as("aggregator alive after start-up; log:%n%s", log())
                .isTrue();
        return this;
    }

    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** The admin endpoint's port, from the log. */
    int adminPort() throws IOException {
        Matcher m = ADMIN_PORT.matcher(log());
        assertThat(m.find()).as("admin port in the log").isTrue();
        return Integer.parseInt(m.group(1));
    }

    /** GET on the admin endpoint. */
    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort() + path))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** {@code buffer_total_events} of the (only) buffered output on {@code /api/plugins.json}. */
    long bufferedEvents() throws IOException, InterruptedException {
        return number("buffer_total_events");
    }

    /** {@code retry_count} of the (only) buffered output on {@code /api/plugins.json}. */
    long retryCount() throws IOException, InterruptedException {
        return number("retry_count");
    }

    private long number(String field) throws IOException, InterruptedException {
        String body = get("/api/plugins.json").body();
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(body);
        assertThat(m.find()).as("%s in %s", field, body).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** The processes the aggregator started (the KPL daemons), alive now. */
    List<ProcessHandle> children() {
        return process.descendants().filter(ProcessHandle::isAlive).toList();
    }

    /** {@code kill -9}. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        assertThat(process.waitFor(30, TimeUnit.SECONDS))
                .as("killed aggregator exited")
                .isTrue();
    }

    /**
     * {@code kill -SIGNAL -PGID}: the signal to every process of the group this process leads (see
     * {@link #startInOwnProcessGroup}), as systemd's default {@code KillMode=control-group} does.
     */
    void signalGroup(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, "--", "-" + process.pid())
                .redirectErrorStream(true)
                .start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill -%s -%d", signal, process.pid()).isZero();
    }

    /** {@code kill -SIGNAL PID}, without waiting for the process to act on it. */
    void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                .redirectErrorStream(true)
                .start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill -%s %d", signal, process.pid()).isZero();
    }

    /** Waits for the exit and returns the status. */
    int awaitExit(Duration atMost) throws InterruptedException {
        assertThat(process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS))
                .as("aggregator exited")
                .isTrue();
        return process.exitValue();
    }

    /** SIGTERM, then the exit status (0 after a clean shutdown). */
    int terminate() throws InterruptedException {
        process.destroy();
        assertThat(process.waitFor(60, TimeUnit.SECONDS))
                .as("aggregator exited after SIGTERM")
                .isTrue();
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
