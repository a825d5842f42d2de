package org.kinesisaggregator.server.bigmessage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kinesisaggregator.server.testing.Mp.map;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.testing.Bombs;
import org.kinesisaggregator.server.testing.CollectingSink;
import org.kinesisaggregator.server.testing.LogCapture;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.RawClient;
import org.kinesisaggregator.server.testing.Settings;
import org.kinesisaggregator.server.testing.TagPrefixSink;

/**
 * Isolation from decompression bombs on real sockets: with {@code workers 1} every connection shares
 * one event loop. A well-behaved client sends small acked messages and records its ack latencies,
 * first alone (the baseline), then while other connections send gzip and zstd bombs (about 1 GiB of
 * valid entries each, refused at {@code decompression_size_limit}). Its p99 must stay within 100 ms
 * of the baseline, every bomb must be refused without an ack with a log line naming the limit, and
 * the memory the server's buffers take must stay far below what the bombs inflate to.
 */
class GzipBombIsolationIT {
    static final long LIMIT = 32L * 1024 * 1024;
    static final int BOMBS = 6;
    static final long MEMORY_BOUND = 48L * 1024 * 1024;
    static final AtomicLong BOMB_IDS = new AtomicLong();

    @TempDir
    Path dir;

    static byte[] ack(String chunk) {
        return Mp.concat(new byte[] {(byte) 0x81}, Mp.pack("ack"), Mp.pack(chunk));
    }

    /** Sends one message and waits for its ack; returns the latency in nanoseconds. */
    static long roundTrip(RawClient client, int seq) {
        String chunk = "good-" + seq;
        long start = System.nanoTime();
        client.send(Mp.message("good", 1_700_000_000L + seq, map("seq", (long) seq), map("chunk", chunk)));
        byte[] answer = client.read(ack(chunk).length);
        long latency = System.nanoTime() - start;
        assertThat(answer).isEqualTo(ack(chunk));
        return latency;
    }

    static long p99(List<Long> latencies) {
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
    }

