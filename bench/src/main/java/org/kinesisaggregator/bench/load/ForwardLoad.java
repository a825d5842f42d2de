package org.kinesisaggregator.bench.load;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A forward-protocol load generator: {@code connections} TCP connections, each sending
 * PackedForward messages of {@code batch} events of about {@code eventBytes} bytes, as out_forward
 * does (optionally gzip-compressed, optionally waiting for {@code {"ack": chunk}} with up to
 * {@code window} messages in flight per connection).
 *
 * <p>Every event carries {@code conn} and {@code seq} fields, unique per run, so that a test or a
 * scenario can check what arrived. Prints one summary line (and returns it as a {@link Result}).
 *
 * <p>Threads: one sender and, with acks, one ack reader per connection.
 */
@Command(
        name = "forward-load",
        mixinStandardHelpOptions = true,
        description = "Sends PackedForward messages to a forward-protocol server and reports events/s.")
public final class ForwardLoad implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Server host (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "24224", description = "Server port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--connections",
            defaultValue = "4",
            description = "Concurrent connections (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--events", defaultValue = "1000000", description = "Events in all (default: ${DEFAULT-VALUE}).")
    long events;

    @Option(names = "--batch", defaultValue = "1000", description = "Events per message (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(
            names = "--event-bytes",
            defaultValue = "200",
            description = "Approximate msgpack size of one event (default: ${DEFAULT-VALUE}).")
    int eventBytes;

    @Option(names = "--ack", description = "Ask for acks (require_ack_response) and wait for them.")
    boolean ack;

    @Option(
            names = "--window",
            defaultValue = "4",
            description = "Messages in flight per connection with --ack (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--gzip", description = "Send CompressedPackedForward (compressed: gzip).")
    boolean gzip;

    @Option(names = "--tag", defaultValue = "bench.load", description = "Tag (default: ${DEFAULT-VALUE}).")
    String tag;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the payload text (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--rate",
            defaultValue = "0",
            description = "Events/s over all connections, paced per message; 0: as fast as acks allow"
                    + " (default: ${DEFAULT-VALUE}).")
    long rate;

    @Option(
            names = "--ack-timeout-seconds",
            defaultValue = "120",
            description = "Fail when a message in flight waits longer for its ack, as out_forward's"
                    + " ack_response_timeout would resend it (default: ${DEFAULT-VALUE}).")
    long ackTimeoutSeconds;

    @Option(
            names = "--timeout-seconds",
            defaultValue = "600",
            description = "Give up after (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    /** What a run achieved. */
    public record Result(
            long events,
            long messages,
            long bytes,
            double seconds,
            long ackP50Micros,
            long ackP99Micros,
            long ackP999Micros) {
        public double eventsPerSecond() {
            return events / seconds;
        }

        public double megabytesPerSecond() {
            return bytes / seconds / 1e6;
        }

        @Override
        public String toString() {
            return String.format(
                    "events=%d messages=%d bytes=%d seconds=%.3f events/s=%.0f MB/s=%.1f ack_p50_us=%d ack_p99_us=%d"
                            + " ack_p99.9_us=%d",
                    events,
                    messages,
                    bytes,
                    seconds,
                    eventsPerSecond(),
                    megabytesPerSecond(),
                    ackP50Micros,
                    ackP99Micros,
                    ackP999Micros);
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ForwardLoad()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        out.printf(
                "forward-load: host=%s port=%d connections=%d events=%d batch=%d event_bytes=%d ack=%s window=%d gzip=%s java=%s cpus=%d%n",
                host,
                port,
                connections,
                events,
                batch,
                eventBytes,
                ack,
                window,
                gzip,
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        Result result = run();
        out.println(result);
        return 0;
    }

    /** Runs the load and returns the figures; throws when a connection fails or times out. */
    public Result run() throws Exception {
        if (connections <= 0 || batch <= 0 || events <= 0 || window <= 0) {
            throw new IllegalArgumentException("connections, batch, events and window must be > 0");
        }
        String filler = filler(Math.max(0, eventBytes - 48), seed);
        ExecutorService pool = Executors.newFixedThreadPool(connections * (ack ? 2 : 1));
        long perConnection = events / connections;
        long remainder = events % connections;
        List<Future<long[]>> senders = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < connections; c++) {
            long count = perConnection + (c < remainder ? 1 : 0);
            int conn = c;
            senders.add(pool.submit(() -> sendAll(conn, count, filler, pool)));
        }
        long messages = 0;
        long bytes = 0;
        List<Long> latencies = new ArrayList<>();
        try {
            for (Future<long[]> f : senders) {
                long[] r = f.get(timeoutSeconds, TimeUnit.SECONDS);
                messages += r[0];
                bytes += r[1];
                for (int i = 2; i < r.length; i++) {
                    latencies.add(r[i]);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Result(
                events,
                messages,
                bytes,
                seconds,
                percentile(sorted, 0.50),
                percentile(sorted, 0.99),
                percentile(sorted, 0.999));
    }

    private long[] sendAll(int conn, long count, String filler, ExecutorService pool) throws Exception {
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), 5000);
            socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(Math.min(timeoutSeconds, 120)));
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 256 * 1024);
            AckReader acks = null;
            Future<?> ackTask = null;
            if (ack) {
                acks = new AckReader(new BufferedInputStream(socket.getInputStream()), window, ackTimeoutSeconds);
                ackTask = pool.submit(acks);
            }
            long messages = 0;
            long bytes = 0;
            long seq = 0;
            Random random = new Random(seed * 31 + conn);
            double nanosPerEvent = rate > 0 ? 1e9 * connections / rate : 0;
            long t0 = System.nanoTime();
            while (seq < count) {
                int n = (int) Math.min(batch, count - seq);
                if (nanosPerEvent > 0) {
                    long due = t0 + (long) (seq * nanosPerEvent);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
                byte[] entries = entries(conn, seq, n, filler);
                String chunkId = ack ? chunkId(random) : null;
                byte[] message = message(entries, n, chunkId);
                if (acks != null) {
                    acks.beforeSend(chunkId);
                }
                out.write(message);
                if (acks != null || nanosPerEvent > 0 || seq + n >= count) {
                    out.flush();
                }
                messages++;
                bytes += message.length;
                seq += n;
            }
            out.flush();
            long[] latencies = new long[0];
            if (acks != null) {
                latencies = acks.awaitAll(timeoutSeconds);
                ackTask.cancel(true);
            }
            long[] result = new long[2 + latencies.length];
            result[0] = messages;
            result[1] = bytes;
            System.arraycopy(latencies, 0, result, 2, latencies.length);
            return result;
        }
    }

    /** {@code n} entries {@code [EventTime, {"conn":c, "seq":s, "message": filler}]}. */
    static byte[] entries(int conn, long firstSeq, int n, String filler) throws IOException {
        try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
            long nowMillis = System.currentTimeMillis();
            for (int i = 0; i < n; i++) {
                packer.packArrayHeader(2);
                packer.packExtensionTypeHeader((byte) 0, 8);
                long seconds = nowMillis / 1000;
                int nanos = (int) (nowMillis % 1000) * 1_000_000 + i % 1_000_000;
                packer.writePayload(new byte[] {
                    (byte) (seconds >>> 24), (byte) (seconds >>> 16), (byte) (seconds >>> 8), (byte) seconds,
                    (byte) (nanos >>> 24), (byte) (nanos >>> 16), (byte) (nanos >>> 8), (byte) nanos
                });
                packer.packMapHeader(3);
                packer.packString("conn");
                packer.packInt(conn);
                packer.packString("seq");
                packer.packLong(firstSeq + i);
                packer.packString("message");
                packer.packString(filler);
            }
            return packer.toByteArray();
        }
    }

    private byte[] message(byte[] entries, int n, String chunkId) throws IOException {
        byte[] payload = entries;
        if (gzip) {
            ByteArrayOutputStream compressed = new ByteArrayOutputStream(entries.length / 4 + 64);
            try (GZIPOutputStream gz = new GZIPOutputStream(compressed, 64 * 1024)) {
                gz.write(entries);
            }
            payload = compressed.toByteArray();
        }
        try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
            packer.packArrayHeader(3);
            packer.packString(tag);
            packer.packBinaryHeader(payload.length);
            packer.writePayload(payload);
            int options = 1 + (chunkId != null ? 1 : 0) + (gzip ? 1 : 0);
            packer.packMapHeader(options);
            packer.packString("size");
            packer.packInt(n);
            if (chunkId != null) {
                packer.packString("chunk");
                packer.packString(chunkId);
            }
            if (gzip) {
                packer.packString("compressed");
                packer.packString("gzip");
            }
            return packer.toByteArray();
        }
    }

    /** Like out_forward: base64 of 16 random bytes, ending in a newline. */
    private static String chunkId(Random random) {
        byte[] id = new byte[16];
        random.nextBytes(id);
        return Base64.getMimeEncoder().encodeToString(id) + "\n";
    }

    private static String filler(int length, long seed) {
        Random random = new Random(seed);
        StringBuilder sb = new StringBuilder(length);
        String alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 /?=&-_.";
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    private static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
        return sorted[Math.max(0, index)];
    }

    /** Reads {@code {"ack": id}} answers, bounds the window, and times each message's round trip. */
    private static final class AckReader implements Runnable {
        private final InputStream in;
        private final Semaphore permits;
        private final ConcurrentHashMap<String, Long> sentAt = new ConcurrentHashMap<>();
        private final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        private final int window;
        private final long ackTimeoutNanos;
        private volatile Exception failure;

        AckReader(InputStream in, int window, long ackTimeoutSeconds) {
            this.in = in;
            this.window = window;
            this.ackTimeoutNanos = TimeUnit.SECONDS.toNanos(ackTimeoutSeconds);
            this.permits = new Semaphore(window);
        }

        void beforeSend(String chunkId) throws Exception {
            long since = System.nanoTime();
            while (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                if (failure != null) {
                    throw failure;
                }
                if (System.nanoTime() - since > ackTimeoutNanos) {
                    throw new IOException("no ack within " + TimeUnit.NANOSECONDS.toSeconds(ackTimeoutNanos)
                            + " s for any of " + sentAt.size() + " messages in flight");
                }
            }
            sentAt.put(chunkId, System.nanoTime());
        }

        long[] awaitAll(long timeoutSeconds) throws Exception {
            if (!permits.tryAcquire(window, timeoutSeconds, TimeUnit.SECONDS)) {
                throw new IOException("acks missing after " + timeoutSeconds + "s: " + sentAt.size()
                        + " messages unacked" + (failure == null ? "" : " (" + failure + ")"));
            }
            return latencies.stream().mapToLong(Long::longValue).toArray();
        }

        @Override
        public void run() {
            try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(in)) {
                while (!Thread.currentThread().isInterrupted() && unpacker.hasNext()) {
                    Value value = unpacker.unpackValue();
                    Value id = value.asMapValue().map().get(ValueFactory.newString("ack"));
                    if (id == null) {
                        throw new IOException("unexpected answer " + value);
                    }
                    String chunk = id.isStringValue()
                            ? id.asStringValue().asString()
                            : new String(id.asRawValue().asByteArray(), StandardCharsets.UTF_8);
                    Long at = sentAt.remove(chunk);
                    if (at == null) {
                        throw new IOException(
                                "ack for an unknown chunk " + Arrays.toString(chunk.getBytes(StandardCharsets.UTF_8)));
                    }
                    latencies.add((System.nanoTime() - at) / 1000);
                    permits.release();
                }
            } catch (Exception e) {
                if (!Thread.currentThread().isInterrupted()) {
                    failure = e;
                }
            }
        }
    }
}
