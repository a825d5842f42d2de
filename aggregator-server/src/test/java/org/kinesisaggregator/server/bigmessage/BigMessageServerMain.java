package org.kinesisaggregator.server.bigmessage;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.ForwardSettings;

/**
 * Child JVM of {@link BigMessageBoundedHeapIT}: a forward server with a {@link FileSink}, run with a
 * small heap. Prints {@code PORT <n>}; on end of stdin closes and prints {@code PEAK_HEAP <bytes>}.
 */
public final class BigMessageServerMain {
    private BigMessageServerMain() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        try (FileSink sink = new FileSink(dir)) {
            ForwardServer server =
                    new ForwardServer(ForwardSettings.defaults("127.0.0.1", 0), sink, new SimpleMeterRegistry());
            server.start();
            System.out.println("PORT " + server.localAddress().getPort());
            System.out.flush();
            BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (stdin.readLine() != null) {
                // wait for the test to close stdin
            }
            server.close();
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            System.out.println("PEAK_HEAP " + peak + " ABANDONED " + sink.abandoned.get());
            System.out.flush();
        }
    }
}
