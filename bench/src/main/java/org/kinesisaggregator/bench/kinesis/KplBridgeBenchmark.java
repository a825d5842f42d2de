package org.kinesisaggregator.bench.kinesis;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.kinesisaggregator.buffer.EntryWriter;
import org.kinesisaggregator.buffer.InMemoryChunk;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.kinesis.AggregationMode;
import org.kinesisaggregator.kinesis.KinesisHealth;
import org.kinesisaggregator.kinesis.KinesisOutput;
import org.kinesisaggregator.kinesis.KinesisOutputSettings;
import org.kinesisaggregator.kinesis.KplSettings;
import org.kinesisaggregator.kinesis.OutputType;
import org.kinesisaggregator.kinesis.ProducerPool;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;
import org.kinesisaggregator.kinesis.testing.TestEvents;

/**
 * Chunks → {@link KinesisOutput} → real KPL daemon → Kinesis (the null Kinesis, or kinesalite),
 * with fixed event counts: events/s, CPU per event split by who spends it (the bridge's writer
 * threads, the rest of the JVM, the KPL daemon), aggregation ratio, Kinesis record size and PUT
 * payload unit fill.
 *
 * <pre>
 * java ... KplBridgeBenchmark [--target null|kinesalite] [--mode java|kpl] [--events 1000000]
 *     [--event-bytes 200] [--chunk-events 10000] [--writers 2] [--shards 4] [--in-flight-mib 8]
 *     [--partition-key none|user] [--keys 1000] [--grouping shard|key] [--warmup-events 200000] [--seed 42]
 *     [--kpl record_max_buffered_time=20,rate_limit=150]
 * </pre>
 *
 * Writers play buffer-store's flush threads: each takes the next chunk, writes it, applies the
 * result and re-writes what failed. Chunks are pre-built (16 distinct ones, reused) so that event
 * generation is not measured.
 */
public final class KplBridgeBenchmark {

    private KplBridgeBenchmark() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = parse(args);
        String target = o.getOrDefault("target", "null");
        AggregationMode mode = AggregationMode.fromConfName(o.getOrDefault("mode", "java"));
        long events = Long.parseLong(o.getOrDefault("events", "1000000"));
        long warmup = Long.parseLong(o.getOrDefault("warmup-events", Long.toString(Math.min(200_000, events / 5))));
        int eventBytes = Integer.parseInt(o.getOrDefault("event-bytes", "200"));
        int chunkEvents = Integer.parseInt(o.getOrDefault("chunk-events", "10000"));
        int writers = Integer.parseInt(o.getOrDefault("writers", "2"));
        int shards = Integer.parseInt(o.getOrDefault("shards", "4"));
        long inFlight = Long.parseLong(o.getOrDefault("in-flight-mib", "8")) * 1024 * 1024;
        String partitionKey = o.getOrDefault("partition-key", "none");
        int keys = Integer.parseInt(o.getOrDefault("keys", "1000"));
        String grouping = o.getOrDefault("grouping", "shard");
        long seed = Long.parseLong(o.getOrDefault("seed", "42"));

        System.out.printf(
                Locale.ROOT,
                "config: jdk=%s cpu=\"%s\" cores=%d target=%s mode=%s events=%d warmup=%d event_bytes=%d "
                        + "chunk_events=%d writers=%d shards=%d in_flight_mib=%d partition_key=%s keys=%d grouping=%s seed=%d kpl=%s%n",
                System.getProperty("java.version"),
                cpuModel(),
                Runtime.getRuntime().availableProcessors(),
                target,
                mode.confName(),
                events,
                warmup,
                eventBytes,
                chunkEvents,
                writers,
                shards,
                inFlight >> 20,
                partitionKey,
                keys,
                grouping,
                seed,
                o.getOrDefault("kpl", "-"));

