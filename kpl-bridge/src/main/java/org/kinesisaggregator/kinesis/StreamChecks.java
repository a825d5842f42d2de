package org.kinesisaggregator.kinesis;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.kinesisaggregator.kinesis.internal.KinesisMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.RecordDistributionStrategy;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Knows, per stream name, whether the stream exists and is writable, from DescribeStreamSummary.
 * KPL never fails fast on a missing stream (each record waits for {@code record_ttl} while the
 * daemon's memory grows), so the output asks here first and fails events for a stream known
 * missing at once; they go back to the buffer and are retried with its backoff.
 *
 * <p>A stream is checked when first used, again when its last check said "missing" and is older
 * than {@code stream_check_interval} (synchronously, on the writing thread: one small call), and in
 * the background after {@code Expired} or {@code ResourceNotFoundException} failures and when
 * {@link #problems()} (the health check) finds it missing. Outcomes go
 * to {@link KinesisHealth}, the log (on change) and {@code kinesis.stream.checks}.
 *
 * <p>Thread-safe.
 */
final class StreamChecks {
    private static final Logger log = LoggerFactory.getLogger(StreamChecks.class);

    /** The last check of one stream. */
    record State(KinesisHealth.Status status, String detail, boolean autoDistribution, long checkedAtNanos) {
        boolean isWritable() {
            return status == KinesisHealth.Status.OK || status == KinesisHealth.Status.UNKNOWN;
        }
    }

    private final KinesisClient client;
    private final String region;
    private final long intervalNanos;
    private final KinesisHealth health;
    private final KinesisMetrics metrics;
    private final ExecutorService background;
    private final ConcurrentHashMap<String, State> states = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Boolean> pending = new ConcurrentHashMap<>();

    StreamChecks(
            KinesisClient client,
            String region,
            long intervalNanos,
            KinesisHealth health,
            KinesisMetrics metrics,
            ExecutorService background) {
        this.client = client;
        this.region = region;
        this.intervalNanos = intervalNanos;
        this.health = health;
        this.metrics = metrics;
        this.background = background;
    }

    /** The stream's state, checking it now if it was never checked or was missing long enough ago. */
    State state(String stream) {
        State state = states.get(stream);
        if (state == null || (!state.isWritable() && System.nanoTime() - state.checkedAtNanos() > intervalNanos)) {
            state = check(stream);
        }
        return state;
    }

    /** Checks again in the background (after Expired / ResourceNotFound), at most once per interval. */
    void recheckSoon(String stream) {
        State state = states.get(stream);
        if (state != null && System.nanoTime() - state.checkedAtNanos() < intervalNanos) {
            return;
        }
        if (pending.putIfAbsent(stream, Boolean.TRUE) != null) {
            return;
        }
        try {
            background.execute(() -> {
                try {
                    check(stream);
                } finally {
                    pending.remove(stream);
                }
            });
        } catch (RejectedExecutionException e) {
            pending.remove(stream);
        }
    }

    /**
     * The details of the streams known missing or not writable (e.g. "stream S not found in region
     * R"), in name order; empty when every stream checked so far is writable or its check could not
     * tell (network, permissions: KPL keeps trying, so that is no reason to turn traffic away).
     *
     * <p>Each such stream is checked again in the background once its last check is older than the
     * interval: a node made unready by a missing stream gets no traffic from its load balancer, so
     * without this nothing would ever write, nothing would check, and it would stay unready after the
     * stream was created. The caller never waits for the check.
     */
    List<String> problems() {
        List<String> out = new ArrayList<>();
        new TreeMap<>(states).forEach((stream, state) -> {
            if (!state.isWritable()) {
                out.add(state.detail());
                recheckSoon(stream);
            }
        });
        return out;
    }

    /** Calls DescribeStreamSummary and records the outcome. */
    State check(String stream) {
        State state;
        try {
            DescribeStreamSummaryResponse response = client.describeStreamSummary(r -> r.streamName(stream));
            StreamStatus status = response.streamDescriptionSummary().streamStatus();
            boolean auto =
                    response.streamDescriptionSummary().recordDistributionStrategy() == RecordDistributionStrategy.AUTO;
            if (status == StreamStatus.ACTIVE || status == StreamStatus.UPDATING) {
                state = new State(
                        KinesisHealth.Status.OK,
                        "stream " + stream + " is " + status + " in region " + region
                                + (auto ? " (record distribution AUTO: partition keys do not route)" : ""),
                        auto,
                        System.nanoTime());
            } else {
                state = new State(
                        KinesisHealth.Status.UNAVAILABLE,
                        "stream " + stream + " is " + status + " in region " + region + " (expected: ACTIVE)",
                        auto,
                        System.nanoTime());
            }
        } catch (ResourceNotFoundException e) {
            state = new State(
                    KinesisHealth.Status.NOT_FOUND,
                    "stream " + stream + " not found in region " + region,
                    false,
                    System.nanoTime());
        } catch (RuntimeException e) {
            State known = states.get(stream);
            state = new State(
                    KinesisHealth.Status.UNKNOWN,
                    "cannot check stream " + stream + " in region " + region + ": " + e.getMessage(),
                    known != null && known.autoDistribution(),
                    System.nanoTime());
        }
        State previous = states.put(stream, state);
        if (previous == null || previous.status() != state.status()) {
            switch (state.status()) {
                case OK -> log.info("Kinesis {}", state.detail());
                case NOT_FOUND, UNAVAILABLE ->
                    log.error("Kinesis {}; its events stay in the buffer and are retried", state.detail());
                case UNKNOWN -> log.warn("Kinesis {}; KPL keeps trying", state.detail());
            }
        }
        health.reportStream(region, stream, state.status(), state.detail());
        metrics.streamCheck(state.status().name().toLowerCase(Locale.ROOT));
        return state;
    }
}
