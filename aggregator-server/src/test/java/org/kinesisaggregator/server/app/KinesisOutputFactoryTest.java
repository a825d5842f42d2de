package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.kinesis.AggregationMode;
import org.kinesisaggregator.kinesis.CredentialsSettings;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.kinesisaggregator.kinesis.KinesisOutputSettings;
import org.kinesisaggregator.kinesis.KplSettings;
import org.kinesisaggregator.kinesis.OutputType;

/** Conf syntax → KinesisOutputSettings: the seed's v1 section, plugin v3 sections, credentials, errors. */
class KinesisOutputFactoryTest {
    @TempDir
    Path dir;

    private TestOutputContext context;

    private KinesisOutputSettings settings(String body) throws Exception {
        ConfElement e = TestOutputContext.match(dir.resolve("k.conf"), "kinesis.**", body);
        context = new TestOutputContext("k", dir, e);
        return KinesisOutputFactory.settings(e, OutputType.fromConfName(e.type()), context);
    }

    @Test
    void theSeedsLegacySectionMapsAsAwsFluentPluginKinesisV1Did() throws Exception {
        KinesisOutputSettings s = settings("""
          type kinesis_producer
          region ap-northeast-1
          stream_name YOUR_KINESIS_NAME
          include_tag_key true
        """);
        assertThat(s.type()).isEqualTo(OutputType.KINESIS_PRODUCER);
        assertThat(s.region()).isEqualTo("ap-northeast-1");
        assertThat(s.streamName()).isEqualTo("YOUR_KINESIS_NAME");
        assertThat(s.aggregation()).isEqualTo(AggregationMode.JAVA);
        assertThat(s.partitionKey()).isNull();
        assertThat(s.credentials()).isEqualTo(new CredentialsSettings.DefaultChain());
        FormatSettings f = s.format();
        assertThat(f.format()).isEqualTo(FormatSettings.Format.JSON);
        assertThat(f.tagKey()).isEqualTo("tag");
        assertThat(f.timeKey()).isNull();
        assertThat(f.appendNewline()).isFalse();
        assertThat(s.kpl()).isEqualTo(KplSettings.empty());
        assertThat(s.kplTempDirectory()).isEqualTo(dir.resolve("root/kpl"));
    }

    @Test
    void pluginV3SectionsWithFormatInjectAndKinesisProducerKeys() throws Exception {
        KinesisOutputSettings s = settings("""
          @type kinesis_streams_aggregated
          stream_name logs-${tag[1]}
          region us-east-1
          endpoint https://127.0.0.1:4567
          ssl_verify_peer false
          fixed_partition_key k1
          aws_key_id AKIDEXAMPLE
          aws_sec_key secret
          compression gzip
          max_in_flight_size 4m
          aggregation_max_size 100k
          <format>
            @type single_value
            message_key log
          </format>
          <inject>
            tag_key t
            time_key ts
            time_type unixtime
            hostname_key host
          </inject>
          <kinesis_producer>
            record_ttl 3000
            log_level error
          </kinesis_producer>
        """);
        assertThat(s.streamName()).isEqualTo("logs-${tag[1]}");
        assertThat(s.endpoint()).isEqualTo(URI.create("https://127.0.0.1:4567"));
        assertThat(s.effectiveVerifyCertificate()).isFalse();
        assertThat(s.fixedPartitionKey()).isEqualTo("k1");
        assertThat(s.credentials()).isEqualTo(new CredentialsSettings.Static("AKIDEXAMPLE", "secret", null));
        assertThat(s.maxInFlightBytes()).isEqualTo(4L * 1024 * 1024);
        assertThat(s.aggregationMaxBytes()).isEqualTo(100 * 1024);
        FormatSettings f = s.format();
        assertThat(f.format()).isEqualTo(FormatSettings.Format.SINGLE_VALUE);
        assertThat(f.messageKey()).isEqualTo("log");
        assertThat(f.appendNewline()).isTrue();
        assertThat(f.compression()).isEqualTo(FormatSettings.Compression.GZIP);
        assertThat(f.tagKey()).isEqualTo("t");
        assertThat(f.timeKey()).isEqualTo("ts");
        assertThat(f.timeType()).isEqualTo(FormatSettings.TimeType.UNIXTIME);
        assertThat(f.hostnameKey()).isEqualTo("host");
        assertThat(f.hostname()).isEqualTo("node-1");
        assertThat(s.kpl().options()).containsExactly(Map.entry("log_level", "error"), Map.entry("record_ttl", "3000"));
    }

