package org.kinesisaggregator.kinesis.tail;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import org.kinesisaggregator.kinesis.CredentialsSettings;

/**
 * What {@code kinesis-aggregator tail} reads and prints.
 *
 * @param stream {@code --stream}: the stream to read
 * @param region {@code --region}; null = AWS_REGION etc., then the SDK's chain
 * @param endpoint {@code --endpoint}: e.g. {@code https://127.0.0.1:4567} for the local emulator; null = AWS
 * @param verifyCertificate false trusts any certificate (the CLI turns it off when an endpoint on
 *     127.0.0.1/localhost is given; {@code --no-verify-certificate} elsewhere)
 * @param credentials where credentials come from (default chain, or static for the emulator)
 * @param from {@code --from trim_horizon|latest|INSTANT}
 * @param count {@code --count N}: stop after N user records; 0 = no limit
 * @param follow keep polling at the end of the stream ({@code tail -f}); false stops once every
 *     shard is caught up
 * @param pollInterval pause between rounds of GetRecords when nothing new arrived
 * @param output what each line holds
 */
public record TailOptions(
        String stream,
        String region,
        URI endpoint,
        boolean verifyCertificate,
        CredentialsSettings credentials,
        StartPosition from,
        long count,
        boolean follow,
        Duration pollInterval,
        OutputFormat output) {

    /**
     * {@code --from}: {@code trim_horizon}, {@code latest}, or an ISO-8601 instant (records that arrived at or
     * after it, Kinesis's {@code AT_TIMESTAMP}).
     */
    public sealed interface StartPosition {
        StartPosition TRIM_HORIZON = new Named("trim_horizon");
        StartPosition LATEST = new Named("latest");

        /** {@code trim_horizon} or {@code latest}. */
        record Named(String confName) implements StartPosition {}

        /** Records that arrived at or after {@code instant}. */
        record AtTimestamp(Instant instant) implements StartPosition {
            public AtTimestamp {
                Objects.requireNonNull(instant, "instant");
            }
        }

        static StartPosition at(Instant instant) {
            return new AtTimestamp(instant);
        }

        static StartPosition fromConfName(String name) {
            if (TRIM_HORIZON.equals(new Named(name.toLowerCase(Locale.ROOT)))) {
                return TRIM_HORIZON;
            }
            if (LATEST.equals(new Named(name.toLowerCase(Locale.ROOT)))) {
                return LATEST;
            }
            try {
                return at(Instant.parse(name));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(
                        "--from: " + name + " (expected: trim_horizon, latest or an ISO-8601 instant such as"
                                + " 2026-12-01T10:00:00Z)",
                        e);
            }
        }
    }

    /** One line per user record. */
    public enum OutputFormat {
        /**
         * The record's data itself when it is JSON (a trailing newline dropped), a msgpack record as
         * JSON (the event format's value mapping); otherwise {@code {"data": "<text>"}} for UTF-8
         * text or {@code {"data_base64": "..."}} for bytes.
         */
        DATA,
        /**
         * An envelope: {@code {"shard_id", "sequence_number", "sub_sequence_number", "partition_key",
         * "explicit_hash_key", "aggregated", "data"}} with data embedded as above.
         */
        RECORD
    }

    public TailOptions {
        if (stream == null || stream.isBlank()) {
            throw new IllegalArgumentException("--stream: missing (expected: a stream name)");
        }
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(from, "from");
        if (count < 0) {
            throw new IllegalArgumentException("--count: " + count + " (expected: >= 0)");
        }
        Objects.requireNonNull(pollInterval, "pollInterval");
        Objects.requireNonNull(output, "output");
        if (endpoint != null && !"https".equals(endpoint.getScheme()) && !"http".equals(endpoint.getScheme())) {
            throw new IllegalArgumentException("--endpoint: " + endpoint + " (expected: https://host:port)");
        }
    }

    /**
     * The CLI's defaults for {@code stream}: AWS, default credentials, from trim_horizon, no count
     * limit, following, data lines. Certificate checks are off for an endpoint on loopback.
     */
    public static TailOptions defaults(String stream) {
        return new TailOptions(
                stream,
                null,
                null,
                true,
                CredentialsSettings.defaultChain(),
                StartPosition.TRIM_HORIZON,
                0,
                true,
                Duration.ofSeconds(1),
                OutputFormat.DATA);
    }

    public TailOptions withEndpoint(URI value) {
        boolean loopback =
                value != null && ("127.0.0.1".equals(value.getHost()) || "localhost".equals(value.getHost()));
        return new TailOptions(
                stream,
                region,
                value,
                !loopback && verifyCertificate,
                credentials,
                from,
                count,
                follow,
                pollInterval,
                output);
    }

    public TailOptions withRegion(String value) {
        return new TailOptions(
                stream, value, endpoint, verifyCertificate, credentials, from, count, follow, pollInterval, output);
    }

    public TailOptions withVerifyCertificate(boolean value) {
        return new TailOptions(stream, region, endpoint, value, credentials, from, count, follow, pollInterval, output);
    }

    public TailOptions withCredentials(CredentialsSettings value) {
        return new TailOptions(
                stream, region, endpoint, verifyCertificate, value, from, count, follow, pollInterval, output);
    }

    public TailOptions withFrom(StartPosition value) {
        return new TailOptions(
                stream, region, endpoint, verifyCertificate, credentials, value, count, follow, pollInterval, output);
    }

    public TailOptions withCount(long value) {
        return new TailOptions(
                stream, region, endpoint, verifyCertificate, credentials, from, value, follow, pollInterval, output);
    }

    public TailOptions withFollow(boolean value) {
        return new TailOptions(
                stream, region, endpoint, verifyCertificate, credentials, from, count, value, pollInterval, output);
    }

    public TailOptions withPollInterval(Duration value) {
        return new TailOptions(
                stream, region, endpoint, verifyCertificate, credentials, from, count, follow, value, output);
    }

    public TailOptions withOutput(OutputFormat value) {
        return new TailOptions(
                stream, region, endpoint, verifyCertificate, credentials, from, count, follow, pollInterval, value);
    }
}
