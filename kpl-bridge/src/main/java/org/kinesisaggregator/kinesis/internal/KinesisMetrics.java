package org.kinesisaggregator.kinesis.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The bridge's Micrometer meters. Names are dotted lowercase; tags are bounded: {@code stream}
 * (configured names, capped at {@value #MAX_STREAMS} distinct values, then {@code other}),
 * {@code error} (Kinesis/KPL error codes from a fixed list, else {@code other}), {@code reason}
 * (a fixed list). Never partition keys, tags or chunk ids.
 *
 * <ul>
 *   <li>{@code kinesis.user.records.put} (counter): events delivered
 *   <li>{@code kinesis.user.records.failed{error}} (counter): events whose write failed, to be retried
 *   <li>{@code kinesis.user.records.rejected{reason}} (counter): events never sendable (too large,
 *       unformattable, no valid stream name), sent to the secondary / failed/ path
 *   <li>{@code kinesis.records.put} / {@code kinesis.records.failed{error}} (counters): Kinesis records
 *   <li>{@code kinesis.put.bytes} (counter, bytes): data plus partition key of delivered Kinesis records
 *   <li>{@code kinesis.aggregation.ratio} (summary): user records per delivered Kinesis record
 *   <li>{@code kinesis.record.size} (summary, bytes): size of delivered Kinesis records
 *   <li>{@code kinesis.put.latency} (timer): from hand-off to KPL until its result
 *   <li>{@code kinesis.shard.prediction.misses} (counter): aggregates that landed on another shard
 *       than predicted (their events are retried after a shard map refresh)
 *   <li>{@code kinesis.stream.checks{result}} (counter): DescribeStreamSummary outcomes
 *   <li>{@code kinesis.kpl.outstanding.records}, {@code kinesis.kpl.in.flight.bytes} (gauges, per
 *       producer, registered by the producer pool) and {@code kinesis.kpl.daemon.failures} (counter)
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class KinesisMetrics {
    static final int MAX_STREAMS = 1000;
    private static final Set<String> KNOWN_ERRORS = Set.of(
            "Expired",
            "ProvisionedThroughputExceededException",
            "ResourceNotFoundException",
            "InternalFailure",
            "ServiceUnavailable",
            "KMSThrottlingException",
            "KMSAccessDeniedException",
            "KMSDisabledException",
            "KMSNotFoundException",
            "KMSInvalidStateException",
            "AccessDeniedException",
            "InvalidArgumentException",
            "RequestTimeout",
            "DaemonFailure",
            "ProducerUnavailable",
            "ShardMismatch",
            "StreamNotFound",
            "StreamUnavailable",
            "Closed",
            "Interrupted",
            "TimedOut",
            "Unexpected");
    private static final Set<String> KNOWN_REASONS = Set.of("too_large", "format", "stream_name");

    private final MeterRegistry registry;
    private final Tags outputTags;
    private final ConcurrentHashMap<String, StreamMeters> streams = new ConcurrentHashMap<>();

    /**
     * @param outputId the output's {@code @id} (or derived id): the {@code output} tag
     * @param type the output's {@code @type}: the {@code type} tag
     */
    public KinesisMetrics(MeterRegistry registry, String outputId, String type) {
        this.registry = registry;
        this.outputTags = Tags.of("output", outputId, "type", type);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The meters of {@code stream} (capped: beyond {@value #MAX_STREAMS} streams, {@code other}). */
    public StreamMeters stream(String stream) {
        StreamMeters meters = streams.get(stream);
        if (meters != null) {
            return meters;
        }
        String tag = streams.size() >= MAX_STREAMS ? "other" : stream;
        return streams.computeIfAbsent(tag, StreamMeters::new);
    }

    /** Counts one DescribeStreamSummary outcome. */
    public void streamCheck(String result) {
        Counter.builder("kinesis.stream.checks")
                .tags(outputTags)
                .tag("result", result)
                .register(registry)
                .increment();
    }

    /** Maps an error code onto the bounded tag set. */
    static String errorTag(String code) {
        return code != null && KNOWN_ERRORS.contains(code) ? code : "other";
    }

    /** Meters of one stream. */
    public final class StreamMeters {
        private final String stream;
        private final Counter userRecordsPut;
        private final Counter recordsPut;
        private final Counter bytesPut;
        private final DistributionSummary ratio;
        private final DistributionSummary recordSize;
        private final Timer latency;
        private final Counter shardMisses;
        private final ConcurrentHashMap<String, Counter> userFailed = new ConcurrentHashMap<>();
        private final ConcurrentHashMap<String, Counter> recordsFailed = new ConcurrentHashMap<>();
        private final ConcurrentHashMap<String, Counter> rejected = new ConcurrentHashMap<>();

        private StreamMeters(String stream) {
            this.stream = stream;
            userRecordsPut = Counter.builder("kinesis.user.records.put")
                    .description("Events delivered to Kinesis")
                    .tags(outputTags)
                    .tag("stream", stream)
                    .register(registry);
            recordsPut = Counter.builder("kinesis.records.put")
                    .description("Kinesis records delivered")
                    .tags(outputTags)
                    .tag("stream", stream)
                    .register(registry);
            bytesPut = Counter.builder("kinesis.put.bytes")
                    .baseUnit("bytes")
                    .description("Data plus partition key of delivered Kinesis records")
                    .tags(outputTags)
                    .tag("stream", stream)
                    .register(registry);
            ratio = DistributionSummary.builder("kinesis.aggregation.ratio")
                    .description("User records per delivered Kinesis record")
                    .tags(outputTags)
                    .tag("stream", stream)
                    .register(registry);
            recordSize = DistributionSummary.builder("kinesis.record.size")
                    .baseUnit("bytes")
                    .description("Size of delivered Kinesis records (data plus partition key)")
                    .tags(outputTags)
                    .tag("stream", stream)
                    .register(registry);
            latency = Timer.builder("kinesis.put.latency")
                    .description("From hand-off to KPL until its result")
                    .publishPercentileHistogram()
                    .tags(outputTags)
                    .tag("stream", stream)
                    .register(registry);
            shardMisses = Counter.builder("kinesis.shard.prediction.misses")
                    .description("Aggregates that landed on another shard than predicted")
                    .tags(outputTags)
                    .tag("stream", stream)
                    .register(registry);
        }

        /** A Kinesis record of {@code userRecords} events and {@code bytes} (data + key) was delivered. */
        public void delivered(int userRecords, int bytes, long latencyNanos) {
            userRecordsPut.increment(userRecords);
            recordsPut.increment();
            bytesPut.increment(bytes);
            ratio.record(userRecords);
            recordSize.record(bytes);
            latency.record(latencyNanos, TimeUnit.NANOSECONDS);
        }

        /** A Kinesis record of {@code userRecords} events failed with {@code errorCode}. */
        public void failed(int userRecords, String errorCode, long latencyNanos) {
            String tag = errorTag(errorCode);
            userFailed
                    .computeIfAbsent(
                            tag,
                            t -> Counter.builder("kinesis.user.records.failed")
                                    .tags(outputTags)
                                    .tag("stream", stream)
                                    .tag("error", t)
                                    .register(registry))
                    .increment(userRecords);
            recordsFailed
                    .computeIfAbsent(
                            tag,
                            t -> Counter.builder("kinesis.records.failed")
                                    .tags(outputTags)
                                    .tag("stream", stream)
                                    .tag("error", t)
                                    .register(registry))
                    .increment();
            if (latencyNanos > 0) {
                latency.record(latencyNanos, TimeUnit.NANOSECONDS);
            }
        }

        /** Events failed before reaching KPL (e.g. the stream is known missing). */
        public void failedBeforeSend(int userRecords, String errorCode) {
            String tag = errorTag(errorCode);
            userFailed
                    .computeIfAbsent(
                            tag,
                            t -> Counter.builder("kinesis.user.records.failed")
                                    .tags(outputTags)
                                    .tag("stream", stream)
                                    .tag("error", t)
                                    .register(registry))
                    .increment(userRecords);
        }

        /** One event rejected for good. */
        public void rejected(String reason) {
            String tag = KNOWN_REASONS.contains(reason) ? reason : "other";
            rejected.computeIfAbsent(
                            tag,
                            t -> Counter.builder("kinesis.user.records.rejected")
                                    .tags(outputTags)
                                    .tag("stream", stream)
                                    .tag("reason", t)
                                    .register(registry))
                    .increment();
        }

        public void shardMiss() {
            shardMisses.increment();
        }
    }
}
