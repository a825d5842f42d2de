package org.kinesisaggregator.bench.buffer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferSettings.AckDurability;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.Buffers;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.EntryWriter;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.RetrySettings;
import org.kinesisaggregator.buffer.WriteResult;
import org.msgpack.core.MessagePack;

/**
 * Appends/s and MB/s into a file buffer ({@code ack_durability fsync} and {@code write}, 1 KiB and
 * 64 KiB appends, 1..64 concurrent appenders), fsyncs/s, the raw fsync'd sequential write speed of
 * the same disk in the same run, and the recovery time of a 2 GiB buffer with half of it delivered.
 *
 * <p>Usage: {@code BufferBenchmark <work dir on the disk to measure> [quick]}. Fixed counts, one
 * warm-up round per configuration, figures printed one line each. The output delivers instantly
 * (without reading), so chunks are purged and the disk is recycled while appends run.
 */
public final class BufferBenchmark {
    private static final int[] APPENDERS = {1, 4, 16, 64};

    private BufferBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "target/buffer-bench");
        boolean quick = args.length > 1 && args[1].equals("quick");
        Files.createDirectories(work);
        System.out.printf(
                Locale.ROOT,
                "config: jdk=%s cpus=%d work=%s quick=%s%n",
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                work.toAbsolutePath(),
                quick);

        rawDisk(work, 64 * 1024, quick ? 64 : 256);
        rawDisk(work, 4 * 1024 * 1024, quick ? 64 : 256);
        rawDisk(work, 1024, quick ? 2 : 8);

        for (AckDurability durability : AckDurability.values()) {
            for (int appendBytes : new int[] {1024, 64 * 1024}) {
                for (int appenders : APPENDERS) {
                    int appends = appendBytes == 1024 ? (quick ? 2_000 : 10_000) : (quick ? 500 : 2_000);
                    if (durability == AckDurability.WRITE) {
                        appends *= 4;
                    }
                    appendRun(work, durability, appendBytes, appenders, appends);
                }
            }
        }
        recovery(work, quick ? 256L << 20 : 2L << 30);
    }

    /** write(2) + fdatasync of {@code blockBytes} blocks, sequentially, one writer; prints and returns MB/s. */
    public static double rawDisk(Path work, int blockBytes, int megabytes) throws IOException {
        Path f = work.resolve("raw.bin");
        ByteBuffer block = ByteBuffer.allocateDirect(blockBytes);
        for (int i = 0; i < blockBytes; i++) {
            block.put(i, (byte) i);
        }
        long total = (long) megabytes << 20;
        long blocks = Math.max(1, total / blockBytes);
        try (FileChannel ch = FileChannel.open(
                f, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            long t0 = System.nanoTime();
            for (long i = 0; i < blocks; i++) {
                block.clear();
                while (block.hasRemaining()) {
                    ch.write(block);
                }
                ch.force(false);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double mbps = blocks * (double) blockBytes / secs / 1e6;
            System.out.printf(
                    Locale.ROOT,
                    "raw-disk: block=%d bytes, %d blocks, write+fdatasync each: %.1f MB/s, %.0f fsyncs/s%n",
                    blockBytes,
                    blocks,
                    mbps,
                    blocks / secs);
            return mbps;
        } finally {
            Files.deleteIfExists(f);
        }
    }

    /** Events of ~200 bytes making one append of about {@code appendBytes}. */
    static ByteBuffer entries(int appendBytes) {
        EntryWriter w = new EntryWriter();
        String pad = "x".repeat(150);
        int n = 0;
        while (w.toByteArray().length + 220 <= appendBytes || n == 0) {
            w.add(1_700_000_000L + n, 0, Map.of("message", pad, "host", "web-" + (n % 7), "n", n));
            n++;
        }
        return ByteBuffer.wrap(w.toByteArray());
    }

    static int eventsIn(ByteBuffer entries) throws IOException {
        int n = 0;
        try (var u = MessagePack.newDefaultUnpacker(entries.duplicate())) {
            while (u.hasNext()) {
                u.skipValue();
                n++;
            }
        }
        return n;
    }

    /** Delivers instantly without reading: the benchmark measures the buffer, not an output. */
    static final class NullOutput implements Output {
        @Override
        public String type() {
            return "null";
        }

        @Override
        public CompletableFuture<WriteResult> write(Chunk chunk) {
            return CompletableFuture.completedFuture(WriteResult.allDelivered());
        }
    }

    static BufferSettings settings(Path dir, AckDurability durability) {
        return BufferSettings.builder(BufferType.FILE, dir)
                .ackDurability(durability)
                .chunkLimitBytes(8L << 20)
                .totalLimitBytes(4L << 30)
                .flushThreadInterval(Duration.ofMillis(50))
                .flushThreadBurstInterval(Duration.ZERO)
                .overflowAction(BufferSettings.OverflowAction.BLOCK)
                .build();
    }

    static void appendRun(Path work, AckDurability durability, int appendBytes, int appenders, int appends)
            throws Exception {
        ByteBuffer entries = entries(appendBytes);
        int events = eventsIn(entries);
        for (int round = 0; round < 2; round++) {
            boolean warmUp = round == 0;
            int count = warmUp ? Math.max(appenders, appends / 10) : appends;
            Path dir = work.resolve("append-" + durability + "-" + appendBytes + "-" + appenders);
            deleteTree(dir);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            EventBuffer buffer = Buffers.create(
                    "bench", settings(dir, durability), new NullOutput(), null, Clock.systemUTC(), registry);
            // The disk's speed drifts (shared virtual disk): measure the raw limit right before the run.
            double raw64k = 0;
            double raw4m = 0;
            if (!warmUp && durability == AckDurability.FSYNC && appendBytes > 1024) {
                raw64k = rawDisk(work, 64 * 1024, 64);
                raw4m = rawDisk(work, 4 * 1024 * 1024, 64);
            }
            buffer.start();
            AtomicLong next = new AtomicLong();
            CountDownLatch done = new CountDownLatch(appenders);
            AtomicReference<Exception> failure = new AtomicReference<>();
            long t0 = System.nanoTime();
            for (int a = 0; a < appenders; a++) {
                Thread t = new Thread(() -> {
                    try {
                        while (next.getAndIncrement() < count) {
                            buffer.append("bench.tag", entries, events, null).get(60, TimeUnit.SECONDS);
                        }
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        done.countDown();
                    }
                });
                t.start();
            }
            done.await();
            if (failure.get() != null) {
                throw new IllegalStateException("an appender failed; the run's figures would be wrong", failure.get());
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double fsyncs = registry.get("buffer.fsyncs").counter().count();
            double fsyncMeanMillis =
                    registry.get("buffer.fsync.latency").timer().mean(TimeUnit.MICROSECONDS) / 1000;
            buffer.close();
            deleteTree(dir);
            if (!warmUp) {
                System.out.printf(
                        Locale.ROOT,
                        "append: ack=%s append=%d bytes (%d events) appenders=%d appends=%d: "
                                + "%.0f appends/s, %.1f MB/s, %.0f events/s, %.0f fsyncs/s (%.2f appends/fsync, mean fsync %.2f ms)%n",
                        durability.name().toLowerCase(Locale.ROOT),
                        entries.remaining(),
                        events,
                        appenders,
                        count,
                        count / secs,
                        count * (double) entries.remaining() / secs / 1e6,
                        count * (double) events / secs,
                        fsyncs / secs,
                        fsyncs == 0 ? 0 : count / fsyncs,
                        fsyncMeanMillis);
                if (raw64k > 0) {
                    double mbps = count * (double) entries.remaining() / secs / 1e6;
                    System.out.printf(
                            Locale.ROOT,
                            "ratio: appenders=%d buffer %.1f MB/s = %.0f%% of raw 64 KiB write+fdatasync "
                                    + "(%.1f MB/s), %.0f%% of raw 4 MiB write+fdatasync (%.1f MB/s), measured just before%n",
                            appenders,
                            mbps,
                            100 * mbps / raw64k,
                            raw64k,
                            100 * mbps / raw4m,
                            raw4m);
                }
            }
        }
    }

    /** Fills a buffer with {@code totalBytes} of 64 KiB appends, delivers half the chunks, restarts it. */
    public static void recovery(Path work, long totalBytes) throws Exception {
        Path dir = work.resolve("recovery");
        deleteTree(dir);
        ByteBuffer entries = entries(64 * 1024);
        int events = eventsIn(entries);
        long appends = totalBytes / entries.remaining();
        // An output that refuses everything until told to deliver the older half.
        final long[] deliverBelowId = {-1};
        Output gated = new Output() {
            @Override
            public String type() {
                return "gated";
            }

            @Override
            public CompletableFuture<WriteResult> write(Chunk chunk) {
                long id = Long.parseUnsignedLong(chunk.id(), 16);
                synchronized (deliverBelowId) {
                    return CompletableFuture.completedFuture(
                            id < deliverBelowId[0]
                                    ? WriteResult.allDelivered()
                                    : WriteResult.failed("held back by the benchmark"));
                }
            }
        };
        BufferSettings s = settings(dir, AckDurability.WRITE).toBuilder()
                .totalLimitBytes(Math.max(4L << 30, totalBytes * 2))
                .retry(new RetrySettings(
                        RetrySettings.RetryType.PERIODIC,
                        Duration.ofMillis(100),
                        2.0,
                        null,
                        false,
                        Duration.ofHours(72),
                        0,
                        true,
                        0.8))
                .build();
        EventBuffer b = Buffers.create("bench", s, gated, null, Clock.systemUTC(), new SimpleMeterRegistry());
        b.start();
        List<CompletableFuture<?>> inFlight = new ArrayList<>();
        for (long i = 0; i < appends; i++) {
            inFlight.add(b.append("bench.tag", entries, events, null));
            if (inFlight.size() >= 64) {
                for (CompletableFuture<?> f : inFlight) {
                    f.get(60, TimeUnit.SECONDS);
                }
                inFlight.clear();
            }
        }
        for (CompletableFuture<?> f : inFlight) {
            f.get(60, TimeUnit.SECONDS);
        }
        List<Path> chunks = chunkFiles(dir);
        long half = Long.parseUnsignedLong(
                chunks.get(chunks.size() / 2).getFileName().toString().substring(0, 16), 16);
        synchronized (deliverBelowId) {
            deliverBelowId[0] = half;
        }
        long before = b.stats().totalBytes();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (b.stats().totalBytes() > before / 2 + (16L << 20) && System.nanoTime() < deadline) {
            Thread.sleep(100); // benchmark harness, not a test: poll until half is delivered
        }
        b.close();
        long held = 0;
        for (Path c : chunkFiles(dir)) {
            held += Files.size(c);
        }
        boolean dropped = dropPageCache();
        long t0 = System.nanoTime();
        EventBuffer again = Buffers.create("bench", s, gated, null, Clock.systemUTC(), new SimpleMeterRegistry());
        again.start();
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "recovery: filled %.2f GB (%d chunks), delivered half, start() over %.2f GB in "
                        + "%d chunks took %.2f s (%.0f MB/s verified; page cache %s)%n",
                appends * (double) entries.remaining() / 1e9,
                chunks.size(),
                held / 1e9,
                again.stats().queuedChunks(),
                secs,
                held / secs / 1e6,
                dropped ? "dropped first" : "warm (could not drop it)");
        again.close();
        deleteTree(dir);
    }

    static boolean dropPageCache() {
        try {
            Process sync = new ProcessBuilder("sync").start();
            sync.waitFor(60, TimeUnit.SECONDS);
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    static List<Path> chunkFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".chunk"))
                    .sorted()
                    .toList();
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
