package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kinesisaggregator.admin.ComponentMeters;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfParam;
import org.kinesisaggregator.kinesis.AggregationMode;
import org.kinesisaggregator.kinesis.CredentialsSettings;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.kinesisaggregator.kinesis.FormatSettings.Format;
import org.kinesisaggregator.kinesis.KinesisHealth;
import org.kinesisaggregator.kinesis.KinesisOutput;
import org.kinesisaggregator.kinesis.KinesisOutputSettings;
import org.kinesisaggregator.kinesis.KplSettings;
import org.kinesisaggregator.kinesis.OutputType;
import org.kinesisaggregator.kinesis.ProducerPool;
import org.kinesisaggregator.server.output.CredentialSource;
import org.kinesisaggregator.server.output.OutputDefaults;

/**
 * The Kinesis output types — {@code kinesis_producer} (aws-fluent-plugin-kinesis v1, the seed's
 * conf), {@code kinesis_streams_aggregated} and {@code kinesis_streams} (plugin v3) — mapped from
 * conf syntax onto kpl-bridge's {@link KinesisOutputSettings}. docs/configuration.md lists every
 * parameter; plugin parameters that have no meaning here are accepted with a warning saying why.
 *
 * <p>One factory serves the three types of one application, so that outputs with the same KPL
 * configuration share one {@link ProducerPool} daemon and one {@link KinesisHealth}. Both are made
 * on first use (no I/O). Confined to the assembling thread, except {@link #bindTo}.
 *
 * <p>The pool outlives a conf reload (the factory is the process'), so its meters
 * ({@code kinesis_kpl_*}) are its own {@link ComponentMeters}: each application that starts
 * {@link #bindTo binds} them into its registry.
 */
public final class KinesisOutputFactory implements OutputFactory, MeterBinder {
    /** The {@code @type} names served. */
    public static final List<String> TYPES = List.of(
            OutputType.KINESIS_PRODUCER.confName(),
            OutputType.KINESIS_STREAMS_AGGREGATED.confName(),
            OutputType.KINESIS_STREAMS.confName());

    /** Plugin parameters accepted for compatibility, and why they change nothing here. */
    private static final Map<String, String> NO_EFFECT = Map.ofEntries(
            Map.entry("batch_request_max_count", "has no effect (the KPL collects records into PutRecords calls)"),
            Map.entry("batch_request_max_size", "has no effect (the KPL collects records into PutRecords calls)"),
            Map.entry(
                    "retries_on_batch_request",
                    "has no effect (the KPL retries within record_ttl, then the buffer's"
                            + " retry_* parameters apply)"),
            Map.entry("reset_backoff_if_success", "has no effect (the buffer's retry_* parameters apply)"),
            Map.entry(
                    "drop_failed_records_after_batch_request_retries",
                    "has no effect: failed records are never"
                            + " dropped; the buffer retries them and moves them to <secondary> or failed/ when retries run out"),
            Map.entry("monitor_num_of_batch_request_retries", "has no effect (see the kinesis.* metrics)"),
            Map.entry("log_truncate_max_size", "has no effect (records are never logged above DEBUG)"),
            Map.entry("reduce_max_size_error_message", "has no effect (records are never logged above DEBUG)"),
            Map.entry("enable_kpl_logging", "has no effect (use <kinesis_producer> log_level)"),
            Map.entry("debug", "has no effect (use -v, or <kinesis_producer> log_level for the KPL daemon)"),
            Map.entry("aws_iam_retries", "has no effect (the AWS SDK retries credential lookups itself)"),
            Map.entry("http_proxy", "has no effect: use <kinesis_producer> proxy_host / proxy_port"));

    private final ComponentMeters poolMeters = new ComponentMeters();
    private ProducerPool pool;
    private KinesisHealth health;

    @Override
    public EventSink create(ConfElement e, OutputContext ctx) {
        OutputType type = OutputType.fromConfName(e.type());
        if (type == null) {
            throw new IllegalArgumentException("not a Kinesis output type: " + e.type());
        }
        KinesisOutputSettings settings = settings(e, type, ctx);
        if (pool == null) {
            health = new KinesisHealth(ctx.clock());
            pool = new ProducerPool(poolMeters.registry(), health);
        }
        MeterRegistry registry = ctx.registry();
        ctx.note("stream " + settings.streamName() + ", aggregation "
                + settings.aggregation().confName()
                + ", partition key "
                + (settings.partitionKey() != null
                        ? "field " + settings.partitionKey()
                        : settings.fixedPartitionKey() != null ? "fixed" : "random per aggregate")
                + (settings.effectiveEndpoint() != null ? ", endpoint " + settings.effectiveEndpoint() : ""));
        ctx.note("credentials: " + CredentialSource.describe(settings.credentials()));
        return ctx.terminal(
                new KinesisOutput(ctx.outputId(), settings, pool, health, registry, ctx.clock()),
                OutputDefaults.kinesis());
    }

