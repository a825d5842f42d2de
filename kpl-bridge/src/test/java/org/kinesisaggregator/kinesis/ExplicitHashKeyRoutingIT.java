package org.kinesisaggregator.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.kinesis.aggregation.Deaggregator;
import org.kinesisaggregator.kinesis.aggregation.UserRecord;
import org.kinesisaggregator.kinesis.tail.KinesisRecord;
import org.kinesisaggregator.kinesis.tail.StreamTail;
import org.kinesisaggregator.kinesis.testing.FlushLoop;
import org.kinesisaggregator.kinesis.testing.Json;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;
import org.kinesisaggregator.kinesis.testing.NodeDeaggregator;
import org.kinesisaggregator.kinesis.testing.TestEvents;
import org.kinesisaggregator.kinesis.testing.TestSeed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 12, finding 6: with {@code explicit_hash_key}, an aggregate sent right after a start (before
 * KPL has discovered the stream) used to land on the shard of its partition key's MD5 instead of its
 * explicit hash key's; the bridge re-sent its events, so raw readers (the seed's Lambda, npm
 * aws-kinesis-agg) got them twice. Several fresh starts with traffic at once, on a 4-shard stream,
 * read raw: every event exactly once, on the shard its explicit hash key belongs to.
 */
class ExplicitHashKeyRoutingIT {
    private static final Logger log = LoggerFactory.getLogger(ExplicitHashKeyRoutingIT.class);
    private static final String STREAM = "ehk-route";
    private static final int STARTS = 4;
    private static final int WRITERS = 4;
    private static final int EVENTS_PER_WRITER = 300;

    private static LocalKinesis kinesis;

    @TempDir
    static Path temp;

    @BeforeAll
    static void startKinesis() {
        kinesis = LocalKinesis.start();
        kinesis.createStream(STREAM, 4);
    }

    @AfterAll
    static void stopKinesis() {
        kinesis.close();
    }

    @Test
    void everyEventOnceOnItsExplicitHashKeysShardAfterFreshStarts() throws Exception {
        long seed = TestSeed.create("ExplicitHashKeyRoutingIT");
        Random random = new Random(seed);
        List<Map<String, Object>> all = new ArrayList<>();
        long misroutedEvents = 0;
        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        try {
            for (int start = 0; start < STARTS; start++) {
                List<List<Map<String, Object>>> batches = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    List<Map<String, Object>> records =
                            TestEvents.records(random, (long) all.size(), EVENTS_PER_WRITER, 200);
                    for (Map<String, Object> r : records) {
                        r.put("hash", new BigInteger(128, random).toString());
                    }
                    all.addAll(records);
                    batches.add(records);
                }
                misroutedEvents += runOneStart(start, batches, writers);
            }
        } finally {
            writers.shutdownNow();
        }

        Map<String, BigInteger[]> ranges = shardRanges();
        List<KinesisRecord> raw;
        try (StreamTail tail = new StreamTail(kinesis.tailOptions(STREAM))) {
            raw = tail.readAllKinesisRecords();
        }
        Map<String, String> shardBySequence = new HashMap<>();
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        List<String> keyRoutesElsewhere = new ArrayList<>();
        for (KinesisRecord r : raw) {
            shardBySequence.put(r.sequenceNumber(), r.shardId());
            // Both routes agree: the record's own partition key sends it where its explicit hash key does,
            // whichever of the two Kinesis was given (KPL omits the explicit hash key before discovery).
            BigInteger byKey = new BigInteger(1, md5.digest(r.partitionKey().getBytes(StandardCharsets.UTF_8)));
            if (!inRange(byKey, ranges.get(r.shardId()))) {
                keyRoutesElsewhere.add(r.sequenceNumber() + " on " + r.shardId());
            }
        }

        // npm aws-kinesis-agg, as the seed's Lambda reads the stream: no shard check of its own.
        NodeDeaggregator.Output node = NodeDeaggregator.deaggregate(raw);
        assertThat(node.errors()).isEmpty();
        assertThat(node.records()).isEqualTo(raw.size());
        Map<Long, Integer> nodeCopies = new HashMap<>();
        List<String> nodeOffShard = new ArrayList<>();
        for (NodeDeaggregator.Result user : node.userRecords()) {
            Map<String, Object> json = Json.parseObject(user.data());
            long seq = (Long) json.get("seq");
            nodeCopies.merge(seq, 1, Integer::sum);
            assertThat(user.partitionKey()).isEqualTo(json.get("user"));
            String shard = shardBySequence.get(user.sequenceNumber());
            if (user.subSequenceNumber() != null) {
                assertThat(user.explicitPartitionKey()).isEqualTo(json.get("hash"));
            }
            // GetRecords does not return a plain record's explicit hash key: the event's own is the truth.
            if (!inRange(new BigInteger((String) json.get("hash")), ranges.get(shard))) {
                nodeOffShard.add("seq " + seq + " on " + shard);
            }
        }

