package org.kinesisaggregator.server;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp;

/**
 * Coverage-guided fuzzing of CompressedPackedForward (gzip members and zstd frames) through the
 * decoder and the ingest handler, with {@code decompression_size_limit} 64 KiB so that bombs are
 * cheap. Inputs are either fuzzed "compressed" bytes sent as they are, or valid entries built
 * from the fuzzer's data, compressed by the test in one to three members/frames and optionally
 * corrupted at one byte; the {@code compressed} option names the right or a wrong codec. Same
 * oracle as {@link ForwardDecoderFuzzTest}; a message compressed and declared correctly must be
 * acked with exactly its events appended. Corpus: {@code CompressedEntriesFuzzTestInputs/compressed/}.
 */
@ExtendWith(LeakCheck.class)
class CompressedEntriesFuzzTest {

    @BeforeAll
    static void quiet() {
        FuzzMessages.quietLogs();
    }

    @AfterAll
    static void restore() {
        FuzzMessages.restoreLogs();
    }

    @FuzzTest(maxDuration = "30s")
    void compressed(FuzzedDataProvider data) {
        boolean zstd = data.consumeBoolean();
        boolean raw = data.consumeBoolean();
        boolean declaredRight = data.consumeBoolean();
        int[] cuts = FuzzMessages.cuts(data);
        String codec = zstd ? "zstd" : "gzip";
        String declared = declaredRight ? codec : zstd ? "gzip" : "zstd";
        try (FuzzPipeline p = new FuzzPipeline(FuzzPipeline.config(true, data.consumeBoolean(), false))) {
            if (raw) {
                byte[] payload = data.consumeRemainingAsBytes();
                p.feed(Mp.packed("fz.compressed", payload, Mp.map("chunk", "fz-0", "compressed", declared)), cuts);
                p.finish();
                p.checkInvariants();
                return;
            }
            String tag = FuzzMessages.tag(data);
            List<FuzzMessages.Gen> gens = FuzzMessages.events(data, tag, 8);
            int members = data.consumeInt(1, 3);
            List<byte[]> parts = new ArrayList<>();
            int from = 0;
            for (int m = 0; m < members; m++) {
                int to = m == members - 1 ? gens.size() : data.consumeInt(from, gens.size());
                parts.add(FuzzMessages.entries(gens.subList(from, to)));
                from = to;
            }
            byte[][] partArray = parts.toArray(new byte[0][]);
            byte[] compressed = zstd ? Mp.zstd(partArray) : Mp.gzip(partArray);
            int corruptAt = data.consumeInt(-1, compressed.length - 1);
            byte mask = data.consumeByte();
            boolean corrupted = corruptAt >= 0 && mask != 0;
            if (corrupted) {
                compressed[corruptAt] ^= mask;
            }
            p.feed(Mp.packed(tag, compressed, Mp.map("chunk", "fz-0", "compressed", declared)), cuts);
            p.finish();
            p.checkInvariants();
            if (declaredRight && !corrupted) {
                byte[] key = "fz-0".getBytes(StandardCharsets.UTF_8);
                FuzzMessages.assertDelivered(
                        p,
                        Mp.pack("fz-0"),
                        key,
                        gens.stream().map(FuzzMessages.Gen::event).toList());
            }
        }
    }
}
