package org.kinesisaggregator.bench.run;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kinesisaggregator.bench.buffer.BufferBenchmark;
import org.kinesisaggregator.bench.e2e.Measurement;
import org.kinesisaggregator.bench.e2e.OurAggregator;
import org.kinesisaggregator.bench.e2e.PeerProcess;
import org.kinesisaggregator.bench.e2e.ProcStats;
import org.kinesisaggregator.bench.e2e.Shape;
import org.kinesisaggregator.bench.e2e.Target;
import org.kinesisaggregator.bench.kinesis.KplBridgeBenchmark;
import org.kinesisaggregator.bench.kinesis.NullKinesis;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The scenarios of {@code bench/run.sh} (see {@code bench/run.sh --help} and BENCHMARKS.md). Each
 * load scenario runs every combination of the shapes given (connections × messages in flight ×
 * event size), each on a freshly started server: a warm-up run, then a measured run sized to last
 * about {@code --seconds} at the warm-up's rate. {@code --smoke} shortens everything to seconds.
 */
@Command(
        name = "bench/run.sh",
        mixinStandardHelpOptions = true,
        description = "Runs one benchmark scenario and prints one 'result:' line per measured run.")
public final class Scenarios implements Callable<Integer> {
    private static final Pattern HEAP_USED =
            Pattern.compile("(?m)^ *(\\S+ heap|PSYoungGen|ParOldGen)\\s+total \\d+K, used (\\d+)K");
    private static final List<String> SCENARIOS = List.of(
            "ingest-fsync",
            "ingest-write",
            "ingest-memory",
            "ingest-file-out",
            "small-messages",
            "e2e-null-kinesis",
            "e2e-emulator",
            "bridge-cost",
            "recovery",
            "soak",
            "raw-limits",
            "vs-peers",
            "vs-peers-kinesis");

    @Parameters(
            index = "0",
            arity = "0..1",
            description = "One of: ${COMPLETION-CANDIDATES}",
            completionCandidates = Names.class)
    String scenario;

    @Option(names = "--list", description = "Prints the scenario names, one a line (scripts/bench-smoke.sh).")
    boolean list;

    @Option(names = "--smoke", description = "A few seconds per scenario (CI).")
    boolean smoke;

    @Option(
            names = "--connections",
            split = ",",
            description = "Connections, a list (default: 4; small-messages 16; vs-peers 4,32, --smoke 4).")
    List<Integer> connections;

    @Option(
            names = "--window",
            split = ",",
            description = "Messages in flight per connection, a list (default: ${DEFAULT-VALUE}).",
            defaultValue = "1")
    List<Integer> windows;

    @Option(
            names = "--event-bytes",
            split = ",",
            description = "Event size, a list (default: ${DEFAULT-VALUE}).",
            defaultValue = "200")
    List<Integer> eventBytes;

    @Option(names = "--batch", description = "Events per message (default: 1000; small-messages 1).")
    Integer batch;

    @Option(names = "--gzip", description = "CompressedPackedForward.")
    boolean gzip;

    @Option(names = "--seconds", description = "Length of each measured run (default: 10; --smoke 2).")
    Double seconds;

    @Option(
            names = "--warmup-events",
            description = "Warm-up events (default: 300000, small messages 20000; --smoke 20000 and 2000).")
    Long warmupEvents;

    @Option(
            names = "--warmup-seconds",
            description = "Warm-up runs repeat until this long has passed, for the JIT (default: 30; --smoke 0).")
    Double warmupSeconds;

    @Option(
            names = "--ack-durability",
            split = ",",
            description = "small-messages: fsync and/or write (default: ${DEFAULT-VALUE}).",
            defaultValue = "fsync,write")
    List<String> ackDurabilities;

    @Option(names = "--minutes", description = "soak: minutes (default: 30; --smoke: two 2-second slices).")
    Double minutes;

    @Option(names = "--rate", description = "soak: events/s (default: half the measured maximum).")
    Long rate;

    @Option(
            names = "--soak-output",
            description = "soak: null, or kinesis (the KPL daemon into the null Kinesis; its RSS is added)"
                    + " (default: ${DEFAULT-VALUE}).",
            defaultValue = "null")
    String soakOutput;

    @Option(
            names = "--events",
            description = "bridge-cost: events (default: 2000000; --smoke 40000, in chunks of 8000).")
    Long events;

