package org.kinesisaggregator.server.input;

import java.util.List;
import java.util.Objects;
import org.msgpack.value.MapValue;

/**
 * {@code <source> @type sample} (or {@code dummy}), in_sample's parameters.
 *
 * @param tag {@code tag} (required)
 * @param rate {@code rate}: events a second, default 1
 * @param size {@code size}: events in each append, default 1
 * @param autoIncrementKey {@code auto_increment_key}: a field set to 0, 1, 2 … in each event, or null
 * @param samples {@code sample} / {@code dummy}: the records, used in turn; default
 *     {@code [{"message":"sample"}]}
 */
public record SampleSettings(String tag, int rate, int size, String autoIncrementKey, List<MapValue> samples) {
    public SampleSettings {
        Objects.requireNonNull(tag, "tag");
        if (rate < 1 || size < 1) {
            throw new IllegalArgumentException("rate and size: " + rate + ", " + size + " (expected: >= 1)");
        }
        samples = List.copyOf(samples);
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("sample: [] (expected: at least one record)");
        }
    }
}
