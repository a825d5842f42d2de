package org.kinesisaggregator.bench.kinesis;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.kinesisaggregator.buffer.EntryWriter;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.InMemoryChunk;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.kinesisaggregator.kinesis.OutputType;
import org.kinesisaggregator.kinesis.aggregation.AggregateBuilder;
import org.kinesisaggregator.kinesis.format.EventFormatException;
import org.kinesisaggregator.kinesis.format.EventFormatter;
import org.kinesisaggregator.kinesis.testing.TestEvents;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The bridge's per-event work without KPL: read an event from a chunk, format it (json with the
 * tag injected, as the seed's conf does, or msgpack), pack it into ~50 KiB aggregates (finish =
 * MD5 + copy). Time per event.
 *
 * <pre>
 * java -cp ... org.openjdk.jmh.Main FormatAggregateBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx1g"})
public class FormatAggregateBenchmark {
    private static final int EVENTS = 10_000;

    @Param({"json", "msgpack"})
    public String format;

    @Param({"200", "1000"})
    public int eventBytes;

    private InMemoryChunk chunkTemplate;
    private ByteBuffer entries;
    private EventFormatter.Workspace workspace;
    private AggregateBuilder builder;

    @Setup
    public void setUp() {
        List<Map<String, Object>> records = TestEvents.records(new Random(0), 0, EVENTS, eventBytes);
        EntryWriter writer = new EntryWriter();
        for (int i = 0; i < records.size(); i++) {
            writer.add(1_700_000_000L + i / 1000, (i % 1000) * 1_000_000, records.get(i));
        }
        entries = writer.toByteBuffer();
        FormatSettings settings = FormatSettings.defaults(OutputType.KINESIS_PRODUCER).withTagKey("tag").toBuilder()
                .time(FormatSettings.TimeType.STRING, null, ZoneOffset.UTC)
                .build()
                .withFormat(FormatSettings.Format.fromConfName(format), false);
        workspace = new EventFormatter(settings).newWorkspace();
        builder = new AggregateBuilder(51_200 - 32);
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public void formatAndAggregate(Blackhole blackhole) throws IOException, EventFormatException {
        InMemoryChunk chunk = InMemoryChunk.of("c", "kinesis.access", entries.duplicate(), EVENTS, Instant.EPOCH);
        String key = "0123456789abcdef0123456789abcdef";
        try (EventCursor cursor = chunk.events()) {
            while (cursor.next()) {
                workspace.load(cursor.record());
                workspace.format(cursor.tag(), cursor.epochSecond(), cursor.nanos());
                if (!builder.add(workspace.array(), 0, workspace.length(), key, null)) {
                    blackhole.consume(builder.finish());
                    builder.reset();
                    builder.add(workspace.array(), 0, workspace.length(), key, null);
                }
            }
        }
        blackhole.consume(builder.finish());
        builder.reset();
    }
}