    /** Sends a bomb and reads until the server closes; returns the bytes the server sent back. */
    static CompletableFuture<Integer> sendBomb(InetSocketAddress address, String compression, byte[] payload) {
        byte[] message = Mp.packed(
                "bomb." + compression + "." + BOMB_IDS.incrementAndGet(),
                payload,
                map("chunk", "bomb", "compressed", compression));
        return CompletableFuture.supplyAsync(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(address, 5000);
                socket.setSoTimeout(60_000);
                try {
                    OutputStream out = socket.getOutputStream();
                    out.write(message);
                    out.flush();
                } catch (IOException e) {
                    // the server refused the bomb and closed before it was all sent
                }
                InputStream in = socket.getInputStream();
                int received = 0;
                try {
                    while (in.read() >= 0) {
                        received++;
                    }
                } catch (IOException e) {
                    // reset: the server closed with our bytes unread
                }
                return received;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    static long allocatorUsedBytes() {
        ByteBufAllocatorMetric metric = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        return metric.usedDirectMemory() + metric.usedHeapMemory();
    }

    static long heapAfterLastGc() {
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage after = pool.getCollectionUsage();
            if (pool.getType() == MemoryType.HEAP && after != null) {
                used += after.getUsed();
            }
        }
        return used;
    }

    @Test
    void bombsOnTheSameEventLoopDelayNoOtherClientAndStayInBoundedMemory() throws Exception {
        // paranoid leak detection records a stack trace at every buffer access, which makes scanning
        // entries ~100x slower than in production and would measure the detector, not the server;
        // the simple level still samples allocations for leaks
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
        try {
            run();
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
    }

    private void run() throws Exception {
        Path sinkDir = Files.createDirectories(dir.resolve("sink"));
        byte[] gzipBomb = Bombs.gzip(1024L * 1024 * 1024);
        byte[] zstdBomb = Bombs.zstd(1024L * 1024 * 1024);
        LogCapture.clear();
        try (FileSink sink = new FileSink(sinkDir);
                CollectingSink goodSink = new CollectingSink()) {
            // the bombs' pieces go to files, the good client's events to memory: each sink has its
            // own writer thread, so that what is measured is the shared event loop, not a shared disk
            EventSink byTag = new TagPrefixSink("bomb", sink, goodSink);
            ForwardServer server = new ForwardServer(
                    Settings.local().workers(1).decompressionSizeLimit(LIMIT).build(),
                    byTag,
                    new SimpleMeterRegistry());
            server.start();
            try (RawClient good = new RawClient(server.localAddress())) {
                int seq = 0;
                // warm-up, of the bomb path too: the test measures the loop's fairness, not the JIT
                CompletableFuture<Integer> warmGzip = sendBomb(server.localAddress(), "gzip", gzipBomb);
                CompletableFuture<Integer> warmZstd = sendBomb(server.localAddress(), "zstd", zstdBomb);
                for (int i = 0; i < 100 || !warmGzip.isDone() || !warmZstd.isDone(); i++) {
                    roundTrip(good, seq++);
                }
                assertThat(warmGzip.get(30, TimeUnit.SECONDS) + warmZstd.get(30, TimeUnit.SECONDS))
                        .isZero();
                LogCapture.clear();
                int abandonedBefore = sink.abandoned.get();
                List<Long> baseline = new ArrayList<>();
                for (int i = 0; i < 400; i++) {
                    baseline.add(roundTrip(good, seq++));
                }

                System.gc();
                long memoryBefore = allocatorUsedBytes();
                AtomicLong peakMemory = new AtomicLong();
                AtomicLong peakHeapAfterGc = new AtomicLong();
                AtomicBoolean sampling = new AtomicBoolean(true);
                Thread sampler = new Thread(() -> {
                    while (sampling.get()) {
                        peakMemory.accumulateAndGet(allocatorUsedBytes(), Math::max);
                        peakHeapAfterGc.accumulateAndGet(heapAfterLastGc(), Math::max);
                        Thread.onSpinWait();
                    }
                });
                sampler.setDaemon(true);
                sampler.start();

                List<CompletableFuture<Integer>> bombs = new ArrayList<>();
                for (int b = 0; b < BOMBS; b++) {
                    bombs.add(sendBomb(
                            server.localAddress(), b % 2 == 0 ? "gzip" : "zstd", b % 2 == 0 ? gzipBomb : zstdBomb));
                }
                CompletableFuture<Void> allBombs = CompletableFuture.allOf(bombs.toArray(CompletableFuture<?>[]::new));
                List<Long> underAttack = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
                while ((!allBombs.isDone() || underAttack.size() < 100) && System.nanoTime() < deadline) {
                    underAttack.add(roundTrip(good, seq++));
                }
                sampling.set(false);
                sampler.join(5000);

                assertThat(allBombs)
                        .as("every bomb connection closed by the server")
                        .isDone();
                for (CompletableFuture<Integer> bomb : bombs) {
                    assertThat(bomb.get())
                            .as("bytes sent back to a bomb (no ack)")
                            .isZero();
                }
                long base = p99(baseline);
                long attacked = p99(underAttack);
                System.out.printf(
                        "ack latency p99: baseline %.2f ms, under %d bombs %.2f ms (%d acks); allocator peak %d MiB"
                                + " (before %d MiB); heap after GC peak %d MiB%n",
                        base / 1e6,
                        BOMBS,
                        attacked / 1e6,
                        underAttack.size(),
                        peakMemory.get() >> 20,
                        memoryBefore >> 20,
                        peakHeapAfterGc.get() >> 20);
                assertThat(attacked)
                        .as("p99 under attack, ns (baseline %d ns)", base)
                        .isLessThanOrEqualTo(base + TimeUnit.MILLISECONDS.toNanos(100));
                assertThat(peakMemory.get() - memoryBefore)
                        .as("buffer memory while %d bombs inflate %d MiB each", BOMBS, LIMIT >> 20)
                        .isLessThan(MEMORY_BOUND);
                List<LogCapture.Line> refusals = LogCapture.containing(
                        "Closing forward connection from 127.0.0.1:",
                        "more than decompression_size_limit " + LIMIT + " bytes (" + (LIMIT + 1)
                                + " decompressed so far");
                assertThat(refusals).hasSize(BOMBS);

                assertThat(sink.abandoned.get() - abandonedBefore)
                        .as("streamed appends of the bombs abandoned")
                        .isEqualTo(BOMBS);
                assertThat(goodSink.events())
                        .as("every acked event of the good client stored")
                        .hasSize(seq);
            } finally {
                server.close();
            }
        }
        try (var parts = Files.list(sinkDir)) {
            assertThat(parts.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".bin")))
                    .as("nothing of a bomb was committed")
                    .containsOnly("appends.bin");
        }
    }
}
