package org.kinesisaggregator.buffer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.kinesisaggregator.buffer.BufferSettings.AckDurability;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.FileRecordingOutput;

/**
 * The child JVM of {@link CrashTest}: appends events with unique ids from 4 threads (plain
 * appends, re-sends with the same dedup key, streamed appends) and prints {@code ACK first count}
 * on stdout for each append whose future completed, while an unreliable output delivers to a file.
 * The test kills it with SIGKILL at a random moment. Exits by itself after 60 s.
 *
 * <p>Arguments: buffer dir, delivered-ids file, first id, seed, and optionally the
 * {@code ack_durability} ({@code FSYNC} by default).
 */
public final class CrashChild {
    private CrashChild() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path delivered = Path.of(args[1]);
        long firstId = Long.parseLong(args[2]);
        long seed = Long.parseLong(args[3]);
        PrintStream ackOut = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
        BufferSettings settings = settings(dir, args.length > 4 ? AckDurability.valueOf(args[4]) : AckDurability.FSYNC);
        FileRecordingOutput output = new FileRecordingOutput(delivered, seed, 0.3);
        EventBuffer buffer =
                Buffers.create("crash", settings, output, null, Clock.systemUTC(), new SimpleMeterRegistry());
        buffer.start();
        AtomicLong nextId = new AtomicLong(firstId);
        Semaphore inFlight = new Semaphore(64);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Thread[] threads = new Thread[4];
        AtomicReference<Exception> failure = new AtomicReference<>();
        for (int t = 0; t < threads.length; t++) {
            SplittableRandom random = new SplittableRandom(seed * 31 + t);
            threads[t] = new Thread(() -> {
                try {
                    while (System.nanoTime() < deadline) {
                        int count = 1 + random.nextInt(40);
                        long first = nextId.getAndAdd(count);
                        inFlight.acquire();
                        int kind = random.nextInt(10);
                        if (kind == 0) {
                            StreamedAppend s = buffer.openStream("stream");
                            s.write(Events.entries(first, count / 2, 100), count / 2)
                                    .get(30, TimeUnit.SECONDS);
                            s.write(Events.entries(first + count / 2, count - count / 2, 100), count - count / 2)
                                    .get(30, TimeUnit.SECONDS);
                            s.commit(null).whenComplete((r, e) -> ack(ackOut, inFlight, first, count, e, "stream"));
                        } else {
                            byte[] key = kind == 1 ? ("k" + first).getBytes() : null;
                            int pad = 50 + random.nextInt(400);
                            buffer.append("tag." + (count % 3), Events.entries(first, count, pad), count, key)
                                    .whenComplete((r, e) ->
                                            ack(ackOut, inFlight, first, count, e, key == null ? "plain" : "keyed"));
                            if (key != null) {
                                inFlight.acquire();
                                // a re-send after a "lost ack": must not be stored twice
                                buffer.append("tag." + (count % 3), Events.entries(first, count, pad), count, key)
                                        .whenComplete((r, e) -> {
                                            inFlight.release();
                                            if (e == null && !r.isDuplicate()) {
                                                synchronized (ackOut) {
                                                    ackOut.println("NOT-DEDUPED " + first);
                                                }
                                            }
                                        });
                            }
                        }
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            // the child dies by itself with this on stderr; CrashTest fails and shows it
            throw failure.get();
        }
        buffer.close();
        System.exit(0);
    }

    private static void ack(PrintStream out, Semaphore inFlight, long first, int count, Throwable e, String kind) {
        inFlight.release();
        if (e == null) {
            synchronized (out) {
                out.println("ACK " + first + " " + count + " " + kind);
            }
        }
    }

    static BufferSettings settings(Path dir) {
        return settings(dir, AckDurability.FSYNC);
    }

    static BufferSettings settings(Path dir, AckDurability durability) {
        return BufferSettings.builder(BufferSettings.BufferType.FILE, dir)
                .ackDurability(durability)
                .chunkLimitBytes(32 * 1024)
                .totalLimitBytes(512L * 1024 * 1024)
                .flushInterval(Duration.ofMillis(200))
                .flushThreadCount(2)
                .flushThreadInterval(Duration.ofMillis(20))
                .flushThreadBurstInterval(Duration.ZERO)
                .overflowAction(BufferSettings.OverflowAction.BLOCK)
                .retry(new RetrySettings(
                        RetrySettings.RetryType.EXPONENTIAL_BACKOFF,
                        Duration.ofMillis(50),
                        2.0,
                        Duration.ofMillis(200),
                        false,
                        Duration.ofHours(1),
                        0,
                        true,
                        0.8))
                .shutdownTimeout(Duration.ofSeconds(5))
                .build();
    }
}
