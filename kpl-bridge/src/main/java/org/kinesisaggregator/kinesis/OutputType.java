package org.kinesisaggregator.kinesis;

/**
 * The {@code @type} names a Kinesis {@code <match>} section may use. They share one implementation
 * ({@link KinesisOutput}); the type only picks defaults that keep each plugin's consumers working:
 *
 * <ul>
 *   <li>{@link #KINESIS_PRODUCER}: aws-fluent-plugin-kinesis v1's KPL output (the seed's conf).
 *       Aggregated (KPL's {@code aggregation_enabled true}), records not newline-terminated (v1
 *       chomps), time injected as ISO 8601 seconds.
 *   <li>{@link #KINESIS_STREAMS_AGGREGATED}: plugin v3's aggregated output. Aggregated, one random
 *       (or {@code fixed_partition_key}) key per aggregate, records end with {@code "\n"}, time
 *       injected as {@code %Y-%m-%dT%H:%M:%S.%N%z}.
 *   <li>{@link #KINESIS_STREAMS}: plugin v3's PutRecords output. Not aggregated by default: its
 *       consumers may read raw records without de-aggregating; records end with {@code "\n"}.
 * </ul>
 */
public enum OutputType {
    KINESIS_PRODUCER("kinesis_producer"),
    KINESIS_STREAMS_AGGREGATED("kinesis_streams_aggregated"),
    KINESIS_STREAMS("kinesis_streams");

    private final String confName;

    OutputType(String confName) {
        this.confName = confName;
    }

    /** The {@code @type} (or v0.12 {@code type}) value. */
    public String confName() {
        return confName;
    }

    /** The type for a conf name, or null when it is not a Kinesis output. */
    public static OutputType fromConfName(String name) {
        for (OutputType type : values()) {
            if (type.confName.equals(name)) {
                return type;
            }
        }
        return null;
    }

    /** How events are packed by default for this type. */
    public AggregationMode defaultAggregation() {
        return this == KINESIS_STREAMS ? AggregationMode.NONE : AggregationMode.JAVA;
    }

    /** Whether json and single_value records end with a newline by default (plugin v3 does, v1 chomps). */
    public boolean defaultAppendNewline() {
        return this != KINESIS_PRODUCER;
    }

    /**
     * The strftime format used for an injected time when none is given: v1's formatter mixin uses
     * ISO 8601 seconds (null here), plugin v3's {@code <inject>} defaults to nanoseconds.
     */
    public String defaultTimeFormat() {
        return this == KINESIS_PRODUCER ? null : "%Y-%m-%dT%H:%M:%S.%N%z";
    }
}
