package org.kinesisaggregator.kinesis;

/**
 * How events become Kinesis records ({@code aggregation} parameter).
 *
 * <ul>
 *   <li>{@link #JAVA}: the bridge packs events into KPL-format aggregated records itself and hands
 *       each aggregate to KPL as one record, KPL's aggregation off. The fast path (a KPL
 *       {@code addUserRecord} costs ~200 µs of CPU; an event packed here ~1 µs).
 *   <li>{@link #KPL}: one {@code addUserRecord} per event with KPL's own aggregation on. Kept for
 *       comparison and as a fallback; about 20 times the CPU per event.
 *   <li>{@link #NONE}: one plain Kinesis record per event (KPL aggregation off): for consumers
 *       that read records without de-aggregating ({@code kinesis_streams}' behaviour).
 * </ul>
 */
public enum AggregationMode {
    JAVA("java"),
    KPL("kpl"),
    NONE("none");

    private final String confName;

    AggregationMode(String confName) {
        this.confName = confName;
    }

    public String confName() {
        return confName;
    }

    /** Parses {@code java}, {@code kpl} or {@code none}. */
    public static AggregationMode fromConfName(String name) {
        for (AggregationMode mode : values()) {
            if (mode.confName.equals(name)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("aggregation: " + name + " (expected: java, kpl or none)");
    }
}