        List<ByteBuffer> entries =
                buildChunks(new Random(seed), 16, chunkEvents, eventBytes, partitionKey.equals("user") ? keys : 0);
        Path work = Files.createTempDirectory("kpl-bridge-bench");
        NullKinesis nullKinesis = null;
        LocalKinesis kinesalite = null;
        try {
            KinesisOutputSettings.Builder builder = KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "bench")
                    .aggregation(mode)
                    .maxInFlightBytes(inFlight)
                    .kplTempDirectory(work.resolve("kpl"))
                    .partitionGrouping(KinesisOutputSettings.PartitionGrouping.fromConfName(grouping));
            if (partitionKey.equals("user")) {
                builder.partitionKey("user");
            }
            Map<String, String> kpl = new TreeMap<>(Map.of("metrics_level", "none", "log_level", "error"));
            for (String pair : o.getOrDefault("kpl", "").split(",")) {
                if (!pair.isBlank()) {
                    kpl.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
                }
            }
            if (target.equals("null")) {
                nullKinesis = NullKinesis.start(shards, 2);
                builder.region(LocalKinesis.REGION)
                        .endpoint(nullKinesis.endpoint())
                        .sslVerifyPeer(false)
                        .credentials(LocalKinesis.credentials())
                        .kpl(new KplSettings(kpl));
            } else {
                kinesalite = LocalKinesis.start(LocalKinesis.options().workDirectory(work.resolve("kinesalite")));
                kinesalite.createStream("bench", shards);
                kinesalite.configure(builder, kpl);
            }
            KinesisOutputSettings settings = builder.build();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (ProducerPool pool = new ProducerPool(registry, new KinesisHealth());
                    KinesisOutput output = new KinesisOutput(settings, pool, new KinesisHealth(), registry)) {
                output.start();
                run(output, entries, chunkEvents, warmup, writers, null);
                Snapshot before = Snapshot.take(pool, nullKinesis, kinesalite, registry);
                ThreadCpu writerCpu = new ThreadCpu();
                long start = System.nanoTime();
                long retried = run(output, entries, chunkEvents, events, writers, writerCpu);
                long wallNanos = System.nanoTime() - start;
                Snapshot after = Snapshot.take(pool, nullKinesis, kinesalite, registry);
                report(events, wallNanos, writerCpu.total(), before, after, retried, nullKinesis);
                long rss = 0;
                for (long pid : pool.daemonPids()) {
                    rss += peakRssKib(pid);
                }
                System.out.printf(
                        Locale.ROOT,
                        "memory: daemon_peak_rss_mib=%.0f jvm_heap_used_mib=%.0f%n",
                        rss / 1024.0,
                        (Runtime.getRuntime().totalMemory()
                                        - Runtime.getRuntime().freeMemory())
                                / 1048576.0);
            }
        } finally {
            if (nullKinesis != null) {
                nullKinesis.close();
            }
            if (kinesalite != null) {
                kinesalite.close();
            }
        }
    }

    /** Writes {@code events} events as chunks from {@code writers} threads; returns how many events had to be re-sent. */
    private static long run(
            KinesisOutput output, List<ByteBuffer> entries, int chunkEvents, long events, int writers, ThreadCpu cpu)
            throws Exception {
        long chunks = (events + chunkEvents - 1) / chunkEvents;
        AtomicLong next = new AtomicLong();
        AtomicLong retried = new AtomicLong();
        List<CompletableFuture<Void>> running = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            Thread thread = new Thread(
                    () -> {
                        try {
                            long c;
                            while ((c = next.getAndIncrement()) < chunks) {
                                ByteBuffer buffer =
                                        entries.get((int) (c % entries.size())).duplicate();
                                InMemoryChunk chunk =
                                        InMemoryChunk.of("c" + c, "bench.access", buffer, chunkEvents, Instant.now());
                                int pending = chunkEvents;
                                for (int attempt = 0; pending > 0; attempt++) {
                                    if (attempt > 100) {
                                        throw new IllegalStateException(
                                                "chunk " + c + " not delivered after 100 attempts");
                                    }
                                    WriteResult result = output.write(chunk).get(5, TimeUnit.MINUTES);
                                    int before = pending;
                                    pending = chunk.apply(result);
                                    if (!result.rejected().isEmpty()) {
                                        throw new IllegalStateException("rejected events: "
                                                + result.rejected()
                                                        .values()
                                                        .iterator()
                                                        .next());
                                    }
                                    if (pending > 0) {
                                        retried.addAndGet(pending);
                                    }
                                    if (pending == before && attempt > 10) {
                                        throw new IllegalStateException("no progress: " + result.failureReason());
                                    }
                                }
                            }
                            if (cpu != null) {
                                cpu.add(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
                            }
                            done.complete(null);
                        } catch (Throwable e) {
                            done.completeExceptionally(e);
                        }
                    },
                    "bench-writer-" + w);
            thread.start();
            running.add(done);
        }
        for (CompletableFuture<Void> done : running) {
            done.get(30, TimeUnit.MINUTES);
        }
        return retried.get();
    }

    private static void report(
            long events,
            long wallNanos,
            long writerCpuNanos,
            Snapshot before,
            Snapshot after,
            long retried,
            NullKinesis nullKinesis) {
        double seconds = wallNanos / 1e9;
        double jvmCpu = (after.jvmCpuNanos - before.jvmCpuNanos) / 1e9;
        double serverCpu = (after.serverCpuNanos - before.serverCpuNanos) / 1e9;
        double daemonCpu = (after.daemonCpuTicks - before.daemonCpuTicks) / 100.0;
        double records = after.recordsPut - before.recordsPut;
        double bytes = after.bytesPut - before.bytesPut;
        double perMillion = 1_000_000.0 / events;
        System.out.printf(
                Locale.ROOT,
                "result: events_per_s=%.0f wall_s=%.2f writer_cpu_s_per_1m=%.2f jvm_cpu_s_per_1m=%.2f "
                        + "daemon_cpu_s_per_1m=%.2f target_cpu_s_per_1m=%.2f kinesis_records=%.0f aggregation_ratio=%.1f "
                        + "mean_record_bytes=%.0f retried_events=%d%n",
                events / seconds,
                seconds,
                writerCpuNanos / 1e9 * perMillion,
                (jvmCpu - serverCpu) * perMillion,
                daemonCpu * perMillion,
                (after.targetCpuTicks - before.targetCpuTicks) / 100.0 * perMillion + serverCpu * perMillion,
                records,
                events / Math.max(1, records),
                bytes / Math.max(1, records),
                retried);
        if (nullKinesis != null) {
            // What reached "Kinesis" during the measured run, whoever aggregated it (us or KPL).
            long kinesisRecords = after.nullRecords - before.nullRecords;
            long kinesisBytes = after.nullBytes - before.nullBytes;
            long units = after.nullUnits - before.nullUnits;
            System.out.printf(
                    Locale.ROOT,
                    "null_kinesis: put_records_calls=%d kinesis_records=%d aggregated_records=%d "
                            + "events_per_kinesis_record=%.1f mean_record_bytes=%.0f put_units=%d unit_fill=%.1f%% invalid_requests=%d%s%n",
                    after.nullRequests - before.nullRequests,
                    kinesisRecords,
                    after.nullAggregated - before.nullAggregated,
                    (double) events / Math.max(1, kinesisRecords),
                    (double) kinesisBytes / Math.max(1, kinesisRecords),
                    units,
                    100.0 * kinesisBytes / Math.max(1.0, (double) units * NullKinesis.PUT_PAYLOAD_UNIT_BYTES),
                    nullKinesis.invalidRequests(),
                    nullKinesis.lastInvalid() == null ? "" : " last_invalid=\"" + nullKinesis.lastInvalid() + "\"");
        }
    }

    private record Snapshot(
            long jvmCpuNanos,
            long serverCpuNanos,
            long daemonCpuTicks,
            long targetCpuTicks,
            double recordsPut,
            double bytesPut,
            long nullRecords,
            long nullAggregated,
            long nullBytes,
            long nullUnits,
            long nullRequests) {
        static Snapshot take(
                ProducerPool pool, NullKinesis nullKinesis, LocalKinesis kinesalite, SimpleMeterRegistry registry) {
            long jvm = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getProcessCpuTime();
            long daemon = 0;
            for (long pid : pool.daemonPids()) {
                daemon += cpuTicks(pid);
            }
            long node = kinesalite == null ? 0 : cpuTicks(kinesalite.pid());
            double records = registry.find("kinesis.records.put").counters().stream()
                    .mapToDouble(c -> c.count())
                    .sum();
            double bytes = registry.find("kinesis.put.bytes").counters().stream()
                    .mapToDouble(c -> c.count())
                    .sum();
            return new Snapshot(
                    jvm,
                    nullKinesis == null ? 0 : nullKinesis.cpuNanos(),
                    daemon,
                    node,
                    records,
                    bytes,
                    nullKinesis == null ? 0 : nullKinesis.records(),
                    nullKinesis == null ? 0 : nullKinesis.aggregatedRecords(),
                    nullKinesis == null ? 0 : nullKinesis.bytes(),
                    nullKinesis == null ? 0 : nullKinesis.putUnits(),
                    nullKinesis == null ? 0 : nullKinesis.requests());
        }
    }

    /** utime + stime of a process, in clock ticks (100 per second on Linux). */
    private static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** VmHWM (peak resident set) of a process, in KiB. */
    private static long peakRssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }

    private static final class ThreadCpu {
        private final AtomicLong nanos = new AtomicLong();

        void add(long value) {
            nanos.addAndGet(value);
        }

        long total() {
            return nanos.get();
        }
    }

    private static List<ByteBuffer> buildChunks(Random random, int count, int chunkEvents, int eventBytes, int keys) {
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            EntryWriter writer = new EntryWriter();
            List<Map<String, Object>> records =
                    TestEvents.records(random, (long) i * chunkEvents, chunkEvents, eventBytes);
            for (int j = 0; j < records.size(); j++) {
                Map<String, Object> record = records.get(j);
                if (keys > 0) {
                    record.put("user", "u" + random.nextInt(keys));
                }
                writer.add(1_700_000_000L + j / 1000, (j % 1000) * 1_000_000, record);
            }
            out.add(writer.toByteBuffer());
        }
        return out;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("argument " + args[i] + " (expected: --name value pairs)");
            }
            out.put(args[i].substring(2), args[++i]);
        }
        return out;
    }
}