    @Option(names = "--recovery-bytes", description = "recovery: bytes buffered (default: 2 GiB; --smoke 64 MiB).")
    Long recoveryBytes;

    @Option(names = "--fluent-bit", description = "vs-peers: the fluent-bit binary (default: $FLUENT_BIT).")
    Path fluentBit;

    @Option(
            names = "--fluentd",
            description = "vs-peers: a Fluentd source checkout or fluentd executable (default: $FLUENTD).")
    Path fluentd;

    @Option(
            names = "--targets",
            split = ",",
            description = "vs-peers: only these (ours-fsync, ours-write, ours-memory, fluent-bit-memory-w1,"
                    + " fluent-bit-memory-w2, fluent-bit-filesystem-w1, fluentd-file); vs-peers-kinesis:"
                    + " ours-fsync-kinesis, fluent-bit-kinesis, fluent-bit-kinesis-simple-agg.")
    List<String> targets;

    @Option(names = "--no-small-messages", description = "vs-peers: skip the one-event-per-message shape.")
    boolean noSmallMessages;

    @Option(names = "--java-opts", description = "JAVA_OPTS of our aggregator (default: -Xmx1g).")
    String javaOpts;

    @Option(names = "--home", description = "Our distribution (default: aggregator-server/target/dist/...).")
    Path home;

    @Option(names = "--work", description = "A directory on the disk to measure (default: bench/target/run).")
    Path work;

    /** Completion candidates (the scenario names) for the help text. */
    static final class Names extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        Names() {
            super(SCENARIOS);
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Scenarios()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (list) {
            SCENARIOS.forEach(System.out::println);
            return 0;
        }
        if (scenario == null || !SCENARIOS.contains(scenario)) {
            System.err.println("unknown scenario " + scenario + "; one of " + SCENARIOS);
            return 2;
        }
        Path root = Path.of(System.getProperty("project.root", ".")).toAbsolutePath();
        if (home == null) {
            home = OurAggregator.defaultHome();
        }
        if (work == null) {
            work = root.resolve("bench/target/run");
        }
        Files.createDirectories(work);
        System.out.printf(
                Locale.ROOT,
                "scenario: %s smoke=%s java=%s cpus=%d cpu=%s load_average=%s%n",
                scenario,
                smoke,
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                ProcStats.cpuModel(),
                loadAverage());
        switch (scenario) {
            case "ingest-fsync" -> ours("file", "fsync", "null", false);
            case "ingest-write" -> ours("file", "write", "null", false);
            case "ingest-memory" -> ours("memory", "fsync", "null", false);
            case "ingest-file-out" -> ours("file", "fsync", "file", true);
            case "e2e-null-kinesis" -> ours("file", "fsync", "kinesis", true);
            case "e2e-emulator" -> ours("file", "fsync", "emulator", true);
            case "small-messages" -> smallMessages();
            case "bridge-cost" -> bridgeCost();
            case "recovery" -> BufferBenchmark.recovery(work, orDefault(recoveryBytes, smoke ? 64L << 20 : 2L << 30));
            case "soak" -> soak();
            case "raw-limits" -> rawLimits();
            case "vs-peers" -> vsPeers();
            case "vs-peers-kinesis" -> vsPeersKinesis();
            default -> throw new IllegalStateException(scenario);
        }
        return 0;
    }

    private void ours(String buffer, String durability, String output, boolean sizeByDrain) throws Exception {
        for (Shape shape : shapes(orDefault(connections, List.of(4)), orDefault(batch, 1000))) {
            measure(settings(buffer, durability, output), shape, sizeByDrain);
        }
    }

    private void smallMessages() throws Exception {
        for (Shape shape : shapes(orDefault(connections, List.of(16)), orDefault(batch, 1))) {
            for (String durability : ackDurabilities) {
                measure(settings("file", durability, "null"), shape, false);
            }
        }
    }

    private OurAggregator.Settings settings(String buffer, String durability, String output) {
        return new OurAggregator.Settings(buffer, durability, output, javaOpts, home);
    }

    private Measurement.Result measure(OurAggregator.Settings settings, Shape shape, boolean sizeByDrain)
            throws Exception {
        try (OurAggregator target = OurAggregator.start(settings)) {
            return measure(target, shape, true, sizeByDrain);
        }
    }

