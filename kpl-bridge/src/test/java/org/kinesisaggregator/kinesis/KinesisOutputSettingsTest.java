package org.kinesisaggregator.kinesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.kinesis.producer.KinesisProducerConfiguration;

class KinesisOutputSettingsTest {

    @Test
    void eachPluginTypeKeepsItsConsumersDefaults() {
        KinesisOutputSettings producer =
                KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "s").build();
        KinesisOutputSettings aggregated = KinesisOutputSettings.builder(OutputType.KINESIS_STREAMS_AGGREGATED, "s")
                .build();
        KinesisOutputSettings streams =
                KinesisOutputSettings.builder(OutputType.KINESIS_STREAMS, "s").build();

        assertThat(producer.aggregation()).isEqualTo(AggregationMode.JAVA);
        assertThat(producer.format().appendNewline()).isFalse();
        assertThat(producer.format().timeFormat()).isNull();
        assertThat(aggregated.aggregation()).isEqualTo(AggregationMode.JAVA);
        assertThat(aggregated.format().appendNewline()).isTrue();
        assertThat(aggregated.format().timeFormat()).isEqualTo("%Y-%m-%dT%H:%M:%S.%N%z");
        assertThat(streams.aggregation()).isEqualTo(AggregationMode.NONE);
        assertThat(producer.aggregationMaxBytes()).isEqualTo(50_000);
        // a full aggregate costs two PUT payload units under either reading of "25 KB" (51,200 cost three under 25,000)
        assertThat((producer.aggregationMaxBytes() + 24_999) / 25_000).isEqualTo(2);
        assertThat((producer.aggregationMaxBytes() + 25_599) / 25_600).isEqualTo(2);
        assertThat(producer.maxRecordBytes()).isEqualTo(1_048_576);
        assertThat(producer.maxInFlightBytes()).isEqualTo(8L * 1024 * 1024);
        assertThat(producer.credentials()).isInstanceOf(CredentialsSettings.DefaultChain.class);
        assertThat(producer.sslVerifyPeer()).isTrue();
        assertThat(OutputType.fromConfName("kinesis_streams_aggregated"))
                .isEqualTo(OutputType.KINESIS_STREAMS_AGGREGATED);
        assertThat(OutputType.fromConfName("s3")).isNull();
    }

    @Test
    void kinesisProducerSectionMapsOntoTheBridge() {
        KplSettings kpl = new KplSettings(Map.of(
                "aggregation_enabled",
                "false",
                "custom_endpoint",
                "127.0.0.1",
                "port",
                "4567",
                "verify_certificate",
                "false",
                "record_ttl",
                "60000",
                "rate_limit",
                "100",
                "temp_directory",
                "/var/lib/agg/kpl"));
        KinesisOutputSettings settings = KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "s")
                .kpl(kpl)
                .build();

        assertThat(settings.aggregation()).isEqualTo(AggregationMode.NONE);
        assertThat(settings.effectiveEndpoint()).isEqualTo(URI.create("https://127.0.0.1:4567"));
        assertThat(settings.effectiveVerifyCertificate()).isFalse();
        assertThat(settings.effectiveTempDirectory()).hasToString("/var/lib/agg/kpl");
        KinesisProducerConfiguration config = new KinesisProducerConfiguration();
        kpl.applyTo(config);
        assertThat(config.getRecordTtl()).isEqualTo(60_000);
        assertThat(config.getRateLimit()).isEqualTo(100);
        assertThat(config.getKinesisEndpoint()).isEmpty();

        KinesisOutputSettings sized = KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "s")
                .kpl(new KplSettings(Map.of("aggregation_max_size", "102400", "aggregation_max_count", "1000")))
                .build();
        assertThat(sized.aggregationMaxBytes()).isEqualTo(102_400);
        assertThat(sized.aggregationMaxRecords()).isEqualTo(1_000);
        KinesisOutputSettings explicitWins = KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "s")
                .aggregation(AggregationMode.JAVA)
                .kpl(new KplSettings(Map.of("aggregation_enabled", "false")))
                .endpoint(URI.create("https://kinesis.example:443"))
                .build();
        assertThat(explicitWins.aggregation()).isEqualTo(AggregationMode.JAVA);
        assertThat(explicitWins.effectiveEndpoint()).isEqualTo(URI.create("https://kinesis.example:443"));
    }

    @Test
    void refusesWhatCannotWork() {
        assertThatThrownBy(() -> KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "s")
                        .endpoint(URI.create("http://127.0.0.1:4567"))
                        .build())
                .hasMessage("endpoint: http://127.0.0.1:4567 (expected: https://host[:port]; KPL always uses TLS)");
        assertThatThrownBy(() -> KinesisOutputSettings.builder(OutputType.KINESIS_STREAMS_AGGREGATED, "s")
                        .partitionKey("user")
                        .fixedPartitionKey("k")
                        .build())
                .hasMessage("fixed_partition_key and partition_key: both set (expected: at most one)");
        assertThatThrownBy(() -> KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "s")
                        .maxRecordBytes(2 * 1024 * 1024)
                        .build())
                .hasMessage("max_record_size: 2097152 (expected: 1..1048576)");
        assertThatThrownBy(() -> KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "s")
                        .aggregationMaxBytes(100)
                        .build())
                .hasMessage("aggregation_max_size: 100 (expected: 1024..1048576)");
        assertThatThrownBy(() -> KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "logs-%Y%m%d")
                        .build())
                .hasMessage("stream_name: logs-%Y%m%d has strftime placeholders, but the chunk keys have no time"
                        + " (expected: <buffer time> with timekey, or no %)");
        assertThat(KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "logs-%Y%m%d")
                        .timekeyZone(java.time.ZoneOffset.UTC)
                        .build()
                        .timekeyZone())
                .isEqualTo(java.time.ZoneOffset.UTC);
        assertThatThrownBy(() -> KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "s")
                        .region("Tokyo")
                        .build())
                .hasMessage("region: tokyo (expected: a region name like ap-northeast-1)");
    }

    @Test
    void kinesisProducerKeysAreCheckedByName() {
        assertThatThrownBy(() -> new KplSettings(Map.of("record_tll", "1000")))
                .hasMessageStartingWith(
                        "<kinesis_producer> record_tll: unknown (expected one of: aggregation_enabled, ");
        assertThatThrownBy(() -> new KplSettings(Map.of("record_ttl", "30s")))
                .hasMessage("<kinesis_producer> record_ttl: 30s (expected: a non-negative integer)");
        assertThatThrownBy(() -> new KplSettings(Map.of("aggregation_enabled", "yes")))
                .hasMessage("<kinesis_producer> aggregation_enabled: yes (expected: true or false)");
        assertThatThrownBy(() -> new KplSettings(Map.of("log_level", "verbose")))
                .hasMessageStartingWith("<kinesis_producer> log_level: verbose (");
        assertThatThrownBy(() -> new KplSettings(Map.of("max_connections", "0")))
                .hasMessageStartingWith("<kinesis_producer> max_connections: 0 (");
        assertThat(new KplSettings(Map.of("threading_model", "pooled", "thread_pool_size", "8")).options())
                .containsEntry("threading_model", "pooled");
    }

    @Test
    void secretsStayOutOfToString() {
        CredentialsSettings.Static keys = new CredentialsSettings.Static("AKID", "very-secret", "token-secret");
        assertThat(keys.toString())
                .doesNotContain("very-secret")
                .doesNotContain("token-secret")
                .contains("AKID");
        CredentialsSettings role = new CredentialsSettings.AssumeRole(
                "arn:aws:iam::1:role/r", "s", "external-secret", null, null, null, keys);
        assertThat(role.toString()).doesNotContain("external-secret").doesNotContain("very-secret");
        assertThat(new KplSettings(Map.of("proxy_password", "pw-secret")).toString())
                .doesNotContain("pw-secret");
        KinesisOutputSettings settings = KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "s")
                .credentials(keys)
                .build();
        assertThat(settings.toString()).doesNotContain("very-secret");
    }

    @Test
    void equalSettingsShareAProducerKey() {
        KinesisOutputSettings a = KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "a")
                .credentials(new CredentialsSettings.Static("k", "s", null))
                .build();
        KinesisOutputSettings b = KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "a")
                .credentials(new CredentialsSettings.Static("k", "s", null))
                .build();
        assertThat(a).isEqualTo(b);
        assertThat(a.toBuilder().build()).isEqualTo(a);
    }
}
