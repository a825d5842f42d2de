package org.kinesisaggregator.server.bigmessage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.server.testing.Mp;

/**
 * Big messages with bounded memory: a server in a child JVM with a 96 MiB heap takes three
 * concurrent 256 MiB PackedForward messages (bin, str32 as out_forward writes it, and gzip), acks
 * each, and its sink's files hold every event byte for byte. Events have a fixed size so that the
 * test can generate and check them as streams without holding them.
 */
class BigMessageBoundedHeapIT {
    static final int PAD = 200;
    static final int EVENT_BYTES = 1 + 10 + 1 + 4 + 5 + 4 + 2 + PAD;
    static final long MESSAGE_BYTES = 256L * 1024 * 1024;
    static final long GZIP_RAW_BYTES = 250L * 1024 * 1024;

    @TempDir
    Path dir;

    /** Event {@code seq} of a stream: [EventTime(1.7e9 + seq/1000, seq), {"seq": u32, "pad": str8}]. */
    static void event(byte[] out, long seq) {
        int i = 0;
        out[i++] = (byte) 0x92;
        out[i++] = (byte) 0xd7;
        out[i++] = 0;
        long seconds = 1_700_000_000L + seq / 1000;
        for (int s = 24; s >= 0; s -= 8) {
            out[i++] = (byte) (seconds >>> s);
        }
        for (int s = 24; s >= 0; s -= 8) {
            out[i++] = (byte) (seq >>> s);
        }
        out[i++] = (byte) 0x82;
        out[i++] = (byte) 0xa3;
        out[i++] = 's';
        out[i++] = 'e';
        out[i++] = 'q';
        out[i++] = (byte) 0xce;
        for (int s = 24; s >= 0; s -= 8) {
            out[i++] = (byte) (seq >>> s);
        }
        out[i++] = (byte) 0xa3;
        out[i++] = 'p';
        out[i++] = 'a';
        out[i++] = 'd';
        out[i++] = (byte) 0xd9;
        out[i++] = (byte) PAD;
        for (int p = 0; p < PAD; p++) {
            out[i++] = (byte) ('a' + (seq + p) % 26);
        }
    }

    static void writeEvents(OutputStream out, long count) throws IOException {
        byte[] e = new byte[EVENT_BYTES];
        for (long seq = 0; seq < count; seq++) {
            event(e, seq);
            out.write(e);
        }
    }

    static byte[] header(String tag, int entriesFormat, long length) {
        return Mp.concat(new byte[] {(byte) 0x93}, Mp.pack(tag), new byte[] {
            (byte) entriesFormat, (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length
        });
    }

    /** Sends one message over its own connection and returns the ack it got. */
    static CompletableFuture<String> send(int port, byte[] header, InputStreamSupplier entries, byte[] option) {
        return CompletableFuture.supplyAsync(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                socket.setSoTimeout(180_000);
                OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
                out.write(header);
                entries.writeTo(out);
                out.write(option);
                out.flush();
                InputStream in = socket.getInputStream();
                byte[] prefix = in.readNBytes(5);
                if (!Arrays.equals(prefix, new byte[] {(byte) 0x81, (byte) 0xa3, 'a', 'c', 'k'})) {
                    throw new AssertionError("not an ack: " + Arrays.toString(prefix));
                }
                int fixstr = in.read();
                return new String(in.readNBytes(fixstr & 0x1f), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    interface InputStreamSupplier {
        void writeTo(OutputStream out) throws IOException;
    }

    static void verify(Path file, long count) throws IOException {
        assertThat(Files.size(file)).as(file.toString()).isEqualTo(count * EVENT_BYTES);
        byte[] expected = new byte[EVENT_BYTES];
        byte[] actual = new byte[EVENT_BYTES];
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            for (long seq = 0; seq < count; seq++) {
                event(expected, seq);
                if (in.readNBytes(actual, 0, EVENT_BYTES) != EVENT_BYTES || !Arrays.equals(expected, actual)) {
                    throw new AssertionError(file + ": event " + seq + " differs");
                }
            }
        }
    }

    @Test
    void threeConcurrent256MiBMessagesInA96MiBHeap() throws Exception {
        long plainCount = MESSAGE_BYTES / EVENT_BYTES;
        long gzipCount = GZIP_RAW_BYTES / EVENT_BYTES;
        Path gz = dir.resolve("entries.gz");
        try (OutputStream out =
                new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(gz), 1 << 16), 1 << 16) {
                    {
                        def.setLevel(Deflater.BEST_SPEED);
                    }
                }) {
            writeEvents(out, gzipCount);
        }
        long gzBytes = Files.size(gz);
        Path sinkDir = Files.createDirectories(dir.resolve("sink"));

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(
                java,
                "-Xmx96m",
                "-XX:MaxDirectMemorySize=96m",
                "-XX:+ExitOnOutOfMemoryError",
                "--add-opens",
                "java.base/java.nio=ALL-UNNAMED",
                "--add-opens",
                "java.base/sun.nio.ch=ALL-UNNAMED",
                "-Dio.netty.leakDetection.level=simple",
                "-cp",
                System.getProperty("java.class.path"),
                BigMessageServerMain.class.getName(),
                sinkDir.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            BufferedReader childOut =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            int port = -1;
            while ((line = childOut.readLine()) != null) {
                if (line.startsWith("PORT ")) {
                    port = Integer.parseInt(line.substring(5).trim());
                    break;
                }
            }
            assertThat(port).as("child printed its port").isPositive();

            CompletableFuture<String> bin = send(
                    port,
                    header("big.bin", 0xc6, plainCount * EVENT_BYTES),
                    out -> writeEvents(out, plainCount),
                    Mp.pack(Mp.map("chunk", "bin-chunk", "size", plainCount)));
            CompletableFuture<String> str = send(
                    port,
                    header("big.str", 0xdb, plainCount * EVENT_BYTES),
                    out -> writeEvents(out, plainCount),
                    Mp.pack(Mp.map("chunk", "c3RyMzI=\n", "size", plainCount, "compressed", "text")));
            CompletableFuture<String> gzip = send(
                    port,
                    header("big.gzip", 0xc6, gzBytes),
                    out -> Files.copy(gz, out),
                    Mp.pack(Mp.map("chunk", "gzip-chunk", "compressed", "gzip")));

            assertThat(bin.get(240, TimeUnit.SECONDS)).endsWith("bin-chunk");
            assertThat(str.get(240, TimeUnit.SECONDS)).endsWith("c3RyMzI=\n");
            assertThat(gzip.get(240, TimeUnit.SECONDS)).endsWith("gzip-chunk");

            child.getOutputStream().close();
            StringBuilder rest = new StringBuilder();
            while ((line = childOut.readLine()) != null) {
                rest.append(line).append('\n');
            }
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).as(rest.toString()).isZero();
            assertThat(rest.toString())
                    .contains("PEAK_HEAP")
                    .contains("ABANDONED 0")
                    .doesNotContain("LEAK:");
            System.out.println("child: "
                    + rest.toString()
                            .lines()
                            .filter(l -> l.startsWith("PEAK_HEAP"))
                            .findFirst()
                            .orElse(""));
        } finally {
            child.destroyForcibly();
        }
        verify(sinkDir.resolve("big.bin.bin"), plainCount);
        verify(sinkDir.resolve("big.str.bin"), plainCount);
        verify(sinkDir.resolve("big.gzip.bin"), gzipCount);
        assertThat(Files.size(sinkDir.resolve("appends.bin"))).isZero();
    }
}
