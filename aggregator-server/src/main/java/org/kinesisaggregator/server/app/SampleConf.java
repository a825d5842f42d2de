package org.kinesisaggregator.server.app;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.server.input.SampleInput;
import org.kinesisaggregator.server.input.SampleSettings;
import org.kinesisaggregator.server.route.Router;
import org.kinesisaggregator.server.route.TextParser;
import org.msgpack.value.MapValue;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;

/** Maps {@code <source> @type sample} / {@code dummy} onto {@link SampleSettings} (in_sample's names). Stateless. */
final class SampleConf {
    static final String DEFAULT_SAMPLE = "[{\"message\":\"sample\"}]";

    private SampleConf() {}

    /**
     * {@code @type sample} / {@code dummy} ({@link Plugins#sources()}): generated events into its label's
     * router, counted as input, carried over a reload.
     */
    static void addSource(SourceSection source) {
        SampleSettings settings = settings(source.element());
        Router router = source.router();
        Clock clock = source.env().clock();
        source.input(new SourceSection.InputSpec(
                router,
                settings,
                source.type() + " " + settings.tag(),
                "in_" + source.type() + "_" + settings.tag(),
                " (" + settings.rate() + " events/s)",
                null,
                (sink, registry) -> new SampleInput(settings, sink, clock)));
    }

    static SampleSettings settings(ConfElement source) {
        String tag = source.requiredString("tag");
        int rate = source.integer("rate", 1, 1, 1_000_000);
        int size = source.integer("size", 1, 1, 100_000);
        String key = source.string("auto_increment_key", null);
        source.bool("suspend", false); // in_sample: deprecated and ignored
        String param = source.has("sample") || !source.has("dummy") ? "sample" : "dummy";
        String text = source.string(param, DEFAULT_SAMPLE);
        Value parsed;
        try {
            parsed = TextParser.readJsonValue(text);
        } catch (IllegalArgumentException e) {
            throw source.error(param, "not JSON: " + e.getMessage() + " (expected: a JSON hash or an array of them)");
        }
        List<Value> elements = parsed.isArrayValue() ? parsed.asArrayValue().list() : List.of(parsed);
        List<MapValue> samples = new ArrayList<>();
        for (int i = 0; i < elements.size(); i++) {
            Value e = elements.get(i);
            if (!e.isMapValue()) {
                throw source.error(param, "element " + i + ", " + e.toJson() + ", is not a hash (expected: {...})");
            }
            samples.add(ValueFactory.newMap(e.asMapValue().map()));
        }
        try {
            return new SampleSettings(tag, rate, size, key, samples);
        } catch (IllegalArgumentException e) {
            throw source.error(param, e.getMessage());
        }
    }
}
