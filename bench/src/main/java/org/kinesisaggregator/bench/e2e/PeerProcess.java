package org.kinesisaggregator.bench.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.kinesisaggregator.bench.kinesis.NullKinesis;

/**
 * A peer forward server (Fluent Bit, Fluentd) run from a binary the user passes in (nothing of it
 * is part of this project), on a conf written here, listening on 127.0.0.1 only. Ready when its
 * forward port accepts a connection. Measured as one label covering the process and its
 * descendants (Fluentd's supervisor forks its worker). On the Kinesis path (Fluent Bit's {@code
 * kinesis_streams} into a {@link NullKinesis}) its buffer is not observable, so delivery is the null
 * Kinesis holding every event sent.
 */
public final class PeerProcess implements Target {
    /** Fluent Bit's stall on the Kinesis path: no record arrives for this long while some are due. */
    private static final Duration KINESIS_STALL = Duration.ofSeconds(60);

    private final String name;
    private final String label;
    private final Path work;
    private final int forwardPort;
    private final Process process;
    private final NullKinesis nullKinesis;

    private PeerProcess(String name, String label, Path work, int forwardPort, Process process, NullKinesis nk) {
        this.name = name;
        this.label = label;
        this.work = work;
        this.forwardPort = forwardPort;
        this.process = process;
        this.nullKinesis = nk;
    }

    /**
     * Fluent Bit ({@code binary}): in_forward with {@code workers}, buffering {@code memory} or
     * {@code filesystem} ({@code storage.type}), {@code Flush 1}, into the null output.
     */
    public static PeerProcess fluentBit(Path binary, String storage, int workers) throws Exception {
        Path work = Files.createTempDirectory("bench-fluent-bit");
        int port = OurAggregator.freePort();
        boolean fs = storage.equals("filesystem");
        String conf = """
            [SERVICE]
                Flush         1
                Log_Level     warn
                HTTP_Server   Off
            %s
            [INPUT]
                Name          forward
                Listen        127.0.0.1
                Port          %d
                Workers       %d
                storage.type  %s

            [OUTPUT]
                Name          null
                Match         *
            """.formatted(
                        fs ? "    storage.path  " + work.resolve("storage") + "\n    storage.sync  normal\n" : "",
                        port,
                        workers,
                        storage);
        Path confFile = work.resolve("fluent-bit.conf");
        Files.writeString(confFile, conf);
        String name = "fluent-bit-" + storage + "-w" + workers;
        return launch(
                name, "fluent-bit", work, port, List.of(binary.toString(), "-c", confFile.toString()), Map.of(), null);
    }

    /**
     * Fluent Bit ({@code binary}): in_forward (1 worker, {@code storage.type memory}, {@code Flush 1})
     * into {@code kinesis_streams} (one Kinesis record per event, or with {@code simpleAggregation}
     * its {@code simple_aggregation}: JSON lines joined in one record) sending to {@code nk}, which
     * the caller owns. Fluent Bit always verifies TLS: the null Kinesis' certificate is its {@code
     * tls.ca_file}; the endpoint is {@code 127.0.0.1} and the port goes in {@code port}. Fake
     * credentials come from the environment ({@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY}).
     */
    public static PeerProcess fluentBitKinesis(Path binary, NullKinesis nk, boolean simpleAggregation)
            throws Exception {
        Path work = Files.createTempDirectory("bench-fluent-bit");
        int port = OurAggregator.freePort();
        Path ca = work.resolve("null-kinesis.pem");
        nk.writeCertificatePem(ca);
        String conf = """
            [SERVICE]
                Flush         1
                Log_Level     warn
                HTTP_Server   Off

            [INPUT]
                Name          forward
                Listen        127.0.0.1
                Port          %d
                storage.type  memory

            [OUTPUT]
                Name          kinesis_streams
                Match         *
                region        us-east-1
                stream        bench
                endpoint      127.0.0.1
                port          %d
                tls.ca_file   %s
                simple_aggregation %s
            """.formatted(port, nk.port(), ca, simpleAggregation ? "true" : "false");
        Path confFile = work.resolve("fluent-bit.conf");
        Files.writeString(confFile, conf);
        String name = simpleAggregation ? "fluent-bit-kinesis-simple-agg" : "fluent-bit-kinesis";
        return launch(
                name,
                "fluent-bit",
                work,
                port,
                List.of(binary.toString(), "-c", confFile.toString()),
                Map.of("AWS_ACCESS_KEY_ID", "bench", "AWS_SECRET_ACCESS_KEY", "bench"),
                nk);
    }

