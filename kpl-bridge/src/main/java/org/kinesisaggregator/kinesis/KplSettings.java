package org.kinesisaggregator.kinesis;

import java.util.Arrays;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import software.amazon.kinesis.producer.KinesisProducerConfiguration;

/**
 * The {@code <kinesis_producer>} section: KPL's configuration in snake_case, as
 * aws-fluent-plugin-kinesis v1 accepted it (plus the keys KPL 1.1 added). Values are the conf's
 * strings; each is parsed and range-checked by KPL's own setter when the record is built, so a bad
 * value fails at start-up with KPL's message.
 *
 * <p>Keys the bridge handles itself: {@code aggregation_enabled} (false → {@link AggregationMode#NONE}),
 * {@code aggregation_max_size} / {@code aggregation_max_count} (our aggregates in
 * {@link AggregationMode#JAVA}; KPL's in {@link AggregationMode#KPL}), {@code custom_endpoint} /
 * {@code port} (v1 names; the output's {@code endpoint} wins) and {@code verify_certificate}
 * (and-ed with {@code ssl_verify_peer}). {@code region} belongs to the output, not this section.
 *
 * @param options snake_case key → value, as written in the conf
 */
public record KplSettings(Map<String, String> options) {

    /** The accepted keys, each with how it is applied to a {@link KinesisProducerConfiguration}. */
    public enum Option {
        AGGREGATION_ENABLED("aggregation_enabled", Kind.BOOLEAN, null),
        AGGREGATION_MAX_COUNT(
                "aggregation_max_count", Kind.LONG, (c, v) -> c.setAggregationMaxCount(Long.parseLong(v))),
        AGGREGATION_MAX_SIZE("aggregation_max_size", Kind.LONG, (c, v) -> c.setAggregationMaxSize(Long.parseLong(v))),
        COLLECTION_MAX_COUNT("collection_max_count", Kind.LONG, (c, v) -> c.setCollectionMaxCount(Long.parseLong(v))),
        COLLECTION_MAX_SIZE("collection_max_size", Kind.LONG, (c, v) -> c.setCollectionMaxSize(Long.parseLong(v))),
        CONNECT_TIMEOUT("connect_timeout", Kind.LONG, (c, v) -> c.setConnectTimeout(Long.parseLong(v))),
        REQUEST_TIMEOUT("request_timeout", Kind.LONG, (c, v) -> c.setRequestTimeout(Long.parseLong(v))),
        CREDENTIALS_REFRESH_DELAY(
                "credentials_refresh_delay", Kind.LONG, (c, v) -> c.setCredentialsRefreshDelay(Long.parseLong(v))),
        ENABLE_CORE_DUMPS("enable_core_dumps", Kind.BOOLEAN, (c, v) -> c.setEnableCoreDumps(Boolean.parseBoolean(v))),
        FAIL_IF_THROTTLED("fail_if_throttled", Kind.BOOLEAN, (c, v) -> c.setFailIfThrottled(Boolean.parseBoolean(v))),
        CUSTOM_ENDPOINT("custom_endpoint", Kind.STRING, null),
        PORT("port", Kind.LONG, null),
        KINESIS_ENDPOINT("kinesis_endpoint", Kind.STRING, null),
        KINESIS_PORT("kinesis_port", Kind.LONG, null),
        CLOUDWATCH_ENDPOINT("cloudwatch_endpoint", Kind.STRING, KinesisProducerConfiguration::setCloudwatchEndpoint),
        CLOUDWATCH_PORT("cloudwatch_port", Kind.LONG, (c, v) -> c.setCloudwatchPort(Long.parseLong(v))),
        STS_ENDPOINT("sts_endpoint", Kind.STRING, KinesisProducerConfiguration::setStsEndpoint),
        STS_PORT("sts_port", Kind.LONG, (c, v) -> c.setStsPort(Long.parseLong(v))),
        LOG_LEVEL("log_level", Kind.STRING, KinesisProducerConfiguration::setLogLevel),
        MAX_CONNECTIONS("max_connections", Kind.LONG, (c, v) -> c.setMaxConnections(Long.parseLong(v))),
        MIN_CONNECTIONS("min_connections", Kind.LONG, (c, v) -> c.setMinConnections(Long.parseLong(v))),
        METRICS_GRANULARITY("metrics_granularity", Kind.STRING, KinesisProducerConfiguration::setMetricsGranularity),
        METRICS_LEVEL("metrics_level", Kind.STRING, KinesisProducerConfiguration::setMetricsLevel),
        METRICS_NAMESPACE("metrics_namespace", Kind.STRING, KinesisProducerConfiguration::setMetricsNamespace),
        METRICS_UPLOAD_DELAY("metrics_upload_delay", Kind.LONG, (c, v) -> c.setMetricsUploadDelay(Long.parseLong(v))),
        RATE_LIMIT("rate_limit", Kind.LONG, (c, v) -> c.setRateLimit(Long.parseLong(v))),
        RECORD_MAX_BUFFERED_TIME(
                "record_max_buffered_time", Kind.LONG, (c, v) -> c.setRecordMaxBufferedTime(Long.parseLong(v))),
        RECORD_TTL("record_ttl", Kind.LONG, (c, v) -> c.setRecordTtl(Long.parseLong(v))),
        VERIFY_CERTIFICATE("verify_certificate", Kind.BOOLEAN, null),
        PROXY_HOST("proxy_host", Kind.STRING, KinesisProducerConfiguration::setProxyHost),
        PROXY_PORT("proxy_port", Kind.LONG, (c, v) -> c.setProxyPort(Long.parseLong(v))),
        PROXY_USER_NAME("proxy_user_name", Kind.STRING, KinesisProducerConfiguration::setProxyUserName),
        PROXY_PASSWORD("proxy_password", Kind.STRING, KinesisProducerConfiguration::setProxyPassword),
        THREADING_MODEL("threading_model", Kind.STRING, (c, v) -> c.setThreadingModel(v.toUpperCase(Locale.ROOT))),
        THREAD_POOL_SIZE("thread_pool_size", Kind.INT, (c, v) -> c.setThreadPoolSize(Integer.parseInt(v))),
        NATIVE_EXECUTABLE("native_executable", Kind.STRING, KinesisProducerConfiguration::setNativeExecutable),
        TEMP_DIRECTORY("temp_directory", Kind.STRING, null),
        CA_CERT_PATH("ca_cert_path", Kind.STRING, KinesisProducerConfiguration::setCaCertPath),
        CA_CERT_FILE("ca_cert_file", Kind.STRING, KinesisProducerConfiguration::setCaCertFile),
        USER_RECORD_TIMEOUT_IN_MILLIS(
                "user_record_timeout_in_millis",
                Kind.LONG,
                (c, v) -> c.setUserRecordTimeoutInMillis(Long.parseLong(v))),
        MAX_USER_RECORD_SIZE("max_user_record_size", Kind.LONG, (c, v) -> c.setMaxUserRecordSize(Long.parseLong(v))),
        ENABLE_DAEMON_HEALTH_CHECK(
                "enable_daemon_health_check",
                Kind.BOOLEAN,
                (c, v) -> c.setEnableDaemonHealthCheck(Boolean.parseBoolean(v))),
        DAEMON_HEALTH_CHECK_TIMEOUT_MS(
                "daemon_health_check_timeout_ms",
                Kind.LONG,
                (c, v) -> c.setDaemonHealthCheckTimeoutMs(Long.parseLong(v))),
        DESCRIBE_STREAM_SUMMARY_INTERVAL_MS(
                "describe_stream_summary_interval_ms",
                Kind.LONG,
                (c, v) -> c.setDescribeStreamSummaryIntervalMs(Long.parseLong(v))),
        RECORD_DISTRIBUTION_STRATEGY_DEFAULT(
                "record_distribution_strategy_default",
                Kind.STRING,
                (c, v) -> c.setRecordDistributionStrategyDefault(v));

