package org.kinesisaggregator.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kinesisaggregator.buffer.EventTimes;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.Mp;
import org.slf4j.LoggerFactory;

/**
 * Builds valid forward messages from fuzzer data (so that the fuzzer reaches deep into the decoder
 * instead of failing at the first byte), and the checks the targets share. Every event built is
 * valid: a time in {@link EventTimes}' range (never 0, which means "now") and a map record of
 * str, int, float, bool, nil, array and map values.
 */
final class FuzzMessages {
    private FuzzMessages() {}

    /** One event as sent (its wire time) and as the sink must see it. */
    record Gen(Object wireTime, Event event) {}

    /** Carrier modes of an uncompressed message. */
    enum Carrier {
        MESSAGE,
        FORWARD,
        PACKED_BIN,
        PACKED_STR
    }

    static String tag(FuzzedDataProvider data) {
        String suffix = data.consumeAsciiString(12);
        return suffix.isEmpty() ? "fz" : "fz." + suffix;
    }

    static List<Gen> events(FuzzedDataProvider data, String tag, int max) {
        int n = data.consumeInt(1, max);
        List<Gen> gens = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long seconds = data.consumeLong(1, EventTimes.MAX_EPOCH_SECOND);
            boolean eventTime = data.consumeBoolean();
            int nanos = eventTime ? data.consumeInt(0, 999_999_999) : 0;
            Map<String, Object> record = record(data, 0);
            Object wireTime = eventTime ? new Mp.Time(seconds, nanos) : (Object) seconds;
            gens.add(new Gen(wireTime, Event.of(tag, seconds, nanos, record)));
        }
        return gens;
    }

    private static Map<String, Object> record(FuzzedDataProvider data, int depth) {
        int keys = data.consumeInt(0, 4);
        Map<String, Object> record = new LinkedHashMap<>();
        for (int i = 0; i < keys; i++) {
            record.putIfAbsent(text(data, 12), value(data, depth));
        }
        return record;
    }

    private static Object value(FuzzedDataProvider data, int depth) {
        int kind = data.consumeInt(0, depth < 3 ? 6 : 4);
        return switch (kind) {
            case 0 -> text(data, 40);
            case 1 -> data.consumeLong();
            case 2 -> data.consumeBoolean();
            case 3 -> null;
            case 4 -> data.consumeDouble();
            case 5 -> {
                int n = data.consumeInt(0, 3);
                List<Object> list = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    list.add(value(data, depth + 1));
                }
                yield list;
            }
            default -> record(data, depth + 1);
        };
    }

    /** A string as it survives UTF-8 (lone surrogates become '?', as the packer writes them). */
    private static String text(FuzzedDataProvider data, int max) {
        return new String(data.consumeString(max).getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    static byte[] entries(List<Gen> gens) {
        Object[] pairs = new Object[gens.size() * 2];
        for (int i = 0; i < gens.size(); i++) {
            pairs[2 * i] = gens.get(i).wireTime();
            pairs[2 * i + 1] = gens.get(i).event().record();
        }
        return Mp.entries(pairs);
    }

    /** The message; MESSAGE carries only the first event. */
    static byte[] message(Carrier carrier, String tag, List<Gen> gens, Object chunk) {
        Map<String, Object> option = Mp.map("chunk", chunk);
        return switch (carrier) {
            case MESSAGE ->
                Mp.message(tag, gens.get(0).wireTime(), gens.get(0).event().record(), option);
            case FORWARD -> {
                List<Object> entries = new ArrayList<>();
                for (Gen g : gens) {
                    entries.add(Arrays.asList(g.wireTime(), g.event().record()));
                }
                yield Mp.forward(tag, entries, option);
            }
            case PACKED_BIN -> Mp.packed(tag, entries(gens), option);
            case PACKED_STR -> Mp.packedStr32(tag, entries(gens), option);
        };
    }

    static List<Event> sent(Carrier carrier, List<Gen> gens) {
        List<Gen> carried = carrier == Carrier.MESSAGE ? gens.subList(0, 1) : gens;
        return carried.stream().map(Gen::event).toList();
    }

    /** Up to 8 cut points, for {@link FuzzPipeline#feed}. */
    static int[] cuts(FuzzedDataProvider data) {
        int[] cuts = new int[data.consumeInt(0, 8)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = data.consumeInt(1, 1 << 16);
        }
        return cuts;
    }

    /** A message that must have gone through: acked once, with exactly these events appended under its chunk. */
    static void assertDelivered(FuzzPipeline p, byte[] chunkWire, byte[] dedupKey, List<Event> events) {
        assertThat(p.acks())
                .as("ack for chunk %s", new String(dedupKey, StandardCharsets.UTF_8))
                .anySatisfy(ack -> assertThat(ack).isEqualTo(chunkWire));
        List<Event> appended = new ArrayList<>();
        for (FuzzPipeline.Appended a : p.sink.appended()) {
            if (Arrays.equals(a.dedupKey(), dedupKey)) {
                appended.addAll(a.events());
            }
        }
        assertThat(appended)
                .as("events of chunk %s", new String(dedupKey, StandardCharsets.UTF_8))
                .isEqualTo(events);
    }

    private static final String INGEST_LOGGER = ForwardServer.class.getName();
    private static Level savedLevel;

    /**
     * Fuzzing closes thousands of connections a second, each with a WARN line; keep only errors of
     * the ingest handler's logger while a fuzz class runs (the oracle checks what those lines would say).
     */
    static void quietLogs() {
        Logger logger = (Logger) LoggerFactory.getLogger(INGEST_LOGGER);
        savedLevel = logger.getLevel();
        logger.setLevel(Level.ERROR);
    }

    static void restoreLogs() {
        ((Logger) LoggerFactory.getLogger(INGEST_LOGGER)).setLevel(savedLevel);
    }
}
