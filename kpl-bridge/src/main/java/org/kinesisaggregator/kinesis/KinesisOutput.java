package org.kinesisaggregator.kinesis;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.EventFormatting;
import org.kinesisaggregator.buffer.LogSafe;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.kinesis.aggregation.AggregateBuilder;
import org.kinesisaggregator.kinesis.format.EventFormatException;
import org.kinesisaggregator.kinesis.format.EventFormatter;
import org.kinesisaggregator.kinesis.internal.AwsClients;
import org.kinesisaggregator.kinesis.internal.HashKeys;
import org.kinesisaggregator.kinesis.internal.KinesisMetrics;
import org.kinesisaggregator.kinesis.internal.RoutingKeys;
import org.kinesisaggregator.kinesis.internal.StreamNameTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.kinesis.producer.UserRecordResult;

/**
 * The Kinesis output ({@code kinesis_producer}, {@code kinesis_streams_aggregated},
 * {@code kinesis_streams}): formats each pending event of a chunk, packs events into KPL-format
 * aggregated records (in {@link AggregationMode#JAVA}) and hands each Kinesis record to a shared
 * KPL producer; maps every Kinesis record's result back to the events inside it.
 *
 * <p><b>Per event.</b> The stream comes from {@code stream_name} and the event's tag; a stream known
 * missing fails the event at once (retried later). The formatted data plus its partition key must
 * fit {@code max_record_size} (1 MiB): otherwise the event is rejected with a log line naming tag,
 * size and limit. Unformattable events (a time outside {@code EventTimes}' range, a record the
 * format cannot handle) are rejected too, alone ({@link EventFormatting}). Everything else goes to
 * KPL.
 *
 * <p><b>Aggregates.</b> Every user record in an aggregate maps to the shard the aggregate lands on
 * (KCL drops the others): without a {@code partition_key} field, one random key (or
 * {@code fixed_partition_key}) serves an aggregate and all records in it; with one, events are
 * grouped by predicted shard (ListShards, MD5 of the key); an aggregate that lands elsewhere than
 * predicted (the stream was resharded) has its events reported failed so they are re-sent under a
 * fresh map. With {@code explicit_hash_key}, an aggregate goes under a partition key whose MD5 falls
 * in the shard of its explicit hash key ({@link RoutingKeys}): KPL sends records without their
 * explicit hash key until it has discovered the stream, and both routes must agree. An event too big
 * to share an aggregate goes as a plain record of its own.
 *
 * <p><b>Back-pressure.</b> Bytes handed to the KPL producer and not yet settled are bounded per
 * producer ({@code max_in_flight_size}): {@link #write} waits for room on the calling flush thread.
 * The wait ends as KPL settles records, which it does within {@code record_ttl} at worst.
 *
 * <p><b>Threads.</b> {@link #write} may run on several flush threads at once; each uses its own
 * formatter workspace and aggregates. KPL callbacks only record outcomes; write futures are
 * completed on this output's result thread. {@link #start} and {@link #close} are called once.
 */
public final class KinesisOutput implements Output {
    private static final Logger log = LoggerFactory.getLogger(KinesisOutput.class);
    private static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(10);

    private final KinesisOutputSettings settings;
    private final ProducerPool pool;
    private final KinesisHealth health;
    private final KinesisMetrics metrics;
    private final Clock clock;
    private final StreamNameTemplate streamName;
    private final EventFormatter formatter;
    private final byte[] partitionKeyField;
    private final byte[] hashKeyField;
    private final AggregatingBatcher.Rules aggregation;
    private final ConcurrentLinkedQueue<EventFormatter.Workspace> workspaces = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<AggregateBuilder> builders = new ConcurrentLinkedQueue<>();
    private final Set<WriteTracker> activeWrites = ConcurrentHashMap.newKeySet();
    private final RoutingKeys routingKeys = new RoutingKeys();

    private volatile boolean started;
    private volatile boolean closed;
    private String region;
    private AwsClients.KinesisConnection kinesis;
    private ExecutorService background;
    private ExecutorService results;
    private StreamChecks streamChecks;
    private ShardMaps shardMaps;
    private volatile ManagedProducer producer;
    private boolean producerReleased;

