package org.kinesisaggregator.bench.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A peer forward server (Fluent Bit, Fluentd) run from a binary the user passes in (nothing of it
 * is part of this project), on a conf written here, listening on 127.0.0.1 only. Ready when its
 * forward port accepts a connection. Measured as one label covering the process and its
 * descendants (Fluentd's supervisor forks its worker).
 */
public final class PeerProcess implements Target {
    private final String name;
    private final String label;
    private final Path work;
    private final int forwardPort;
    private final Process process;

    private PeerProcess(String name, String label, Path work, int forwardPort, Process process) {
        this.name = name;
        this.label = label;
        this.work = work;
        this.forwardPort = forwardPort;
        this.process = process;
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
        return launch(name, "fluent-bit", work, port, List.of(binary.toString(), "-c", confFile.toString()));
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
        return launch("fluentd-file", "fluentd", work, port, command);
    }

    private static PeerProcess launch(String name, String label, Path work, int port, List<String> command)
            throws Exception {
        Path log = work.resolve(label + ".log");
        Process p = new ProcessBuilder(new ArrayList<>(command))
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                String text = Files.readString(log);
                OurAggregator.delete(work);
                throw new IllegalStateException(name + " exited: " + text);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return new PeerProcess(name, label, work, port, p);
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
