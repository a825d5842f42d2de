package org.kinesisaggregator.server.output;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferException;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.EntryWriter;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfLocation;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.kinesisaggregator.server.app.FormatConf;

/** The unbuffered adapter: the append completes with the output's write, and fails when it did not deliver. */
class SyncOutputSinkTest {

    private static FormatSettings stdoutFormat() {
        ConfElement e = new ConfElement("match", "**", new ConfLocation("t.conf", 1));
        return FormatConf.fileOrStdout(e, FormatSettings.Format.STDOUT, ZoneOffset.UTC, "host");
    }

    @Test
    void appendCompletesAfterTheLineIsWrittenAndStreamsWritePieceByPiece() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StdoutOutput stdout = new StdoutOutput("o", stdoutFormat(), bytes);
        stdout.start();
        try {
            SyncOutputSink sink = new SyncOutputSink("o", stdout, Clock.systemUTC());
            EntryWriter w = new EntryWriter().add(0, 5, Map.of("a", 1));
            assertThat(sink.append("x", w.toByteBuffer(), 1, null).get(10, SECONDS))
                    .isEqualTo(AppendResult.stored(1));
            assertThat(bytes.toString(StandardCharsets.UTF_8))
                    .isEqualTo("1970-01-01 00:00:00.000000005 +0000 x: {\"a\":1}\n");
            StreamedAppend s = sink.openStream("y");
            s.write(new EntryWriter().add(1, 0, Map.of("b", 1)).toByteBuffer(), 1)
                    .get(10, SECONDS);
            s.write(new EntryWriter().add(2, 0, Map.of("b", 2)).toByteBuffer(), 1)
                    .get(10, SECONDS);
            assertThat(s.commit(null).get(10, SECONDS)).isEqualTo(AppendResult.stored(2));
            assertThat(bytes.toString(StandardCharsets.UTF_8).lines().toList()).hasSize(3);
        } finally {
            stdout.close();
        }
    }

    @Test
    void anUndeliveredEventFailsTheAppendSoTheForwarderResends() {
        Output failing = new Output() {
            @Override
            public String type() {
                return "flaky";
            }

            @Override
            public CompletableFuture<WriteResult> write(Chunk chunk) {
                BitSet first = new BitSet();
                first.set(0);
                return CompletableFuture.completedFuture(WriteResult.partial(first, Map.of(), "throttled"));
            }
        };
        SyncOutputSink sink = new SyncOutputSink("f", failing, Clock.systemUTC());
        EntryWriter w = new EntryWriter().add(0, 0, Map.of("a", 1)).add(1, 0, Map.of("a", 2));
        assertThatThrownBy(() -> sink.append("t", w.toByteBuffer(), 2, null).get(10, SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(BufferException.class)
                .hasMessageContaining("output f (flaky) delivered 1 of 2 events of tag t: throttled");
    }

    @Test
    void nullOutputDeliversEverything() throws Exception {
        SyncOutputSink sink = new SyncOutputSink("n", new NullOutput(), Clock.systemUTC());
        EntryWriter w = new EntryWriter().add(0, 0, Map.of("a", 1));
        assertThat(sink.append("t", w.toByteBuffer(), 1, null).get(10, SECONDS)).isEqualTo(AppendResult.stored(1));
        assertThat(List.of(sink.output().type())).containsExactly("null");
    }
}