        private final String key;
        private final Kind kind;
        private final BiConsumer<KinesisProducerConfiguration, String> setter;

        Option(String key, Kind kind, BiConsumer<KinesisProducerConfiguration, String> setter) {
            this.key = key;
            this.kind = kind;
            this.setter = setter;
        }

        /** The snake_case key. */
        public String key() {
            return key;
        }

        /** True for the keys the bridge interprets itself (see the class comment). */
        public boolean isHandledByBridge() {
            return setter == null;
        }

        static Option forKey(String key) {
            for (Option option : values()) {
                if (option.key.equals(key)) {
                    return option;
                }
            }
            return null;
        }
    }

    enum Kind {
        LONG,
        INT,
        BOOLEAN,
        STRING
    }

    public KplSettings {
        Objects.requireNonNull(options, "options");
        TreeMap<String, String> copy = new TreeMap<>();
        KinesisProducerConfiguration probe = new KinesisProducerConfiguration();
        for (Map.Entry<String, String> e : options.entrySet()) {
            String key = Objects.requireNonNull(e.getKey(), "key");
            String value = Objects.requireNonNull(e.getValue(), () -> "<kinesis_producer> " + key);
            Option option = Option.forKey(key);
            if (option == null) {
                throw new IllegalArgumentException("<kinesis_producer> " + key + ": unknown (expected one of: "
                        + Arrays.stream(Option.values()).map(Option::key).collect(Collectors.joining(", ")) + ")");
            }
            String normalized = value.trim();
            check(option, normalized);
            if (option.setter != null) {
                try {
                    option.setter.accept(probe, normalized);
                } catch (RuntimeException ex) {
                    throw new IllegalArgumentException(
                            "<kinesis_producer> " + key + ": " + normalized + " (" + ex.getMessage() + ")", ex);
                }
            }
            copy.put(key, normalized);
        }
        options = Collections.unmodifiableMap(copy);
    }

