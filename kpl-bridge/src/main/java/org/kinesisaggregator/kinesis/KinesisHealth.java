package org.kinesisaggregator.kinesis;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the Kinesis outputs know about their destinations, for {@code /health/ready} and the logs:
 * per stream, whether it exists and is writable (DescribeStreamSummary at start, when a new stream
 * name is first used, and again after {@code Expired} or {@code ResourceNotFound} failures); per
 * KPL producer, its last daemon failure.
 *
 * <p>One instance per process, shared by every {@link KinesisOutput}; the server exposes
 * {@link #snapshot()} and decides what readiness means. {@link #isReady()} is false while any
 * configured stream is known missing or not writable: a node without a usable stream still buffers
 * to disk, but an operator should hear of it (the NLB may then move forwarders to other nodes,
 * which have the same problem unless the stream is regional, so consider this a signal, not a
 * cure). A stream whose check failed for other reasons (network, permissions) is reported as
 * {@link Status#UNKNOWN} and does not make the node unready.
 *
 * <p>Thread-safe.
 */
public final class KinesisHealth {

    /** A stream's state as last checked. */
    public enum Status {
        /** ACTIVE or UPDATING: writable. */
        OK,
        /** DescribeStreamSummary says ResourceNotFound: "stream S not found in region R". */
        NOT_FOUND,
        /** It exists but is CREATING or DELETING: not writable now. */
        UNAVAILABLE,
        /** The check itself failed (network, credentials, permissions); KPL keeps trying. */
        UNKNOWN
    }

    /**
     * One stream's last check.
     *
     * @param detail a sentence for humans, e.g. "stream logs not found in region ap-northeast-1"
     */
    public record StreamHealth(String region, String stream, Status status, String detail, Instant checkedAt) {}

    /** A KPL producer's last daemon failure. */
    public record ProducerHealth(String producer, long daemonFailures, String lastFailure, Instant lastFailureAt) {}

    /**
     * Everything at one moment.
     *
     * @param ready {@link #isReady()}
     * @param problems one sentence per problem
     */
    public record Snapshot(
            boolean ready, List<String> problems, List<StreamHealth> streams, List<ProducerHealth> producers) {}

    private final Clock clock;
    private final ConcurrentHashMap<String, StreamHealth> streams = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ProducerHealth> producers = new ConcurrentHashMap<>();

    public KinesisHealth(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** With the system clock. */
    public KinesisHealth() {
        this(Clock.systemUTC());
    }

    /** Records the outcome of a stream check. Called by the bridge. */
    public void reportStream(String region, String stream, Status status, String detail) {
        streams.put(region + "/" + stream, new StreamHealth(region, stream, status, detail, clock.instant()));
    }

    /** Records a KPL daemon failure. Called by the bridge. */
    public void reportDaemonFailure(String producer, String detail) {
        producers.compute(
                producer,
                (k, old) -> new ProducerHealth(
                        producer, old == null ? 1 : old.daemonFailures() + 1, detail, clock.instant()));
    }

    /** The last check of {@code stream} in {@code region}, or null. */
    public StreamHealth stream(String region, String stream) {
        return streams.get(region + "/" + stream);
    }

    /** False while a stream is known missing or not writable. */
    public boolean isReady() {
        return streams.values().stream()
                .noneMatch(s -> s.status() == Status.NOT_FOUND || s.status() == Status.UNAVAILABLE);
    }

    /** One sentence per current problem (missing streams, failed checks). */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        for (StreamHealth s : sortedStreams()) {
            if (s.status() != Status.OK) {
                out.add(s.detail());
            }
        }
        return out;
    }

    /** The current state, for {@code /health/ready} (serialize {@link #toMap()} or the record). */
    public Snapshot snapshot() {
        List<ProducerHealth> p = new ArrayList<>(producers.values());
        p.sort(Comparator.comparing(ProducerHealth::producer));
        return new Snapshot(isReady(), problems(), sortedStreams(), p);
    }

    /** {@link #snapshot()} as plain maps and lists, ready for any JSON writer. */
    public Map<String, Object> toMap() {
        Snapshot s = snapshot();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ready", s.ready());
        out.put("problems", s.problems());
        List<Map<String, Object>> streamList = new ArrayList<>();
        for (StreamHealth h : s.streams()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("region", h.region());
            m.put("stream", h.stream());
            m.put("status", h.status().name().toLowerCase(Locale.ROOT));
            m.put("detail", h.detail());
            m.put("checked_at", h.checkedAt().toString());
            streamList.add(m);
        }
        out.put("streams", streamList);
        List<Map<String, Object>> producerList = new ArrayList<>();
        for (ProducerHealth h : s.producers()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("producer", h.producer());
            m.put("daemon_failures", h.daemonFailures());
            m.put("last_failure", h.lastFailure());
            m.put("last_failure_at", h.lastFailureAt().toString());
            producerList.add(m);
        }
        out.put("kpl_producers", producerList);
        return out;
    }

    private List<StreamHealth> sortedStreams() {
        List<StreamHealth> list = new ArrayList<>(streams.values());
        list.sort(Comparator.comparing(StreamHealth::region).thenComparing(StreamHealth::stream));
        return list;
    }
}
