package org.kinesisaggregator.kinesis;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Locale;
import java.util.Objects;
import org.kinesisaggregator.kinesis.internal.StreamNameTemplate;

/**
 * One Kinesis {@code <match>} section, validated: the parameters of aws-fluent-plugin-kinesis'
 * {@code kinesis_producer} (v1), {@code kinesis_streams_aggregated} and {@code kinesis_streams}
 * (v3), plus the bridge's own. Build with {@link #builder(OutputType, String)}; the conf layer maps
 * conf names onto the builder (docs/kinesis.md lists every name, its type and default).
 *
 * @param type which plugin's defaults apply ({@code @type})
 * @param region {@code region}; null = {@code AWS_REGION}, {@code AMAZON_REGION},
 *     {@code AWS_DEFAULT_REGION}, then the SDK's region chain, resolved at start
 * @param streamName {@code stream_name}, with {@code ${tag}} and {@code ${tag[N]}} placeholders
 *     (N from 0; negative counts from the end); v1's {@code stream_name_prefix P} is {@code P${tag}}
 * @param partitionKey {@code partition_key}: the record field whose value is each event's partition
 *     key; null = random keys (one per aggregate)
 * @param fixedPartitionKey {@code fixed_partition_key} (kinesis_streams_aggregated): one key for
 *     everything (all data on one shard); null = random
 * @param explicitHashKey {@code explicit_hash_key}: the record field holding each event's explicit
 *     hash key (decimal, 0..2^128-1); null = none
 * @param endpoint {@code endpoint}: {@code https://host[:port]} of Kinesis (tests, VPC endpoints); null =
 *     AWS' regional endpoint. v1's {@code <kinesis_producer> custom_endpoint}/{@code port} are used when this is null.
 * @param sslVerifyPeer {@code ssl_verify_peer}: verify the endpoint's certificate (false only for tests)
 * @param credentials how AWS credentials are found
 * @param format how an event becomes a user record
 * @param aggregation {@code aggregation}: java, kpl or none (default per {@link OutputType#defaultAggregation()};
 *     {@code <kinesis_producer> aggregation_enabled false} means none)
 * @param aggregationMaxBytes {@code aggregation_max_size}: the most an aggregated Kinesis record
 *     weighs, data plus partition key (default 50000: at most two PUT payload units whether a unit
 *     is 25,000 or 25,600 bytes; AWS says "25 KB")
 * @param aggregationMaxRecords {@code aggregation_max_count}: the most user records per aggregate
 * @param maxRecordBytes {@code max_record_size}: a formatted event weighing more (data plus partition
 *     key) is rejected, never sent (default and ceiling: 1 MiB, Kinesis' record limit)
 * @param partitionGrouping with a {@code partition_key} field: aggregate by predicted shard (default)
 *     or by key (see docs/kinesis.md for the measurement behind the default)
 * @param maxInFlightBytes {@code max_in_flight_size}: bytes handed to KPL and not yet settled, per KPL
 *     producer; writers wait beyond it (default 8 MiB; the daemon's memory follows it)
 * @param shardMapRefreshInterval how often shard maps are re-read with ListShards (also after a
 *     shard prediction misses)
 * @param streamCheckInterval the least time between two DescribeStreamSummary checks of one stream
 * @param kplTempDirectory where KPL extracts its daemon and makes its pipes ({@code TempDirectory});
 *     a directory under the aggregator's data directory, so that several nodes per host and a
 *     read-only /tmp work; null = KPL's default (java.io.tmpdir)
 * @param kpl the {@code <kinesis_producer>} section
 * @param closeTimeout how long {@link KinesisOutput#close()} waits for records in flight
 * @param timekeyZone with the {@code time} chunk key: the zone in which strftime directives of
 *     {@code stream_name} ({@code %Y%m%d%H}) format the chunk's time slice start; null without it
 *     (then {@code %} is refused in {@code stream_name})
 */