    /** No options: KPL's defaults. */
    public static KplSettings empty() {
        return new KplSettings(Map.of());
    }

    /** A copy with {@code key} set. */
    public KplSettings with(String key, String value) {
        TreeMap<String, String> copy = new TreeMap<>(options);
        copy.put(key, value);
        return new KplSettings(copy);
    }

    /** The value of {@code option}, or null. */
    public String get(Option option) {
        return options.get(option.key());
    }

    /** The boolean value of {@code option}, or {@code otherwise} when unset. */
    public boolean getBoolean(Option option, boolean otherwise) {
        String value = get(option);
        return value == null ? otherwise : Boolean.parseBoolean(value);
    }

    /** The long value of {@code option}, or {@code otherwise} when unset. */
    public long getLong(Option option, long otherwise) {
        String value = get(option);
        return value == null ? otherwise : Long.parseLong(value);
    }

    /** Applies every option KPL handles itself (not those the bridge interprets) to {@code config}. */
    public void applyTo(KinesisProducerConfiguration config) {
        for (Map.Entry<String, String> e : options.entrySet()) {
            Option option = Option.forKey(e.getKey());
            if (option.setter != null) {
                option.setter.accept(config, e.getValue());
            }
        }
    }

    @Override
    public String toString() {
        return options.entrySet().stream()
                .map(e -> e.getKey() + "=" + (e.getKey().equals(Option.PROXY_PASSWORD.key()) ? "****" : e.getValue()))
                .collect(Collectors.joining(", ", "KplSettings[", "]"));
    }

    private static void check(Option option, String value) {
        switch (option.kind) {
            case BOOLEAN -> {
                if (!value.equals("true") && !value.equals("false")) {
                    throw new IllegalArgumentException(
                            "<kinesis_producer> " + option.key + ": " + value + " (expected: true or false)");
                }
            }
            case LONG, INT -> {
                try {
                    long parsed = Long.parseLong(value);
                    if (parsed < 0 || (option.kind == Kind.INT && parsed > Integer.MAX_VALUE)) {
                        throw new NumberFormatException();
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            "<kinesis_producer> " + option.key + ": " + value + " (expected: a non-negative integer"
                                    + (option.kind == Kind.INT ? " below 2^31" : "") + ")",
                            e);
                }
            }
            case STRING -> {
                // checked by KPL's setter
            }
        }
    }
}