    @Test
    void kinesisStreamsIsUnaggregatedUnlessAskedAndAggregationEnabledFalseMeansNone() throws Exception {
        assertThat(settings("  @type kinesis_streams\n  stream_name s\n").aggregation())
                .isEqualTo(AggregationMode.NONE);
        assertThat(settings("  @type kinesis_streams\n  stream_name s\n  aggregation java\n")
                        .aggregation())
                .isEqualTo(AggregationMode.JAVA);
        assertThat(settings("  @type kinesis_producer\n  stream_name s\n  <kinesis_producer>\n"
                                + "    aggregation_enabled false\n  </kinesis_producer>\n")
                        .aggregation())
                .isEqualTo(AggregationMode.NONE);
        assertThat(settings("  @type kinesis_producer\n  stream_name s\n  aggregation kpl\n")
                        .aggregation())
                .isEqualTo(AggregationMode.KPL);
    }

    @Test
    void streamNamePrefixPartitionKeyAndExplicitHashKeyFields() throws Exception {
        KinesisOutputSettings s = settings("  @type kinesis_producer\n  stream_name_prefix app-\n  partition_key user\n"
                + "  explicit_hash_key shard_hint\n  partition_grouping key\n");
        assertThat(s.streamName()).isEqualTo("app-${tag}");
        assertThat(s.partitionKey()).isEqualTo("user");
        assertThat(s.explicitHashKey()).isEqualTo("shard_hint");
        assertThat(s.partitionGrouping()).isEqualTo(KinesisOutputSettings.PartitionGrouping.KEY);
    }

    @Test
    void credentialSections() throws Exception {
        assertThat(settings("""
          @type kinesis_streams
          stream_name s
          aws_key_id AKID
          aws_sec_key SECRET
          <assume_role_credentials>
            role_arn arn:aws:iam::123456789012:role/logs
            duration_seconds 1800
            external_id ext
          </assume_role_credentials>
        """).credentials())
                .isEqualTo(new CredentialsSettings.AssumeRole(
                        "arn:aws:iam::123456789012:role/logs",
                        "aws-fluent-plugin-kinesis",
                        "ext",
                        null,
                        Duration.ofSeconds(1800),
                        null,
                        new CredentialsSettings.Static("AKID", "SECRET", null)));
        assertThat(settings("  @type kinesis_streams\n  stream_name s\n  <shared_credentials>\n    profile_name logs\n"
                                + "  </shared_credentials>\n")
                        .credentials())
                .isEqualTo(new CredentialsSettings.Profile("logs", null));
        assertThat(settings(
                                "  @type kinesis_streams\n  stream_name s\n  <process_credentials>\n    process /bin/creds\n"
                                        + "  </process_credentials>\n")
                        .credentials())
                .isEqualTo(new CredentialsSettings.Process("/bin/creds"));
        assertThatThrownBy(() -> settings("  @type kinesis_streams\n  stream_name s\n  aws_key_id AKID\n"))
                .hasMessage(dir.resolve("k.conf") + ":1: <match kinesis.**>: missing required parameter 'aws_sec_key'");
    }

    @Test
    void pluginParametersWithoutMeaningHereWarnAndRubyExpressionsAreRefused() throws Exception {
        settings("  @type kinesis_streams\n  stream_name s\n  batch_request_max_count 500\n"
                + "  drop_failed_records_after_batch_request_retries true\n");
        assertThat(context.warnings)
                .anySatisfy(w -> assertThat(w)
                        .contains("k.conf:4: parameter 'batch_request_max_count'")
                        .contains("the KPL collects records into PutRecords calls"));
        assertThat(context.warnings)
                .anySatisfy(w -> assertThat(w)
                        .contains("'drop_failed_records_after_batch_request_retries'")
                        .contains("failed records are never dropped"));
        assertThatThrownBy(
                        () -> settings("  @type kinesis_producer\n  stream_name s\n  partition_key_expr record['a']\n"))
                .isInstanceOf(ConfException.class)
                .hasMessage(dir.resolve("k.conf") + ":4: partition_key_expr: Ruby expressions are not supported"
                        + " (expected: partition_key FIELD)");
        assertThatThrownBy(() -> settings("  @type kinesis_producer\n  stream_name s\n  <kinesis_producer>\n"
                        + "    no_such_option 1\n  </kinesis_producer>\n"))
                .hasMessageStartingWith(dir.resolve("k.conf") + ":5: <kinesis_producer> no_such_option: unknown");
        assertThatThrownBy(() -> settings("  @type kinesis_producer\n  stream_name s\n  endpoint http://127.0.0.1:1\n"))
                .hasMessageStartingWith(dir.resolve("k.conf") + ":4: endpoint: http://127.0.0.1:1 (expected: https://");
    }
}