    /** Moves the producer pool's meters into {@code registry} (an application's, as it starts). */
    @Override
    public void bindTo(MeterRegistry registry) {
        poolMeters.moveTo(registry);
    }

    /** Maps {@code e} (a {@code <match>} of a Kinesis type) onto settings; errors name file, line and parameter. */
    static KinesisOutputSettings settings(ConfElement e, OutputType type, OutputContext ctx) {
        for (Map.Entry<String, String> noEffect : NO_EFFECT.entrySet()) {
            if (e.has(noEffect.getKey())) {
                e.param(noEffect.getKey()).markUsed();
                ctx.warn(noEffect.getKey(), noEffect.getValue());
            }
        }
        rejectRuby(e, "partition_key_expr", "partition_key FIELD");
        rejectRuby(e, "explicit_hash_key_expr", "explicit_hash_key FIELD");

        String streamName = e.string("stream_name", null);
        String prefix = e.string("stream_name_prefix", null);
        if (streamName != null && prefix != null) {
            throw e.error("stream_name_prefix", "set together with stream_name (expected: one of them)");
        }
        if (prefix != null) {
            streamName = prefix + "${tag}";
        }
        if (streamName == null) {
            throw e.missing("stream_name");
        }
        KinesisOutputSettings.Builder b = KinesisOutputSettings.builder(type, streamName);
        b.timekeyZone(ctx.timekeyZone());
        try {
            b.region(e.string("region", null))
                    .partitionKey(e.string("partition_key", null))
                    .fixedPartitionKey(e.string("fixed_partition_key", null))
                    .explicitHashKey(e.string("explicit_hash_key", null))
                    .sslVerifyPeer(e.bool("ssl_verify_peer", true))
                    .credentials(credentials(e))
                    .format(format(e, type, ctx))
                    .maxInFlightBytes(e.size("max_in_flight_size", KinesisOutputSettings.DEFAULT_MAX_IN_FLIGHT_BYTES))
                    .shardMapRefreshInterval(e.time(
                            "shard_map_refresh_interval", KinesisOutputSettings.DEFAULT_SHARD_MAP_REFRESH_INTERVAL))
                    .streamCheckInterval(
                            e.time("stream_check_interval", KinesisOutputSettings.DEFAULT_STREAM_CHECK_INTERVAL))
                    .closeTimeout(e.time("close_timeout", KinesisOutputSettings.DEFAULT_CLOSE_TIMEOUT))
                    .kpl(kpl(e.element("kinesis_producer")));
            String endpoint = e.string("endpoint", null);
            if (endpoint != null) {
                b.endpoint(uri(e, "endpoint", endpoint));
            }
            if (e.has("aggregation")) {
                b.aggregation(
                        AggregationMode.fromConfName(e.choice("aggregation", null, List.of("java", "kpl", "none"))));
            }
            if (e.has("aggregation_max_size")) {
                b.aggregationMaxBytes(intSize(e, "aggregation_max_size"));
            }
            if (e.has("aggregation_max_count")) {
                b.aggregationMaxRecords(e.integer("aggregation_max_count", 1, 1, Integer.MAX_VALUE));
            }
            if (e.has("max_record_size")) {
                b.maxRecordBytes(intSize(e, "max_record_size"));
            }
            if (e.has("partition_grouping")) {
                b.partitionGrouping(KinesisOutputSettings.PartitionGrouping.fromConfName(
                        e.choice("partition_grouping", null, List.of("shard", "key"))));
            }
            String kplTemp = e.string("kpl_temp_directory", null);
            if (kplTemp != null) {
                b.kplTempDirectory(Path.of(kplTemp));
            } else if (ctx.rootDir() != null) {
                b.kplTempDirectory(ctx.rootDir().resolve("kpl"));
            }
            return b.build();
        } catch (ConfException ex) {
            throw ex;
        } catch (IllegalArgumentException ex) {
            throw asConfError(e, ex);
        }
    }