    /**
     * Fluentd: {@code home} is either a source checkout (run as {@code ruby -Ilib bin/fluentd}, as
     * /work/shared/peers/fluentd.sh does) or an executable taking {@code -c CONF} (td-agent's
     * fluentd). in_forward, a file buffer ({@code flush_interval 1s}, 8 MiB chunks) into out_null.
     */
    public static PeerProcess fluentd(Path home) throws Exception {
        Path work = Files.createTempDirectory("bench-fluentd");
        int port = OurAggregator.freePort();
        String conf = """
            <source>
              @type forward
              bind 127.0.0.1
              port %d
            </source>
            <match app.**>
              @type null
              <buffer>
                @type file
                path %s/buffer
                flush_mode interval
                flush_interval 1s
                chunk_limit_size 8m
              </buffer>
            </match>
            """.formatted(port, work);
        Path confFile = work.resolve("fluentd.conf");
        Files.writeString(confFile, conf);
        List<String> command = Files.isDirectory(home)
                ? List.of(
                        "ruby",
                        "-I" + home.resolve("lib"),
                        home.resolve("bin/fluentd").toString(),
                        "-c",
                        confFile.toString())
                : List.of(home.toString(), "-c", confFile.toString());
        return launch("fluentd-file", "fluentd", work, port, command, Map.of(), null);
    }

    private static PeerProcess launch(
            String name,
            String label,
            Path work,
            int port,
            List<String> command,
            Map<String, String> env,
            NullKinesis nk)
            throws Exception {
        Path log = work.resolve(label + ".log");
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command))
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                String text = Files.readString(log);
                OurAggregator.delete(work);
                throw new IllegalStateException(name + " exited: " + text);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return new PeerProcess(name, label, work, port, p, nk);
            } catch (IOException notYet) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
        String text = Files.readString(log);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        OurAggregator.delete(work);
        throw new IllegalStateException(name + " not listening after 60 s: " + text);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int forwardPort() {
        return forwardPort;
    }

    @Override
    public KinesisCounts kinesis() {
        return nullKinesis == null
                ? null
                : new KinesisCounts(
                        nullKinesis.records(),
                        nullKinesis.putUnits(),
                        nullKinesis.putUnitsDecimal(),
                        nullKinesis.plainRecordLines(),
                        nullKinesis.cpuNanos());
    }

    /** On the Kinesis path: until the null Kinesis holds {@code events} more JSON lines than {@code before}. */
    @Override
    public void awaitDelivered(long events, KinesisCounts before, Duration timeout) throws Exception {
        if (nullKinesis == null) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long last = -1;
        long lastProgress = System.nanoTime();
        while (true) {
            long delivered = nullKinesis.plainRecordLines() - before.plainEvents();
            if (delivered >= events) {
                return;
            }
            long now = System.nanoTime();
            if (delivered != last) {
                last = delivered;
                lastProgress = now;
            }
            if (now > deadline || now - lastProgress > KINESIS_STALL.toNanos() || !process.isAlive()) {
                throw new IllegalStateException(name + " delivered " + delivered + " of " + events
                        + " events (invalid requests: " + nullKinesis.invalidRequests() + ", last: "
                        + nullKinesis.lastInvalid() + "); its log: " + logTail());
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    private String logTail() {
        try {
            String text = Files.readString(work.resolve(label + ".log"));
            return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public Map<String, List<Long>> processes() {
        List<Long> pids = new ArrayList<>();
        pids.add(process.pid());
        pids.addAll(ProcStats.descendants(process.pid()));
        Map<String, List<Long>> m = new LinkedHashMap<>();
        m.put(label, pids);
        return m;
    }

    @Override
    public void close() {
        List<ProcessHandle> children = new ArrayList<>();
        process.descendants().forEach(children::add);
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
        OurAggregator.delete(work);
    }
}
