package org.kinesisaggregator.kinesis.tail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.kinesis.aggregation.UserRecord;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;

/** Output lines of {@code tail} (no stream needed: the client is never called). */
class StreamTailFormatTest {

    private static String format(TailOptions.OutputFormat output, byte[] data, boolean aggregated) {
        TailOptions options = TailOptions.defaults("s")
                .withRegion("us-east-1")
                .withEndpoint(URI.create("https://127.0.0.1:1"))
                .withCredentials(LocalKinesis.credentials())
                .withOutput(output);
        try (StreamTail tail = new StreamTail(options)) {
            return tail.format(
                    new TailRecord("shardId-000000000001", "4968", new UserRecord("pk", null, data, 3, aggregated)));
        }
    }

    @Test
    void dataLinesAreTheRecordsJsonOrAWrapper() {
        assertThat(format(TailOptions.OutputFormat.DATA, "{\"a\":1}\n".getBytes(StandardCharsets.UTF_8), true))
                .isEqualTo("{\"a\":1}");
        assertThat(format(
                        TailOptions.OutputFormat.DATA, "GET /index.html 200\n".getBytes(StandardCharsets.UTF_8), true))
                .isEqualTo("{\"data\":\"GET /index.html 200\\n\"}");
        assertThat(format(TailOptions.OutputFormat.DATA, new byte[] {(byte) 0x93, 1, 2}, true))
                .isEqualTo("{\"data_base64\":\"kwEC\"}");
        assertThat(format(TailOptions.OutputFormat.DATA, "{\"a\":1} {\"b\":2}".getBytes(StandardCharsets.UTF_8), true))
                .isEqualTo("{\"data\":\"{\\\"a\\\":1} {\\\"b\\\":2}\"}");
    }

    @Test
    void recordLinesCarryTheEnvelope() {
        assertThat(format(TailOptions.OutputFormat.RECORD, "{\"a\":1}\n".getBytes(StandardCharsets.UTF_8), true))
                .isEqualTo(
                        "{\"shard_id\":\"shardId-000000000001\",\"sequence_number\":\"4968\",\"sub_sequence_number\":3,"
                                + "\"partition_key\":\"pk\",\"aggregated\":true,\"data\":{\"a\":1}}");
    }

    @Test
    void optionsAreValidated() {
        assertThatThrownBy(() -> TailOptions.defaults(" ")).hasMessage("--stream: missing (expected: a stream name)");
        assertThatThrownBy(() -> TailOptions.StartPosition.fromConfName("earliest"))
                .hasMessage("--from: earliest (expected: trim_horizon, latest or an ISO-8601 instant such as"
                        + " 2026-12-01T10:00:00Z)");
        assertThat(TailOptions.StartPosition.fromConfName("LATEST")).isEqualTo(TailOptions.StartPosition.LATEST);
        assertThat(TailOptions.StartPosition.fromConfName("trim_horizon"))
                .isEqualTo(TailOptions.StartPosition.TRIM_HORIZON);
        assertThat(TailOptions.StartPosition.fromConfName("2026-12-01T10:00:00Z"))
                .isEqualTo(TailOptions.StartPosition.at(Instant.parse("2026-12-01T10:00:00Z")));
        assertThat(TailOptions.defaults("s")
                        .withEndpoint(URI.create("https://127.0.0.1:4567"))
                        .verifyCertificate())
                .isFalse();
        assertThat(TailOptions.defaults("s")
                        .withEndpoint(URI.create("https://kinesis.example"))
                        .verifyCertificate())
                .isTrue();
    }
}