    /** The builder's messages start with the parameter's name ("region: x (expected: …)"): point at its line. */
    private static ConfException asConfError(ConfElement e, IllegalArgumentException ex) {
        String message = ex.getMessage() == null ? ex.toString() : ex.getMessage();
        int colon = message.indexOf(':');
        String name = colon > 0 ? message.substring(0, colon) : "";
        ConfElement kpl = e.element("kinesis_producer");
        if (name.startsWith("<kinesis_producer> ") && kpl != null) {
            String key = name.substring("<kinesis_producer> ".length());
            ConfParam p = kpl.params().get(key);
            return new ConfException(p != null ? p.location() : kpl.location(), message, ex);
        }
        ConfParam p = e.params().get(name);
        return new ConfException(p != null ? p.location() : e.location(), message, ex);
    }

    private static void rejectRuby(ConfElement e, String name, String instead) {
        if (e.has(name)) {
            throw e.error(name, "Ruby expressions are not supported (expected: " + instead + ")");
        }
    }

    private static int intSize(ConfElement e, String name) {
        long v = e.size(name, 0);
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw e.error(name, v + " (expected: 1.." + Integer.MAX_VALUE + " bytes)");
        }
        return (int) v;
    }

    private static URI uri(ConfElement e, String name, String value) {
        try {
            return URI.create(value);
        } catch (IllegalArgumentException ex) {
            throw e.error(name, "\"" + value + "\" is not a URL (expected: https://host[:port])");
        }
    }

    /** The {@code <kinesis_producer>} section: every key goes to KPL's configuration, checked there. */
    private static KplSettings kpl(ConfElement section) {
        if (section == null) {
            return KplSettings.empty();
        }
        section.markUsed();
        if (!section.elements().isEmpty()) {
            throw new ConfException(
                    section.elements().get(0).location(),
                    section.elements().get(0).describe()
                            + " inside <kinesis_producer> (expected: key value lines only)");
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (ConfParam p : section.params().values()) {
            p.markUsed();
            options.put(p.name(), p.value());
        }
        return new KplSettings(options);
    }

    /**
     * Credentials as aws-fluent-plugin-kinesis takes them: {@code aws_key_id}/{@code aws_sec_key}
     * (+{@code aws_ses_token}), or one of the credential sections; else the default chain.
     */
    static CredentialsSettings credentials(ConfElement e) {
        CredentialsSettings keys = null;
        String keyId = e.string("aws_key_id", null);
        String secret = e.string("aws_sec_key", null);
        String session = e.string("aws_ses_token", null);
        if (keyId != null || secret != null) {
            if (keyId == null) {
                throw e.missing("aws_key_id");
            }
            if (secret == null) {
                throw e.missing("aws_sec_key");
            }
            keys = new CredentialsSettings.Static(keyId, secret, session);
        }
        List<String> sections = List.of(
                "assume_role_credentials",
                "web_identity_credentials",
                "instance_profile_credentials",
                "shared_credentials",
                "process_credentials");
        ConfElement chosen = null;
        for (String name : sections) {
            ConfElement s = e.element(name);
            if (s != null) {
                if (chosen != null) {
                    throw new ConfException(
                            s.location(),
                            s.describe() + " together with " + chosen.describe()
                                    + " (expected: one credentials section)");
                }
                chosen = s;
            }
        }
        if (chosen == null) {
            return keys != null ? keys : new CredentialsSettings.DefaultChain();
        }
        chosen.markUsed();
        ConfElement s = chosen;
        try {
            return switch (s.name()) {
                case "assume_role_credentials" -> {
                    String sts = s.string("sts_endpoint_url", null);
                    if (s.has("sts_http_proxy")) {
                        throw s.error("sts_http_proxy", "is not supported (expected: no proxy for STS calls)");
                    }
                    yield new CredentialsSettings.AssumeRole(
                            s.requiredString("role_arn"),
                            s.string("role_session_name", "aws-fluent-plugin-kinesis"),
                            s.string("external_id", null),
                            s.string("policy", null),
                            optionalSeconds(s, "duration_seconds"),
                            sts == null ? null : uri(s, "sts_endpoint_url", sts),
                            keys != null ? keys : new CredentialsSettings.DefaultChain());
                }
                case "web_identity_credentials" ->
                    new CredentialsSettings.WebIdentity(
                            s.requiredString("role_arn"),
                            s.requiredString("role_session_name"),
                            Path.of(s.requiredString("web_identity_token_file")),
                            s.string("policy", null),
                            optionalSeconds(s, "duration_seconds"));
                case "instance_profile_credentials" -> {
                    String ip = s.string("ip_address", null);
                    long port = s.integer("port", 80);
                    s.integer("retries", 0);
                    s.time("http_open_timeout", Duration.ZERO);
                    s.time("http_read_timeout", Duration.ZERO);
                    yield new CredentialsSettings.InstanceProfile(
                            ip == null ? null : URI.create("http://" + ip + ":" + port));
                }
                case "shared_credentials" -> {
                    String path = s.string("path", null);
                    yield new CredentialsSettings.Profile(
                            s.string("profile_name", null), path == null ? null : Path.of(path));
                }
                case "process_credentials" -> new CredentialsSettings.Process(s.requiredString("process"));
                default -> throw new IllegalStateException(s.name());
            };
        } catch (IllegalArgumentException ex) {
            throw asConfError(s, ex);
        }
    }

    private static Duration optionalSeconds(ConfElement s, String name) {
        return s.has(name) ? Duration.ofSeconds(s.integer(name, 3600)) : null;
    }

    /**
     * How events are formatted: {@code <format>} / {@code formatter}, {@code <inject>} or the v0.12
     * {@code include_tag_key} / {@code include_time_key} style, {@code data_key}, {@code compression},
     * {@code chomp_record}; the sections through {@link FormatConf}, as file and stdout read them.
     * Without a time format, v1 ({@code kinesis_producer}) writes ISO 8601 seconds and v3
     * nanoseconds, as those plugins did.
     */
    static FormatSettings format(ConfElement e, OutputType type, OutputContext ctx) {
        FormatSettings f = FormatSettings.defaults(type);
        ConfElement formatSection = e.element("format");
        String formatName = e.string("formatter", null);
        if (formatSection != null) {
            formatSection.markUsed();
            if (formatName != null) {
                throw e.error("formatter", "set together with a <format> section (expected: one of them)");
            }
            formatName = formatSection.type() == null ? "json" : formatSection.type();
        }
        boolean newline = f.appendNewline();
        if (e.has("chomp_record")) {
            newline = !e.bool("chomp_record", !newline);
        }
        if (formatName != null) {
            ConfElement fs = formatSection != null ? formatSection : e;
            Format format = FormatConf.type(
                    formatName, fs, formatSection != null ? FormatConf.typeParam(formatSection) : "formatter");
            if (formatSection != null || format == Format.SINGLE_VALUE) {
                newline = fs.bool("add_newline", newline);
            }
            f = FormatConf.typeParameters(fs, f.withFormat(format, newline), ctx.zone());
        } else {
            f = f.withFormat(f.format(), newline);
        }
        String dataKey = e.string("data_key", null);
        if (dataKey != null) {
            f = f.withDataKey(dataKey);
        }
        String compression = e.string("compression", null);
        if (compression != null) {
            try {
                f = f.withCompression(FormatSettings.Compression.fromConfName(compression));
            } catch (IllegalArgumentException ex) {
                throw e.error("compression", "\"" + compression + "\" (expected: zlib, gzip or none)");
            }
        }

        ConfElement inject = e.element("inject");
        ConfElement timeSource = e;
        if (inject != null) {
            inject.markUsed();
            timeSource = inject;
            f = FormatConf.injectKeys(inject, f, ctx.hostname());
        }
        if (e.bool("include_tag_key", false)) {
            f = f.withTagKey(e.string("tag_key", FormatSettings.DEFAULT_TAG_KEY));
        } else if (e.has("tag_key") && inject == null) {
            ctx.warn("tag_key", "has no effect without include_tag_key true");
            e.param("tag_key").markUsed();
        }
        if (e.bool("include_time_key", false)) {
            f = f.withTimeKey(e.string("time_key", FormatSettings.DEFAULT_TIME_KEY));
        } else if (e.has("time_key") && inject == null) {
            ctx.warn("time_key", "has no effect without include_time_key true");
            e.param("time_key").markUsed();
        }
        return FormatConf.injectTime(timeSource, f, f.timeFormat(), ctx.zone());
    }
}