    private Measurement.Result measure(Target target, Shape shape, boolean drain, boolean sizeByDrain)
            throws Exception {
        long warm =
                orDefault(warmupEvents, shape.batch() == 1 ? (smoke ? 2_000L : 20_000L) : (smoke ? 20_000L : 300_000L));
        Measurement.Result r = Measurement.warmAndMeasure(
                target,
                shape,
                warm,
                orDefault(warmupSeconds, smoke ? 0.0 : 30.0),
                orDefault(seconds, smoke ? 2.0 : 10.0),
                1,
                target.name(),
                drain,
                sizeByDrain);
        System.out.println(r);
        return r;
    }

    private List<Shape> shapes(List<Integer> conns, int eventsPerMessage) {
        List<Shape> shapes = new ArrayList<>();
        for (int c : conns) {
            for (int w : windows) {
                for (int b : eventBytes) {
                    shapes.add(new Shape(c, eventsPerMessage, b, w, gzip));
                }
            }
        }
        return shapes;
    }

    private void bridgeCost() throws Exception {
        long n = orDefault(events, smoke ? 40_000L : 2_000_000L);
        KplBridgeBenchmark.main(new String[] {
            "--target",
            "null",
            "--mode",
            "java",
            "--events",
            Long.toString(n),
            "--warmup-events",
            Long.toString(n / 5),
            "--chunk-events",
            smoke ? "8000" : "40000",
            "--writers",
            "2"
        });
    }

