package org.kinesisaggregator.server;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp;

/**
 * Coverage-guided fuzzing of the forward decoder with the ingest handler behind it (see
 * {@link FuzzPipeline} for the oracle). Inputs are either raw bytes (any message, any garbage) or
 * valid messages of every uncompressed carrier built from the fuzzer's data, optionally with a
 * fuzzed blob among them; both are fed split at fuzzer-chosen points. Valid messages before the
 * blob must all be acked with exactly their events appended: a malformed neighbour costs them
 * nothing. Regression mode (every build) runs the corpus in {@code ForwardDecoderFuzzTestInputs/decoder/}.
 */
@ExtendWith(LeakCheck.class)
class ForwardDecoderFuzzTest {

    @BeforeAll
    static void quiet() {
        FuzzMessages.quietLogs();
    }

    @AfterAll
    static void restore() {
        FuzzMessages.restoreLogs();
    }

    @FuzzTest(maxDuration = "30s")
    @DictionaryEntries({"chunk", "size", "compressed", "gzip", "zstd", "text", "PING", "\u00c7\u0000"})
    void decoder(FuzzedDataProvider data) {
        boolean raw = data.consumeBoolean();
        boolean skipInvalidEvent = data.consumeBoolean();
        boolean smallStreaming = data.consumeBoolean();
        int[] cuts = FuzzMessages.cuts(data);
        try (FuzzPipeline p = new FuzzPipeline(FuzzPipeline.config(skipInvalidEvent, smallStreaming, false))) {
            if (raw) {
                p.feed(data.consumeRemainingAsBytes(), cuts);
                p.finish();
                p.checkInvariants();
                return;
            }
            int count = data.consumeInt(1, 4);
            int blobAt = data.consumeInt(-1, count - 1);
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            List<byte[]> chunks = new ArrayList<>();
            List<byte[]> ackValues = new ArrayList<>();
            List<List<Event>> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                if (i == blobAt) {
                    wire.writeBytes(data.consumeBytes(data.consumeInt(0, 64)));
                }
                FuzzMessages.Carrier carrier = data.pickValue(FuzzMessages.Carrier.values());
                String tag = FuzzMessages.tag(data);
                List<FuzzMessages.Gen> gens = FuzzMessages.events(data, tag, 6);
                byte[] chunk = ("fz-" + i).getBytes(StandardCharsets.UTF_8);
                Object chunkValue = data.consumeBoolean() ? chunk : new String(chunk, StandardCharsets.UTF_8);
                wire.writeBytes(FuzzMessages.message(carrier, tag, gens, chunkValue));
                chunks.add(chunk);
                ackValues.add(Mp.pack(chunkValue));
                sent.add(FuzzMessages.sent(carrier, gens));
            }
            p.feed(wire.toByteArray(), cuts);
            p.finish();
            p.checkInvariants();
            int intact = blobAt < 0 ? count : blobAt;
            for (int i = 0; i < intact; i++) {
                FuzzMessages.assertDelivered(p, ackValues.get(i), chunks.get(i), sent.get(i));
            }
        }
    }
}
