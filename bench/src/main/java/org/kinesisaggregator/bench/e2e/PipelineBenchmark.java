package org.kinesisaggregator.bench.e2e;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole pipeline under load: {@link OurAggregator} (the distribution's {@code
 * bin/kinesis-aggregator} as a child process) with {@link org.kinesisaggregator.bench.load.ForwardLoad}
 * sending PackedForward messages with acks over loopback, and a sink:
 *
 * <ul>
 *   <li>{@code null}: a file buffer (fsync group commit) in front of the {@code null} output —
 *       what the forward server and the buffer cost;
 *   <li>{@code file}: the same in front of the {@code file} output (out_file lines);
 *   <li>{@code kinesis}: a file buffer in front of {@code kinesis_streams_aggregated} → the real
 *       KPL daemon → {@link org.kinesisaggregator.bench.kinesis.NullKinesis} (in this JVM);
 *   <li>{@code emulator}: the same into kinesalite.
 * </ul>
 *
 * <p>Reports ingest (all acks received) and end-to-end (buffer drained) events/s, and the CPU of
 * the aggregator JVM and of its KPL daemon per event, read from /proc ({@link Measurement}). A
 * warm-up run precedes the measured one. Not a test: figures go to BENCHMARKS.md with the command
 * and the machine. {@code bench/run.sh} runs the named scenarios on the same code.
 */
@Command(name = "pipeline-benchmark", mixinStandardHelpOptions = true)
public final class PipelineBenchmark implements Callable<Integer> {

    @Option(
            names = {"--sink", "--output"},
            defaultValue = "null",
            description = "null, file, kinesis or emulator")
    String sink;

    @Option(names = "--buffer", defaultValue = "file", description = "file or memory")
    String buffer;

    @Option(names = "--events", defaultValue = "2000000")
    long events;

    @Option(names = "--warmup-events", defaultValue = "300000")
    long warmupEvents;

    @Option(names = "--connections", defaultValue = "4")
    int connections;

    @Option(names = "--batch", defaultValue = "1000")
    int batch;

    @Option(names = "--event-bytes", defaultValue = "200")
    int eventBytes;

    @Option(names = "--window", defaultValue = "4")
    int window;

    @Option(names = "--gzip")
    boolean gzip;

    @Option(names = "--ack-durability", defaultValue = "fsync", description = "fsync or write")
    String ackDurability;

    @Option(names = "--heap", defaultValue = "1g", description = "-Xms and -Xmx of the aggregator")
    String heap;

    @Option(
            names = "--home",
            description = "The distribution (default: aggregator-server/target/dist/kinesis-aggregator)")
    Path home;

    public static void main(String[] args) {
        System.exit(new CommandLine(new PipelineBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        OurAggregator.Settings settings = new OurAggregator.Settings(
                buffer,
                ackDurability,
                sink,
                "-Xms" + heap + " -Xmx" + heap,
                home != null ? home : OurAggregator.defaultHome());
        Shape shape = new Shape(connections, batch, eventBytes, window, gzip);
        try (OurAggregator aggregator = OurAggregator.start(settings)) {
            System.out.printf(
                    "pipeline-benchmark: sink=%s buffer=%s %s ack_durability=%s heap=%s java=%s cpus=%d cpu=%s%n",
                    sink,
                    buffer,
                    shape,
                    ackDurability,
                    heap,
                    System.getProperty("java.version"),
                    Runtime.getRuntime().availableProcessors(),
                    ProcStats.cpuModel());
            System.out.println(Measurement.run(aggregator, shape, warmupEvents, 0, "warmup", true));
            System.out.println(Measurement.run(aggregator, shape, events, 0, "measured", true));
        }
        return 0;
    }
}
