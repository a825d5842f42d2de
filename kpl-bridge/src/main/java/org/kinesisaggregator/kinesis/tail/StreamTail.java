package org.kinesisaggregator.kinesis.tail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.kinesisaggregator.kinesis.aggregation.AggregateFormatException;
import org.kinesisaggregator.kinesis.aggregation.Deaggregator;
import org.kinesisaggregator.kinesis.aggregation.UserRecord;
import org.kinesisaggregator.kinesis.format.EventFormatter;
import org.kinesisaggregator.kinesis.internal.AwsClients;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.SdkSystemSetting;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * Reads a stream the way a consumer does and hands over user records: GetRecords on every shard,
 * KPL aggregates de-aggregated with {@link Deaggregator} (MD5 checked). Backs the CLI command
 * {@code kinesis-aggregator tail --stream S [--endpoint URL] [--from trim_horizon|latest] [--count N]}
 * ({@link #run(TailOptions, PrintStream)}) and the tests' read-back.
 *
 * <p>The SDK's Kinesis client speaks CBOR by default, and kinesalite's CBOR answers to large
 * GetRecords calls come back truncated: unless the JVM already says otherwise
 * ({@code -Daws.cborEnabled} or {@code AWS_CBOR_DISABLED}), this class sets
 * {@code aws.cborEnabled=false} before building its client. JSON costs a little more on real
 * Kinesis and is otherwise the same.
 *
 * <p>Not thread-safe; one reader per instance. Closing it closes its client.
 */
public final class StreamTail implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StreamTail.class);
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Duration SHARD_REFRESH = Duration.ofSeconds(30);

    private final TailOptions options;
    private final AwsClients.KinesisConnection connection;
    private final KinesisClient client;
    private long corruptRecords;

    public StreamTail(TailOptions options) {
        this.options = options;
        disableCborUnlessConfigured();
        String region = AwsClients.resolveRegion(options.region());
        this.connection = AwsClients.kinesisClient(
                region,
                options.endpoint(),
                options.verifyCertificate(),
                AwsClients.credentialsProvider(options.credentials(), region),
                Duration.ofSeconds(30));
        this.client = connection.client();
    }

    /**
     * The CLI command: prints one JSON line per user record to {@code out} until {@code --count}
     * records were printed, or (without follow) the stream is read to its end. Corrupt aggregates
     * are logged and skipped.
     *
     * @return how many user records were printed
     */
    public static long run(TailOptions options, PrintStream out) {
        try (StreamTail tail = new StreamTail(options)) {
            long printed = tail.forEachUserRecord(record -> out.println(tail.format(record)), false);
            out.flush();
            return printed;
        }
    }

    /** How many aggregates failed their MD5 or could not be parsed so far. */
    public long corruptRecords() {
        return corruptRecords;
    }

    /**
     * Hands every user record to {@code consumer}, in shard order within each shard.
     *
     * @param strict true: a corrupt aggregate throws {@link IllegalStateException}; false: it is logged and skipped
     * @return how many user records were handed over
     */
    public long forEachUserRecord(Consumer<TailRecord> consumer, boolean strict) {
        long[] handed = {0};
        forEachKinesisRecord(record -> {
            List<UserRecord> users;
            try {
                users = Deaggregator.deaggregate(record.data(), record.partitionKey(), record.explicitHashKey());
            } catch (AggregateFormatException e) {
                corruptRecords++;
                String message =
                        "shard " + record.shardId() + " record " + record.sequenceNumber() + ": " + e.getMessage();
                if (strict) {
                    throw new IllegalStateException(message, e);
                }
                log.error("Skipped a corrupt aggregated record: {}", message);
                return true;
            }
            for (UserRecord user : users) {
                if (options.count() > 0 && handed[0] >= options.count()) {
                    return false;
                }
                consumer.accept(new TailRecord(record.shardId(), record.sequenceNumber(), user));
                handed[0]++;
            }
            return options.count() == 0 || handed[0] < options.count();
        });
        return handed[0];
    }

    /** Visits Kinesis records; the visitor returns false to stop. */
    public interface KinesisRecordVisitor {
        boolean visit(KinesisRecord record);
    }

    /** Hands every Kinesis record (aggregates as they are) to {@code visitor} until it returns false. */
    public void forEachKinesisRecord(KinesisRecordVisitor visitor) {
        Map<String, String> iterators = new LinkedHashMap<>();
        Map<String, Boolean> caughtUp = new LinkedHashMap<>();
        Map<String, String> lastSequence = new LinkedHashMap<>();
        addNewShards(iterators, caughtUp);
        long lastShardRefresh = System.nanoTime();
        while (true) {
            boolean any = false;
            for (String shardId : new ArrayList<>(iterators.keySet())) {
                String iterator = iterators.get(shardId);
                if (iterator == null) {
                    continue;
                }
                GetRecordsResponse response;
                try {
                    response = client.getRecords(r -> r.shardIterator(iterator).limit(10_000));
                } catch (ExpiredIteratorException e) {
                    String after = lastSequence.get(shardId);
                    iterators.put(
                            shardId, after == null ? iterator(shardId, options.from()) : iteratorAfter(shardId, after));
                    continue;
                }
                for (Record record : response.records()) {
                    any = true;
                    lastSequence.put(shardId, record.sequenceNumber());
                    KinesisRecord kinesisRecord = new KinesisRecord(
                            shardId,
                            record.sequenceNumber(),
                            record.partitionKey(),
                            null,
                            record.data().asByteArray());
                    if (!visitor.visit(kinesisRecord)) {
                        return;
                    }
                }
                iterators.put(shardId, response.nextShardIterator());
                Long behind = response.millisBehindLatest();
                caughtUp.put(
                        shardId,
                        response.nextShardIterator() == null
                                || (response.records().isEmpty() && (behind == null || behind == 0)));
            }
            if (!options.follow() && caughtUp.values().stream().allMatch(Boolean::booleanValue)) {
                return;
            }
            if (options.follow() && System.nanoTime() - lastShardRefresh > SHARD_REFRESH.toNanos()) {
                addNewShards(iterators, caughtUp);
                lastShardRefresh = System.nanoTime();
            }
            if (!any) {
                pause();
            }
        }
    }

    /** Reads every user record currently in the stream (follow off), strictly. For tests and tools. */
    public List<TailRecord> readAll() {
        List<TailRecord> out = new ArrayList<>();
        forEachUserRecord(out::add, true);
        return out;
    }

    /** Reads every Kinesis record currently in the stream (follow off), aggregates undecoded. */
    public List<KinesisRecord> readAllKinesisRecords() {
        List<KinesisRecord> out = new ArrayList<>();
        forEachKinesisRecord(r -> {
            out.add(r);
            return true;
        });
        return out;
    }

    /**
     * One output line for {@code record}, per {@link TailOptions#output()}: the data as JSON (see
     * {@link #asJson}), else {@code {"data": TEXT}} when it is UTF-8, else {@code {"data_base64": …}}
     * (standard padded base64, as the event format writes bytes that are not text).
     */
    public String format(TailRecord record) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (JsonGenerator out = JSON.createGenerator(bytes)) {
                UserRecord user = record.record();
                if (options.output() == TailOptions.OutputFormat.DATA) {
                    String json = asJson(user.data());
                    if (json != null) {
                        return json;
                    }
                    out.writeStartObject();
                    writeData(out, user.data());
                    out.writeEndObject();
                } else {
                    out.writeStartObject();
                    out.writeStringField("shard_id", record.shardId());
                    out.writeStringField("sequence_number", record.sequenceNumber());
                    out.writeNumberField("sub_sequence_number", user.subSequenceNumber());
                    out.writeStringField("partition_key", user.partitionKey());
                    if (user.explicitHashKey() != null) {
                        out.writeStringField("explicit_hash_key", user.explicitHashKey());
                    }
                    out.writeBooleanField("aggregated", user.aggregated());
                    String json = asJson(user.data());
                    if (json != null) {
                        out.writeFieldName("data");
                        out.writeRawValue(json);
                    } else {
                        writeData(out, user.data());
                    }
                    out.writeEndObject();
                }
            }
            return bytes.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot format a record as JSON", e);
        }
    }

    private static void writeData(JsonGenerator out, byte[] data) throws IOException {
        String text = strictUtf8(data);
        if (text != null) {
            out.writeStringField("data", text);
        } else {
            out.writeStringField("data_base64", Base64.getEncoder().encodeToString(data));
        }
    }

    /**
     * The data as one JSON value: the data itself when it is one JSON value (a trailing newline
     * dropped), a msgpack record ({@code <format> @type msgpack}) as JSON by the event format's value
     * mapping ({@link EventFormatter}), else null.
     */
    private static String asJson(byte[] data) {
        String json = asJsonText(data);
        return json != null ? json : EventFormatter.jsonOfMsgpackRecord(data);
    }

    private static String asJsonText(byte[] data) {
        int length = data.length;
        while (length > 0 && (data[length - 1] == '\n' || data[length - 1] == '\r')) {
            length--;
        }
        if (length == 0 || strictUtf8(data) == null) {
            return null;
        }
        try (JsonParser parser = JSON.createParser(data, 0, length)) {
            if (parser.nextToken() == null) {
                return null;
            }
            parser.skipChildren();
            if (parser.nextToken() != null) {
                return null;
            }
            return new String(data, 0, length, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }

    private static String strictUtf8(byte[] data) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(ByteBuffer.wrap(data))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private void addNewShards(Map<String, String> iterators, Map<String, Boolean> caughtUp) {
        List<Shard> shards = new ArrayList<>();
        String next = null;
        do {
            String token = next;
            ListShardsResponse response = token == null
                    ? client.listShards(r -> r.streamName(options.stream()))
                    : client.listShards(r -> r.nextToken(token));
            shards.addAll(response.shards());
            next = response.nextToken();
        } while (next != null);
        boolean first = iterators.isEmpty();
        for (Shard shard : shards) {
            if (!iterators.containsKey(shard.shardId())) {
                // Shards that appear later (resharding) are read from their start.
                iterators.put(
                        shard.shardId(),
                        iterator(shard.shardId(), first ? options.from() : TailOptions.StartPosition.TRIM_HORIZON));
                caughtUp.put(shard.shardId(), false);
            }
        }
        if (first) {
            // scripts wait for this line before they send (with --from latest, earlier records are not shown)
            log.info("Reading stream {}: {} shards from {}", options.stream(), shards.size(), describe(options.from()));
        }
    }

    private static String describe(TailOptions.StartPosition from) {
        return from instanceof TailOptions.StartPosition.AtTimestamp at
                ? at.instant().toString()
                : ((TailOptions.StartPosition.Named) from).confName();
    }

    private String iterator(String shardId, TailOptions.StartPosition from) {
        if (from instanceof TailOptions.StartPosition.AtTimestamp at) {
            return client.getShardIterator(r -> r.streamName(options.stream())
                            .shardId(shardId)
                            .shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
                            .timestamp(at.instant()))
                    .shardIterator();
        }
        ShardIteratorType type =
                from == TailOptions.StartPosition.LATEST ? ShardIteratorType.LATEST : ShardIteratorType.TRIM_HORIZON;
        return client.getShardIterator(
                        r -> r.streamName(options.stream()).shardId(shardId).shardIteratorType(type))
                .shardIterator();
    }

    private String iteratorAfter(String shardId, String sequenceNumber) {
        return client.getShardIterator(r -> r.streamName(options.stream())
                        .shardId(shardId)
                        .shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
                        .startingSequenceNumber(sequenceNumber))
                .shardIterator();
    }

    private void pause() {
        try {
            Thread.sleep(options.pollInterval().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("tail interrupted", e);
        }
    }

    private static void disableCborUnlessConfigured() {
        if (System.getProperty(SdkSystemSetting.CBOR_ENABLED.property()) == null
                && System.getenv("AWS_CBOR_DISABLED") == null) {
            System.setProperty(SdkSystemSetting.CBOR_ENABLED.property(), "false");
        }
    }

    @Override
    public void close() {
        connection.close();
    }
}