public record KinesisOutputSettings(
        OutputType type,
        String region,
        String streamName,
        String partitionKey,
        String fixedPartitionKey,
        String explicitHashKey,
        URI endpoint,
        boolean sslVerifyPeer,
        CredentialsSettings credentials,
        FormatSettings format,
        AggregationMode aggregation,
        int aggregationMaxBytes,
        int aggregationMaxRecords,
        int maxRecordBytes,
        PartitionGrouping partitionGrouping,
        long maxInFlightBytes,
        Duration shardMapRefreshInterval,
        Duration streamCheckInterval,
        Path kplTempDirectory,
        KplSettings kpl,
        Duration closeTimeout,
        ZoneId timekeyZone) {

    /** Kinesis' limit on one record, data plus partition key. */
    public static final int KINESIS_MAX_RECORD_BYTES = 1024 * 1024;
    /** KPL's {@code AggregationMaxSize} default, two 25 KB PUT payload units. */
    public static final int DEFAULT_AGGREGATION_MAX_BYTES = 50_000;

    public static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 8L * 1024 * 1024;
    public static final Duration DEFAULT_SHARD_MAP_REFRESH_INTERVAL = Duration.ofMinutes(1);
    public static final Duration DEFAULT_STREAM_CHECK_INTERVAL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    /** How events with a partition_key field are grouped into aggregates. */
    public enum PartitionGrouping {
        /** One aggregate per predicted shard (ListShards + MD5 of the key): full aggregates whatever the key count. */
        SHARD("shard"),
        /** One aggregate per distinct key: needs no shard map; aggregates stay small when keys are many. */
        KEY("key");

        private final String confName;

        PartitionGrouping(String confName) {
            this.confName = confName;
        }

        public String confName() {
            return confName;
        }

        public static PartitionGrouping fromConfName(String name) {
            for (PartitionGrouping g : values()) {
                if (g.confName.equals(name)) {
                    return g;
                }
            }
            throw new IllegalArgumentException("partition_grouping: " + name + " (expected: shard or key)");
        }
    }

    public KinesisOutputSettings {
        Objects.requireNonNull(type, "type");
        if (region != null && !region.matches("[a-z]+-([a-z]+-)?[a-z]+-[0-9]+")) {
            throw new IllegalArgumentException("region: " + region + " (expected: a region name like ap-northeast-1)");
        }
        Objects.requireNonNull(streamName, "stream_name");
        StreamNameTemplate.parse(streamName, timekeyZone);
        requireNonEmptyOrNull("partition_key", partitionKey);
        requireNonEmptyOrNull("explicit_hash_key", explicitHashKey);
        if (fixedPartitionKey != null && (fixedPartitionKey.isEmpty() || fixedPartitionKey.length() > 256)) {
            throw new IllegalArgumentException(
                    "fixed_partition_key: length " + fixedPartitionKey.length() + " (expected: 1..256 characters)");
        }
        if (fixedPartitionKey != null && partitionKey != null) {
            throw new IllegalArgumentException(
                    "fixed_partition_key and partition_key: both set (expected: at most one)");
        }
        if (endpoint != null) {
            if (!"https".equals(endpoint.getScheme()) || endpoint.getHost() == null) {
                throw new IllegalArgumentException(
                        "endpoint: " + endpoint + " (expected: https://host[:port]; KPL always uses TLS)");
            }
            if (endpoint.getPath() != null
                    && !endpoint.getPath().isEmpty()
                    && !endpoint.getPath().equals("/")) {
                throw new IllegalArgumentException(
                        "endpoint: " + endpoint + " (expected: no path; KPL takes a host and a port)");
            }
        }
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(aggregation, "aggregation");
        if (maxRecordBytes < 1 || maxRecordBytes > KINESIS_MAX_RECORD_BYTES) {
            throw new IllegalArgumentException(
                    "max_record_size: " + maxRecordBytes + " (expected: 1.." + KINESIS_MAX_RECORD_BYTES + ")");
        }
        if (aggregationMaxBytes < 1024 || aggregationMaxBytes > KINESIS_MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("aggregation_max_size: " + aggregationMaxBytes + " (expected: 1024.."
                    + KINESIS_MAX_RECORD_BYTES + ")");
        }
        if (aggregationMaxRecords < 1) {
            throw new IllegalArgumentException("aggregation_max_count: " + aggregationMaxRecords + " (expected: >= 1)");
        }
        Objects.requireNonNull(partitionGrouping, "partition_grouping");
        if (maxInFlightBytes < KINESIS_MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("max_in_flight_size: " + maxInFlightBytes + " (expected: >= "
                    + KINESIS_MAX_RECORD_BYTES + ", one full record)");
        }
        requirePositive("shard_map_refresh_interval", shardMapRefreshInterval);
        requirePositive("stream_check_interval", streamCheckInterval);
        requirePositive("close_timeout", closeTimeout);
        Objects.requireNonNull(kpl, "kinesis_producer");
    }

    /** The defaults of {@code type} for {@code streamName}. */
    public static Builder builder(OutputType type, String streamName) {
        return new Builder(type, streamName);
    }

    /** A builder holding this record's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The endpoint to use: {@link #endpoint()}, else v1's custom_endpoint/port, else null (AWS). */
    public URI effectiveEndpoint() {
        if (endpoint != null) {
            return endpoint;
        }
        String host = kpl.get(KplSettings.Option.KINESIS_ENDPOINT);
        if (host == null) {
            host = kpl.get(KplSettings.Option.CUSTOM_ENDPOINT);
        }
        if (host == null || host.isEmpty()) {
            return null;
        }
        long port = kpl.getLong(KplSettings.Option.KINESIS_PORT, kpl.getLong(KplSettings.Option.PORT, 443));
        return URI.create("https://" + host + ":" + port);
    }

    /** Whether certificates are verified: {@code ssl_verify_peer} and KPL's {@code verify_certificate}. */
    public boolean effectiveVerifyCertificate() {
        return sslVerifyPeer && kpl.getBoolean(KplSettings.Option.VERIFY_CERTIFICATE, true);
    }

    /** The KPL temp directory: {@code <kinesis_producer> temp_directory}, else {@link #kplTempDirectory()}. */
    public Path effectiveTempDirectory() {
        String fromKpl = kpl.get(KplSettings.Option.TEMP_DIRECTORY);
        return fromKpl != null ? Path.of(fromKpl) : kplTempDirectory;
    }

    private static void requireNonEmptyOrNull(String name, String value) {
        if (value != null && value.isEmpty()) {
            throw new IllegalArgumentException(name + ": \"\" (expected: a record key, or unset)");
        }
    }

    private static void requirePositive(String name, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
    }

    /** Collects values, then validates them all at once in {@link #build()}. Not thread-safe. */
    public static final class Builder {
        private OutputType type;
        private String region;
        private String streamName;
        private String partitionKey;
        private String fixedPartitionKey;
        private String explicitHashKey;
        private URI endpoint;
        private boolean sslVerifyPeer = true;
        private CredentialsSettings credentials = CredentialsSettings.defaultChain();
        private FormatSettings format;
        private AggregationMode aggregation;
        private int aggregationMaxBytes = DEFAULT_AGGREGATION_MAX_BYTES;
        private int aggregationMaxRecords = Integer.MAX_VALUE;
        private int maxRecordBytes = KINESIS_MAX_RECORD_BYTES;
        private PartitionGrouping partitionGrouping = PartitionGrouping.SHARD;
        private long maxInFlightBytes = DEFAULT_MAX_IN_FLIGHT_BYTES;
        private Duration shardMapRefreshInterval = DEFAULT_SHARD_MAP_REFRESH_INTERVAL;
        private Duration streamCheckInterval = DEFAULT_STREAM_CHECK_INTERVAL;
        private Path kplTempDirectory;
        private KplSettings kpl = KplSettings.empty();
        private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
        private boolean aggregationExplicit;
        private ZoneId timekeyZone;

        private Builder(OutputType type, String streamName) {
            this.type = Objects.requireNonNull(type, "type");
            this.streamName = streamName;
            this.format = FormatSettings.defaults(type);
            this.aggregation = type.defaultAggregation();
        }

        private Builder(KinesisOutputSettings s) {
            type = s.type;
            region = s.region;
            streamName = s.streamName;
            partitionKey = s.partitionKey;
            fixedPartitionKey = s.fixedPartitionKey;
            explicitHashKey = s.explicitHashKey;
            endpoint = s.endpoint;
            sslVerifyPeer = s.sslVerifyPeer;
            credentials = s.credentials;
            format = s.format;
            aggregation = s.aggregation;
            aggregationExplicit = true;
            aggregationMaxBytes = s.aggregationMaxBytes;
            aggregationMaxRecords = s.aggregationMaxRecords;
            maxRecordBytes = s.maxRecordBytes;
            partitionGrouping = s.partitionGrouping;
            maxInFlightBytes = s.maxInFlightBytes;
            shardMapRefreshInterval = s.shardMapRefreshInterval;
            streamCheckInterval = s.streamCheckInterval;
            kplTempDirectory = s.kplTempDirectory;
            kpl = s.kpl;
            closeTimeout = s.closeTimeout;
            timekeyZone = s.timekeyZone;
        }

        public Builder region(String value) {
            region = value;
            return this;
        }

        public Builder streamName(String value) {
            streamName = value;
            return this;
        }

        public Builder partitionKey(String field) {
            partitionKey = field;
            return this;
        }

        public Builder fixedPartitionKey(String value) {
            fixedPartitionKey = value;
            return this;
        }

        public Builder explicitHashKey(String field) {
            explicitHashKey = field;
            return this;
        }

        public Builder endpoint(URI value) {
            endpoint = value;
            return this;
        }

        public Builder sslVerifyPeer(boolean value) {
            sslVerifyPeer = value;
            return this;
        }

        public Builder credentials(CredentialsSettings value) {
            credentials = value;
            return this;
        }

        public Builder format(FormatSettings value) {
            format = value;
            return this;
        }

        public Builder aggregation(AggregationMode value) {
            aggregation = value;
            aggregationExplicit = true;
            return this;
        }

        public Builder aggregationMaxBytes(int value) {
            aggregationMaxBytes = value;
            return this;
        }

        public Builder aggregationMaxRecords(int value) {
            aggregationMaxRecords = value;
            return this;
        }

        public Builder maxRecordBytes(int value) {
            maxRecordBytes = value;
            return this;
        }

        public Builder partitionGrouping(PartitionGrouping value) {
            partitionGrouping = value;
            return this;
        }

        public Builder maxInFlightBytes(long value) {
            maxInFlightBytes = value;
            return this;
        }

        public Builder shardMapRefreshInterval(Duration value) {
            shardMapRefreshInterval = value;
            return this;
        }

        public Builder streamCheckInterval(Duration value) {
            streamCheckInterval = value;
            return this;
        }

        public Builder kplTempDirectory(Path value) {
            kplTempDirectory = value;
            return this;
        }

        /**
         * The {@code <kinesis_producer>} section. Unless {@link #aggregation} was set explicitly,
         * {@code aggregation_enabled false} selects {@link AggregationMode#NONE}, and
         * {@code aggregation_max_size} / {@code aggregation_max_count} size our aggregates.
         */
        public Builder kpl(KplSettings value) {
            kpl = value;
            return this;
        }

        public Builder closeTimeout(Duration value) {
            closeTimeout = value;
            return this;
        }

        /** The zone of stream_name's strftime directives, with the time chunk key (null: none). */
        public Builder timekeyZone(ZoneId value) {
            timekeyZone = value;
            return this;
        }

        /** Validates and builds. */
        public KinesisOutputSettings build() {
            AggregationMode mode = aggregation;
            int maxBytes = aggregationMaxBytes;
            int maxRecords = aggregationMaxRecords;
            if (kpl != null) {
                if (!aggregationExplicit && !kpl.getBoolean(KplSettings.Option.AGGREGATION_ENABLED, true)) {
                    mode = AggregationMode.NONE;
                }
                String size = kpl.get(KplSettings.Option.AGGREGATION_MAX_SIZE);
                if (size != null && maxBytes == DEFAULT_AGGREGATION_MAX_BYTES) {
                    maxBytes = (int) Math.min(Long.parseLong(size), KINESIS_MAX_RECORD_BYTES);
                }
                String count = kpl.get(KplSettings.Option.AGGREGATION_MAX_COUNT);
                if (count != null && maxRecords == Integer.MAX_VALUE) {
                    maxRecords = (int) Math.min(Long.parseLong(count), Integer.MAX_VALUE);
                }
            }
            return new KinesisOutputSettings(
                    type,
                    region == null ? null : region.toLowerCase(Locale.ROOT),
                    streamName,
                    partitionKey,
                    fixedPartitionKey,
                    explicitHashKey,
                    endpoint,
                    sslVerifyPeer,
                    credentials,
                    format,
                    mode,
                    maxBytes,
                    maxRecords,
                    maxRecordBytes,
                    partitionGrouping,
                    maxInFlightBytes,
                    shardMapRefreshInterval,
                    streamCheckInterval,
                    kplTempDirectory,
                    kpl,
                    closeTimeout,
                    timekeyZone);
        }
    }
}