    /**
     * No I/O here; {@link #start()} connects.
     *
     * @param pool the process' KPL producers (shared by outputs with the same KPL configuration)
     * @param health the process' Kinesis health, for {@code /health/ready}
     * @param outputId the output's {@code @id} (or derived id), the {@code output} tag of its meters
     * @param registry where metrics go
     */
    public KinesisOutput(
            String outputId,
            KinesisOutputSettings settings,
            ProducerPool pool,
            KinesisHealth health,
            MeterRegistry registry,
            Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.pool = Objects.requireNonNull(pool, "pool");
        this.health = Objects.requireNonNull(health, "health");
        this.metrics = new KinesisMetrics(
                Objects.requireNonNull(registry, "registry"),
                Objects.requireNonNull(outputId, "outputId"),
                settings.type().confName());
        this.clock = Objects.requireNonNull(clock, "clock");
        this.streamName = StreamNameTemplate.parse(settings.streamName(), settings.timekeyZone());
        this.formatter = new EventFormatter(settings.format());
        this.partitionKeyField =
                settings.partitionKey() == null ? null : settings.partitionKey().getBytes(StandardCharsets.UTF_8);
        this.hashKeyField = settings.explicitHashKey() == null
                ? null
                : settings.explicitHashKey().getBytes(StandardCharsets.UTF_8);
        this.aggregation = new AggregatingBatcher.Rules(
                settings.aggregationMaxBytes(),
                settings.aggregationMaxRecords(),
                partitionKeyField != null || hashKeyField != null,
                settings.partitionGrouping());
    }

    /** Named after its type (the {@code output} tag), with {@code clock}. */
    public KinesisOutput(
            KinesisOutputSettings settings,
            ProducerPool pool,
            KinesisHealth health,
            MeterRegistry registry,
            Clock clock) {
        this(settings.type().confName(), settings, pool, health, registry, clock);
    }

    /** Named after its type (the {@code output} tag), with the system clock. */
    public KinesisOutput(
            KinesisOutputSettings settings, ProducerPool pool, KinesisHealth health, MeterRegistry registry) {
        this(settings, pool, health, registry, Clock.systemUTC());
    }

    @Override
    public String type() {
        return settings.type().confName();
    }

    public KinesisOutputSettings settings() {
        return settings;
    }

    /**
     * The streams this output writes to that are known missing or not writable, one sentence each
     * ("stream S not found in region R"), for {@code /health/ready}. A stream whose check failed for
     * other reasons (Kinesis unreachable, permissions) is not listed: the buffer holds its events and
     * KPL keeps trying. Cheap; thread-safe.
     */
    @Override
    public List<String> healthProblems() {
        if (!started || closed) {
            return List.of();
        }
        return streamChecks.problems();
    }

    /**
     * Resolves the region, connects the SDK client, takes (or starts) the KPL producer and checks a
     * static stream name with DescribeStreamSummary. A missing stream is reported (log, metrics,
     * {@link KinesisHealth}), not thrown: the buffer keeps events until it appears.
     */
    @Override
    public void start() {
        if (started || closed) {
            throw new IllegalStateException("kinesis output: " + (closed ? "closed" : "already started"));
        }
        try {
            region = AwsClients.resolveRegion(settings.region());
            var credentials = AwsClients.credentialsProvider(settings.credentials(), region);
            kinesis = AwsClients.kinesisClient(
                    region,
                    settings.effectiveEndpoint(),
                    settings.effectiveVerifyCertificate(),
                    credentials,
                    API_CALL_TIMEOUT);
            background = Executors.newSingleThreadExecutor(daemonThreads("kinesis-" + type() + "-checks"));
            results = Executors.newSingleThreadExecutor(daemonThreads("kinesis-" + type() + "-results"));
            streamChecks = new StreamChecks(
                    kinesis.client(), region, settings.streamCheckInterval().toNanos(), health, metrics, background);
            shardMaps = new ShardMaps(
                    kinesis.client(), settings.shardMapRefreshInterval().toMillis(), clock, background);
            producer = pool.acquire(new ProducerPool.ProducerKey(
                    region,
                    settings.effectiveEndpoint(),
                    settings.effectiveVerifyCertificate(),
                    settings.credentials(),
                    settings.kpl(),
                    settings.aggregation() == AggregationMode.KPL,
                    settings.aggregationMaxBytes(),
                    settings.aggregationMaxRecords(),
                    settings.effectiveTempDirectory(),
                    settings.maxInFlightBytes()));
            if (streamName.isStatic()) {
                streamChecks.check(settings.streamName());
            }
        } catch (RuntimeException e) {
            releaseResources(Duration.ofSeconds(5));
            throw e;
        }
        started = true;
        log.info(
                "Kinesis output {} started: stream {}, region {}, aggregation {}, partition key {}",
                type(),
                settings.streamName(),
                region,
                settings.aggregation().confName(),
                settings.partitionKey() != null
                        ? "field " + settings.partitionKey()
                        : settings.fixedPartitionKey() != null ? "fixed" : "random");
    }