        // Our Deaggregator, checking what KCL checks: the effective hash key of each user record.
        Map<Long, Integer> ourCopies = new HashMap<>();
        List<String> ourOffShard = new ArrayList<>();
        for (KinesisRecord r : raw) {
            for (UserRecord user : Deaggregator.deaggregate(r.data(), r.partitionKey(), r.explicitHashKey())) {
                Map<String, Object> json = Json.parseObject(user.data());
                long seq = (Long) json.get("seq");
                ourCopies.merge(seq, 1, Integer::sum);
                BigInteger effective = user.aggregated()
                        ? user.explicitHashKey() != null
                                ? new BigInteger(user.explicitHashKey())
                                : new BigInteger(
                                        1, md5.digest(user.partitionKey().getBytes(StandardCharsets.UTF_8)))
                        : new BigInteger((String) json.get("hash"));
                if (!inRange(effective, ranges.get(r.shardId()))) {
                    ourOffShard.add("seq " + seq + " on " + r.shardId());
                }
            }
        }

        long nodeDuplicates = duplicates(nodeCopies);
        log.info(
                "{} starts, {} events: {} Kinesis records, {} whose partition key hashes to another shard; {} events "
                        + "re-sent after landing off their shard; aws-kinesis-agg: {} user records, {} duplicated "
                        + "events, {} off their shard",
                STARTS,
                all.size(),
                raw.size(),
                keyRoutesElsewhere.size(),
                misroutedEvents,
                node.userRecords().size(),
                nodeDuplicates,
                nodeOffShard.size());
        assertThat(misroutedEvents)
                .as("events of aggregates that landed off their shard")
                .isZero();
        assertThat(keyRoutesElsewhere)
                .as("Kinesis records whose partition key's MD5 is outside the shard they are on")
                .isEmpty();
        assertThat(nodeOffShard)
                .as("user records read from a shard their hash key is not in")
                .isEmpty();
        assertThat(ourOffShard).as("user records KCL would drop").isEmpty();
        assertThat(nodeDuplicates)
                .as("events aws-kinesis-agg read more than once")
                .isZero();
        assertThat(duplicates(ourCopies)).isZero();
        for (Map<String, Object> expected : all) {
            long seq = ((Number) expected.get("seq")).longValue();
            assertThat(nodeCopies.get(seq)).as("copies of seq %d", seq).isEqualTo(1);
        }
        assertThat(nodeCopies).hasSize(all.size());
        assertThat(ourCopies).hasSize(all.size());
        assertThat(raw.size()).as("events travel in aggregates").isLessThan(all.size() / 10);
    }

    /** A new pool (a new KPL daemon) and output, then all writers at once; the misrouted events. */
    private static long runOneStart(int start, List<List<Map<String, Object>>> batches, ExecutorService writers)
            throws Exception {
        KinesisOutputSettings settings = kinesis.configure(
                        KinesisOutputSettings.builder(OutputType.KINESIS_STREAMS_AGGREGATED, STREAM))
                .partitionKey("user")
                .explicitHashKey("hash")
                .kplTempDirectory(temp.resolve("kpl"))
                .build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ProducerPool pool = new ProducerPool();
                KinesisOutput output = new KinesisOutput(settings, pool, new KinesisHealth(), registry)) {
            output.start();
            List<CompletableFuture<FlushLoop.Outcome>> outcomes = new ArrayList<>();
            for (int w = 0; w < batches.size(); w++) {
                var chunk = TestEvents.chunk("s" + start + "w" + w, "app", batches.get(w), 1_700_000_000L);
                outcomes.add(CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                return FlushLoop.deliver(output, chunk, 5, Duration.ofMinutes(2));
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        writers));
            }
            for (CompletableFuture<FlushLoop.Outcome> outcome : outcomes) {
                FlushLoop.Outcome done = outcome.get(5, TimeUnit.MINUTES);
                assertThat(done.pending()).as("start %d: %s", start, done).isZero();
                assertThat(done.rejected()).isEmpty();
            }
        }
        long misrouted =
                (long) registry.find("kinesis.user.records.failed").tag("error", "ShardMismatch").counters().stream()
                        .mapToDouble(Counter::count)
                        .sum();
        log.info("start {}: {} events re-sent after their aggregate landed off its shard", start, misrouted);
        return misrouted;
    }

    private static Map<String, BigInteger[]> shardRanges() {
        Map<String, BigInteger[]> ranges = new HashMap<>();
        for (var shard : kinesis.client().listShards(r -> r.streamName(STREAM)).shards()) {
            ranges.put(shard.shardId(), new BigInteger[] {
                new BigInteger(shard.hashKeyRange().startingHashKey()),
                new BigInteger(shard.hashKeyRange().endingHashKey())
            });
        }
        assertThat(ranges).hasSize(4);
        return ranges;
    }

    private static boolean inRange(BigInteger hash, BigInteger[] range) {
        return range != null && hash.compareTo(range[0]) >= 0 && hash.compareTo(range[1]) <= 0;
    }

    private static long duplicates(Map<Long, Integer> copies) {
        return copies.values().stream().mapToLong(n -> n - 1).sum();
    }
}