    /** Half the maximum rate (or --rate) for --minutes, in one-minute slices: events/s, p99, RSS, heap. */
    private void soak() throws Exception {
        Shape shape = shapes(orDefault(connections, List.of(4)), orDefault(batch, 1000))
                .get(0);
        if (!List.of("null", "kinesis").contains(soakOutput)) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "--soak-output: null or kinesis, not " + soakOutput);
        }
        try (OurAggregator target = OurAggregator.start(settings("file", "fsync", soakOutput))) {
            long r = rate != null
                    ? rate
                    : (long) (measure(target, shape, true, false).eventsPerSecond() / 2);
            double sliceSeconds = smoke ? 2 : 60;
            int slices = smoke && minutes == null
                    ? 2
                    : (int) Math.max(1, Math.round(orDefault(minutes, 30.0) * 60 / sliceSeconds));
            System.out.printf(
                    Locale.ROOT,
                    "soak: output=%s rate=%d events/s slices=%d of %.0f s%n",
                    soakOutput,
                    r,
                    slices,
                    sliceSeconds);
            long minRss = Long.MAX_VALUE;
            long maxRss = 0;
            long maxHeap = 0;
            List<Long> p99s = new ArrayList<>();
            for (int i = 1; i <= slices; i++) {
                Measurement.Result m =
                        Measurement.run(target, shape, (long) (r * sliceSeconds), r, "soak-slice-" + i, false);
                long rss = rssKib(target);
                String rssByProcess = rssByProcess(target);
                long heap = heapUsed(target.pid());
                minRss = Math.min(minRss, rss);
                maxRss = Math.max(maxRss, rss);
                maxHeap = Math.max(maxHeap, heap);
                p99s.add(m.load().ackP99Micros());
                System.out.printf(
                        Locale.ROOT,
                        "soak-slice: %d events/s=%.0f ack_p99_ms=%.2f rss_mib=%d%s heap_used_mib=%d cpu_s_per_1m=%.2f%n",
                        i,
                        m.eventsPerSecond(),
                        m.load().ackP99Micros() / 1000.0,
                        rss / 1024,
                        rssByProcess,
                        heap >> 20,
                        m.cpuSecondsPerMillion());
            }
            System.out.printf(
                    Locale.ROOT,
                    "soak-summary: rate=%d rss_min_mib=%d rss_max_mib=%d rss_spread=%.1f%% heap_max_mib=%d"
                            + " ack_p99_ms_first=%.2f ack_p99_ms_last=%.2f%n",
                    r,
                    minRss / 1024,
                    maxRss / 1024,
                    100.0 * (maxRss - minRss) / Math.max(1, minRss),
                    maxHeap >> 20,
                    p99s.get(0) / 1000.0,
                    p99s.get(p99s.size() - 1) / 1000.0);
        }
    }

    /** The current RSS of the target's processes together (the JVM and, on Kinesis paths, its KPL daemon). */
    private static long rssKib(Target target) {
        long kib = 0;
        for (List<Long> pids : target.processes().values()) {
            for (long pid : pids) {
                kib += ProcStats.rssKib(pid);
            }
        }
        return kib;
    }

    /** " (jvm=N kpl=M)" in MiB when the target has more than one kind of process, else "". */
    private static String rssByProcess(Target target) {
        Map<String, List<Long>> processes = target.processes();
        if (processes.size() < 2) {
            return "";
        }
        StringBuilder b = new StringBuilder(" (");
        for (Map.Entry<String, List<Long>> e : processes.entrySet()) {
            long kib = 0;
            for (long pid : e.getValue()) {
                kib += ProcStats.rssKib(pid);
            }
            b.append(b.length() > 2 ? " " : "").append(e.getKey()).append('=').append(kib / 1024);
        }
        return b.append(')').toString();
    }

    /** The aggregator's used heap, bytes, from {@code jcmd PID GC.heap_info} (it exposes no JVM meters). */
    private static long heapUsed(long pid) throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        Long.toString(pid),
                        "GC.heap_info")
                .redirectErrorStream(true)
                .start();
        String text = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        jcmd.waitFor(30, TimeUnit.SECONDS);
        Matcher m = HEAP_USED.matcher(text);
        long kib = 0;
        while (m.find()) {
            kib += Long.parseLong(m.group(2));
        }
        return kib * 1024;
    }

    /** The disk's write+fdatasync rate and loopback TCP throughput, in the same run. */
    private void rawLimits() throws Exception {
        int mib = smoke ? 16 : 256;
        BufferBenchmark.rawDisk(work, 4 * 1024, smoke ? 2 : 8);
        BufferBenchmark.rawDisk(work, 64 * 1024, mib);
        BufferBenchmark.rawDisk(work, 4 * 1024 * 1024, mib);
        double secs = smoke ? 1 : 5;
        for (int conns : new int[] {1, 4}) {
            loopback(conns, 256 * 1024, secs);
        }
    }

    /** {@code conns} connections each writing {@code blockBytes} blocks for {@code secs}; a reader per connection. */
    private static void loopback(int conns, int blockBytes, double secs) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(conns * 2);
        AtomicLong received = new AtomicLong();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Future<?>> tasks = new ArrayList<>();
            for (int i = 0; i < conns; i++) {
                tasks.add(pool.submit(() -> {
                    try (Socket s = server.accept();
                            InputStream in = s.getInputStream()) {
                        byte[] buf = new byte[1 << 20];
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            received.addAndGet(n);
                        }
                    }
                    return null;
                }));
            }
            long deadline = System.nanoTime() + (long) (secs * 1e9);
            long t0 = System.nanoTime();
            for (int i = 0; i < conns; i++) {
                tasks.add(pool.submit(() -> {
                    byte[] block = new byte[blockBytes];
                    Arrays.fill(block, (byte) 'x');
                    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                            OutputStream out = s.getOutputStream()) {
                        while (System.nanoTime() < deadline) {
                            out.write(block);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : tasks) {
                f.get(60, TimeUnit.SECONDS);
            }
            double elapsed = (System.nanoTime() - t0) / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "raw-loopback-tcp: connections=%d block=%d bytes: %.0f MB/s%n",
                    conns,
                    blockBytes,
                    received.get() / elapsed / 1e6);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Fluent Bit from --fluent-bit or $FLUENT_BIT, or null with the reason printed. */
    private Path fluentBitOrSkip() {
        Path flb = fluentBit != null ? fluentBit : env("FLUENT_BIT");
        if (flb == null || !Files.isExecutable(flb)) {
            System.out.println("skipped: Fluent Bit: no executable in --fluent-bit or $FLUENT_BIT (" + flb
                    + "); build one with /work/shared/peers/build-fluent-bit.sh or pass an installed fluent-bit");
            return null;
        }
        return flb;
    }

    /**
     * The Kinesis path, ours against Fluent Bit's {@code kinesis_streams}, each shape back to back
     * on fresh servers into one null Kinesis: end-to-end events/s (every event at the null
     * Kinesis), Kinesis records and PUT payload units per million events, CPU and RSS per process.
     * Without Fluent Bit it is skipped whole (ours alone is {@code e2e-null-kinesis}).
     */
    private void vsPeersKinesis() throws Exception {
        Path flb = fluentBitOrSkip();
        if (flb == null) {
            System.out.println("skipped: vs-peers-kinesis: nothing to compare against (ours alone: e2e-null-kinesis)");
            return;
        }
        Map<Shape, Map<String, Measurement.Result>> results = new LinkedHashMap<>();
        try (NullKinesis nk = NullKinesis.start(4, 4)) {
            for (Shape shape : shapes(orDefault(connections, List.of(4)), orDefault(batch, 1000))) {
                Map<String, Measurement.Result> row = new LinkedHashMap<>();
                results.put(shape, row);
                for (String name :
                        List.of("ours-fsync-kinesis", "fluent-bit-kinesis", "fluent-bit-kinesis-simple-agg")) {
                    if (targets != null && !targets.contains(name)) {
                        continue;
                    }
                    Target target = name.startsWith("ours-")
                            ? OurAggregator.start(settings("file", "fsync", "kinesis"), nk)
                            : PeerProcess.fluentBitKinesis(flb, nk, name.endsWith("-simple-agg"));
                    try (target) {
                        row.put(name, measure(target, shape, true, true));
                    } catch (Exception e) {
                        System.out.println("failed: target=" + name + " " + shape + ": " + e);
                    }
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "null-kinesis: requests=%d invalid_requests=%d records=%d aggregated_records=%d%s%n",
                    nk.requests(),
                    nk.invalidRequests(),
                    nk.records(),
                    nk.aggregatedRecords(),
                    nk.lastInvalid() == null ? "" : " last_invalid=" + nk.lastInvalid());
            if (nk.invalidRequests() > 0) {
                throw new IllegalStateException("the null Kinesis rejected " + nk.invalidRequests() + " requests");
            }
        }
        System.out.println();
        System.out.println("| shape | target | end-to-end events/s | ingest events/s | Kinesis records per 1M events"
                + " | PUT units per 1M (25,600 B / 25,000 B) | CPU-s per 1M events | peak RSS MiB |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        results.forEach((shape, row) -> row.forEach((name, r) -> System.out.printf(
                Locale.ROOT,
                "| %s | %s | %,.0f | %,.0f | %,.0f | %,.0f / %,.0f | %s | %s |%n",
                shape.tableLabel(),
                name,
                r.endToEndEventsPerSecond(),
                r.eventsPerSecond(),
                r.kinesis().records() * 1e6 / r.events(),
                r.kinesis().units25600() * 1e6 / r.events(),
                r.kinesis().units25000() * 1e6 / r.events(),
                perProcess(r.cpuSeconds(), v -> String.format(Locale.ROOT, "%.2f", v * 1e6 / r.events()))
                        + String.format(
                                Locale.ROOT, " (null Kinesis %.2f)", r.kinesis().serverCpuNanos() / 1e3 / r.events()),
                perProcess(r.peakRssKib(), v -> Long.toString(v / 1024)))));
        System.out.println();
        results.forEach((shape, row) -> {
            Measurement.Result ours = row.get("ours-fsync-kinesis");
            if (ours == null) {
                return;
            }
            row.forEach((peer, r) -> {
                if (!peer.startsWith("ours-")) {
                    double speed = ours.endToEndEventsPerSecond() / r.endToEndEventsPerSecond();
                    double fewer = (double) r.kinesis().records()
                            / r.events()
                            / ((double) ours.kinesis().records() / ours.events());
                    System.out.printf(
                            Locale.ROOT,
                            "ratio: %s ours-fsync-kinesis vs_%s: end_to_end=%.2fx (target >= 2x: %s)"
                                    + " %.2fx fewer Kinesis records (target >= 100x: %s);"
                                    + " ours %,.0f events/s (target >= 400,000: %s)%n",
                            shape,
                            peer,
                            speed,
                            speed >= 2 ? "met" : "missed",
                            fewer,
                            fewer >= 100 ? "met" : "missed",
                            ours.endToEndEventsPerSecond(),
                            ours.endToEndEventsPerSecond() >= 400_000 ? "met" : "missed");
                }
            });
        });
    }

    private static <V> String perProcess(Map<String, V> values, Function<V, String> format) {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) ->
                sb.append(sb.length() == 0 ? "" : ", ").append(k).append(' ').append(format.apply(v)));
        return sb.toString();
    }

    /** Ours (fsync, write, memory) and the peers, each shape back to back on fresh servers; ratios at the end. */
    private void vsPeers() throws Exception {
        Path flb = fluentBitOrSkip();
        Path fd = fluentd != null ? fluentd : env("FLUENTD");
        if (fd == null || !Files.exists(fd)) {
            System.out.println("skipped: Fluentd: no checkout or executable in --fluentd or $FLUENTD (" + fd
                    + "); see /work/shared/peers/fluentd.sh or pass an installed fluentd");
            fd = null;
        }
        List<String> only = targets;
        if (smoke && flb == null && fd == null && only == null) {
            // nothing to compare against: ours-write and ours-memory are ingest-write and ingest-memory
            System.out.println("skipped: vs-peers --smoke without a peer: ours-fsync only, 4 connections");
            only = List.of("ours-fsync");
        }
        List<Shape> shapes = new ArrayList<>(
                shapes(orDefault(connections, smoke ? List.of(4) : List.of(4, 32)), orDefault(batch, 1000)));
        if (!noSmallMessages) {
            shapes.add(new Shape(16, 1, eventBytes.get(0), 1, gzip));
        }
        Map<Shape, Map<String, Measurement.Result>> results = new LinkedHashMap<>();
        for (Shape shape : shapes) {
            Map<String, Measurement.Result> row = new LinkedHashMap<>();
            results.put(shape, row);
            for (String name : List.of(
                    "ours-fsync",
                    "ours-write",
                    "ours-memory",
                    "fluent-bit-memory-w1",
                    "fluent-bit-memory-w2",
                    "fluent-bit-filesystem-w1",
                    "fluentd-file")) {
                if (only != null && !only.contains(name)) {
                    continue;
                }
                Target target;
                if (name.startsWith("ours-")) {
                    String b = name.substring(5);
                    target = OurAggregator.start(settings(b.equals("memory") ? "memory" : "file", b, "null"));
                } else if (name.startsWith("fluent-bit-")) {
                    if (flb == null) {
                        continue;
                    }
                    String[] p = name.split("-");
                    target = PeerProcess.fluentBit(flb, p[2], Integer.parseInt(p[3].substring(1)));
                } else {
                    if (fd == null) {
                        continue;
                    }
                    target = PeerProcess.fluentd(fd);
                }
                try (target) {
                    // peers: ingest only (acks received); ours drains too (its figure is printed separately)
                    row.put(name, measure(target, shape, name.startsWith("ours-"), false));
                } catch (Exception e) {
                    // e.g. a peer that stops acking under load: reported, and the run goes on
                    System.out.println("failed: target=" + name + " " + shape + ": " + e);
                }
            }
        }
        System.out.println();
        System.out.println("| shape | target | events/s | MB/s | ack p50 / p99 / p99.9 ms | CPU-s per 1M events"
                + " | peak RSS MiB |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
        results.forEach((shape, row) -> row.forEach((name, r) -> System.out.printf(
                Locale.ROOT,
                "| %s | %s | %,.0f | %.1f | %.2f / %.2f / %.2f | %.2f | %d |%n",
                shape.tableLabel(),
                name,
                r.eventsPerSecond(),
                r.load().bytes() / r.ingestSeconds() / 1e6,
                r.load().ackP50Micros() / 1000.0,
                r.load().ackP99Micros() / 1000.0,
                r.load().ackP999Micros() / 1000.0,
                r.cpuSecondsPerMillion(),
                r.peakRssKib().values().stream().mapToLong(Long::longValue).sum() / 1024)));
        System.out.println();
        results.forEach((shape, row) -> {
            for (Map.Entry<String, Measurement.Result> ours : row.entrySet()) {
                if (!ours.getKey().startsWith("ours-")) {
                    continue;
                }
                StringBuilder sb = new StringBuilder("ratio: " + shape + " " + ours.getKey());
                row.forEach((peer, r) -> {
                    if (!peer.startsWith("ours-")) {
                        sb.append(String.format(
                                Locale.ROOT,
                                " vs_%s=%.2fx",
                                peer,
                                ours.getValue().eventsPerSecond() / r.eventsPerSecond()));
                    }
                });
                System.out.println(sb);
            }
        });
    }

    private static Path env(String name) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? null : Path.of(v);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().replace(' ', '/');
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static <T> T orDefault(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