    @Override
    public CompletableFuture<WriteResult> write(Chunk chunk) {
        if (!started || closed) {
            return CompletableFuture.completedFuture(
                    WriteResult.failed("kinesis output " + type() + " is " + (closed ? "closed" : "not started")));
        }
        WriteTracker tracker = new WriteTracker(results);
        activeWrites.add(tracker);
        tracker.future().whenComplete((r, e) -> activeWrites.remove(tracker));
        EventFormatter.Workspace workspace = workspaces.poll();
        if (workspace == null) {
            workspace = formatter.newWorkspace();
        }
        Consumer<KinesisRecord> sink = record -> submit(record, tracker);
        Batcher batcher = settings.aggregation() == AggregationMode.JAVA
                ? new AggregatingBatcher(aggregation, shardMaps::get, routingKeys, builders, sink)
                : Batcher.perEvent(sink);
        String abort = null;
        try (EventCursor events = chunk.events()) {
            while (events.next()) {
                if (closed) {
                    abort = "kinesis output " + type() + " closed during the write";
                    break;
                }
                handle(events, chunk.metadata(), workspace, batcher, tracker);
            }
        } catch (IOException | RuntimeException e) {
            abort = "chunk " + chunk.id() + " unreadable after " + tracker.seenCount() + " events: " + e.getMessage();
            log.error("Kinesis output {}: {}", type(), abort, e);
        } finally {
            try {
                batcher.finish();
            } finally {
                workspaces.add(workspace);
                tracker.seal(abort);
            }
        }
        return tracker.future();
    }

    private void handle(
            EventCursor event,
            ChunkMetadata metadata,
            EventFormatter.Workspace workspace,
            Batcher batcher,
            WriteTracker tracker)
            throws IOException {
        int index = event.index();
        String tag = event.tag();
        tracker.seen();
        String stream = streamName.resolve(tag, metadata);
        if (stream == null) {
            String reason = streamName.whyInvalid(tag, metadata);
            log.warn("Rejected event: {} (tag={}, index={})", LogSafe.escape(reason), LogSafe.escape(tag), index);
            metrics.stream("none").rejected("stream_name");
            tracker.reject(index, reason);
            return;
        }
        StreamChecks.State state = streamChecks.state(stream);
        if (!state.isWritable()) {
            metrics.stream(stream)
                    .failedBeforeSend(
                            1,
                            state.status() == KinesisHealth.Status.NOT_FOUND ? "StreamNotFound" : "StreamUnavailable");
            tracker.fail(index, state.detail());
            return;
        }
        EventKeys keys = new EventKeys();
        String unformattable = EventFormatting.tryFormat(event, e -> formatEvent(e, workspace, keys));
        if (unformattable != null) {
            log.warn(
                    "Rejected event: {} (tag={}, index={})", LogSafe.escape(unformattable), LogSafe.escape(tag), index);
            metrics.stream(stream).rejected("format");
            tracker.reject(index, unformattable);
            return;
        }
        String partitionKey = keys.partitionKey;
        String hashKey = keys.hashKey;
        int dataBytes = workspace.length();
        int keyBytes = partitionKey == null ? RecordKeys.RANDOM_KEY_CHARS : RecordKeys.utf8Length(partitionKey);
        if ((long) dataBytes + keyBytes > settings.maxRecordBytes()) {
            String reason = "record of " + (dataBytes + keyBytes) + " bytes (data " + dataBytes + " + partition key "
                    + keyBytes + ") over the limit of " + settings.maxRecordBytes() + " bytes";
            log.warn(
                    "Rejected event: {} (tag={}, stream={}, size={}, limit={})",
                    reason,
                    tag,
                    stream,
                    dataBytes + keyBytes,
                    settings.maxRecordBytes());
            metrics.stream(stream).rejected("too_large");
            tracker.reject(index, reason);
            return;
        }
        batcher.add(new FormattedEvent(
                stream, state.autoDistribution(), index, workspace.array(), dataBytes, partitionKey, hashKey));
    }

    /** Hands one record of a write to the KPL producer; its callback settles the record's events. */
    private void submit(KinesisRecord r, WriteTracker tracker) {
        int weight = r.weight();
        tracker.submitted();
        producer.submit(
                r.stream(),
                r.partitionKey(),
                r.hashKey(),
                r.data(),
                0,
                r.length(),
                weight,
                () -> closed,
                new RecordCallback(tracker, r.stream(), r.indexes(), r.count(), weight, r.shardToCheck()));
    }

    /** The keys of one formatted event. */
    private static final class EventKeys {
        String partitionKey;
        String hashKey;
    }

    /**
     * Formats the cursor's event into {@code workspace} and finds its keys; throws when the event
     * cannot be sent (e.g. an explicit hash key that is no number, a {@code data_key} it lacks).
     */
    private void formatEvent(EventCursor event, EventFormatter.Workspace workspace, EventKeys keys)
            throws EventFormatException {
        workspace.load(event.record());
        keys.partitionKey = partitionKeyField != null
                ? normalizePartitionKey(workspace.field(partitionKeyField))
                : settings.fixedPartitionKey();
        if (hashKeyField != null) {
            String hashKey = workspace.field(hashKeyField);
            if (hashKey != null && !HashKeys.isExplicitHashKey(hashKey)) {
                throw new EventFormatException("explicit_hash_key " + settings.explicitHashKey() + ": " + hashKey
                        + " (expected: an integer in 0..2^128-1)");
            }
            keys.hashKey = hashKey == null ? null : hashKey.trim();
        }
        workspace.format(event.tag(), event.epochSecond(), event.nanos());
    }

    /** Kinesis takes 1..256 characters; empty means "none" (random), longer is cut at 256. */
    private static String normalizePartitionKey(String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.length() <= 256) {
            return value;
        }
        int end = Character.isHighSurrogate(value.charAt(255)) ? 255 : 256;
        return value.substring(0, end);
    }

    /** Maps one Kinesis record's outcome to its events. Runs on KPL's callback threads: records only. */
    private final class RecordCallback implements ManagedProducer.Callback {
        private final WriteTracker tracker;
        private final String stream;
        private final int[] indexes;
        private final int count;
        private final int weight;
        private final String predictedShard;

        RecordCallback(
                WriteTracker tracker, String stream, int[] indexes, int count, int weight, String predictedShard) {
            this.tracker = tracker;
            this.stream = stream;
            this.indexes = indexes;
            this.count = count;
            this.weight = weight;
            this.predictedShard = predictedShard;
        }

        @Override
        public void delivered(UserRecordResult result, long latencyNanos) {
            KinesisMetrics.StreamMeters meters = metrics.stream(stream);
            if (predictedShard != null && !predictedShard.equals(result.getShardId())) {
                log.warn(
                        "Kinesis stream {}: an aggregate of {} events predicted for {} landed on {}; re-sending its events under a "
                                + "fresh shard map",
                        stream,
                        count,
                        predictedShard,
                        result.getShardId());
                meters.shardMiss();
                meters.failed(count, "ShardMismatch", latencyNanos);
                shardMaps.refreshSoon(stream);
                tracker.failed(
                        count,
                        "stream " + stream + ": aggregate predicted for " + predictedShard + " landed on "
                                + result.getShardId()
                                + " (resharded?); its events are re-sent under a fresh shard map");
                return;
            }
            meters.delivered(count, weight, latencyNanos);
            tracker.delivered(indexes, count);
        }

        @Override
        public void failed(String errorCode, String message, long latencyNanos) {
            metrics.stream(stream).failed(count, errorCode, latencyNanos);
            if ("Expired".equals(errorCode) || "ResourceNotFoundException".equals(errorCode)) {
                streamChecks.recheckSoon(stream);
            }
            tracker.failed(count, "stream " + stream + ": " + message);
        }
    }

    /**
     * Stops taking writes, flushes KPL and waits up to {@code close_timeout} for records in flight;
     * writes still unsettled then complete with their events failed (the buffer keeps them).
     * Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!started) {
            return;
        }
        long deadline = System.nanoTime() + settings.closeTimeout().toNanos();
        producer.flush();
        for (WriteTracker tracker : activeWrites) {
            long remaining = deadline - System.nanoTime();
            try {
                tracker.future().get(Math.max(0, remaining), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                // timed out, or failed: forced below
            }
        }
        for (WriteTracker tracker : activeWrites) {
            tracker.forceComplete("kinesis output " + type() + " closed before KPL settled the record");
        }
        releaseResources(Duration.ofNanos(Math.max(TimeUnit.SECONDS.toNanos(1), deadline - System.nanoTime())));
        log.info("Kinesis output {} closed", type());
    }

    /** Gives back the producer and stops the threads and client, whichever exist. Each step is quiet. */
    private void releaseResources(Duration producerTimeout) {
        // The producer reference stays: a straggling write then gets "Closed" from the stopped producer.
        if (producer != null && !producerReleased) {
            producerReleased = true;
            try {
                pool.release(producer, producerTimeout);
            } catch (RuntimeException e) {
                log.warn("Kinesis output {}: releasing its KPL producer failed ({})", type(), e.getMessage());
            }
        }
        if (background != null) {
            background.shutdownNow();
        }
        if (results != null) {
            results.shutdown();
            try {
                results.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (kinesis != null) {
            try {
                kinesis.close();
            } catch (RuntimeException e) {
                log.warn("Kinesis output {}: closing its SDK client failed ({})", type(), e.getMessage());
            }
        }
    }

    private static ThreadFactory daemonThreads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
