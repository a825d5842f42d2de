package org.kinesisaggregator.kinesis.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.kinesisaggregator.kinesis.CredentialsSettings;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.ContainerCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.InstanceProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProcessCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.KinesisClientBuilder;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.StsClientBuilder;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleWithWebIdentityCredentialsProvider;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityRequest;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * Builds AWS SDK v2 pieces from the bridge's settings: credentials providers (for KPL and the SDK)
 * and Kinesis clients (stream checks, shard maps, {@code tail}). Stateless.
 */
public final class AwsClients {
    private AwsClients() {}

    /** The region: {@code configured}, else AWS_REGION / AMAZON_REGION / AWS_DEFAULT_REGION, else the SDK's chain. */
    public static String resolveRegion(String configured) {
        if (configured != null) {
            return configured;
        }
        for (String name : List.of("AWS_REGION", "AMAZON_REGION", "AWS_DEFAULT_REGION")) {
            String value = System.getenv(name);
            if (value != null && !value.isBlank()) {
                return value.trim().toLowerCase(Locale.ROOT);
            }
        }
        try {
            return DefaultAwsRegionProviderChain.builder().build().getRegion().id();
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "region: not set (expected: the output's region, or AWS_REGION in the environment)", e);
        }
    }

    /** A credentials provider for {@code settings}; {@code region} serves the STS-based ones. */
    public static AwsCredentialsProvider credentialsProvider(CredentialsSettings settings, String region) {
        if (settings instanceof CredentialsSettings.DefaultChain) {
            return DefaultCredentialsProvider.builder().build();
        } else if (settings instanceof CredentialsSettings.Static s) {
            return StaticCredentialsProvider.create(
                    s.sessionToken() == null
                            ? AwsBasicCredentials.create(s.accessKeyId(), s.secretAccessKey())
                            : AwsSessionCredentials.create(s.accessKeyId(), s.secretAccessKey(), s.sessionToken()));
        } else if (settings instanceof CredentialsSettings.Profile p) {
            ProfileCredentialsProvider.Builder builder = ProfileCredentialsProvider.builder();
            if (p.profileName() != null) {
                builder.profileName(p.profileName());
            }
            if (p.path() != null) {
                builder.profileFile(ProfileFile.builder()
                        .content(p.path())
                        .type(ProfileFile.Type.CREDENTIALS)
                        .build());
            }
            return builder.build();
        } else if (settings instanceof CredentialsSettings.AssumeRole a) {
            StsClientBuilder sts = StsClient.builder()
                    .region(Region.of(region))
                    .credentialsProvider(credentialsProvider(a.source(), region));
            if (a.stsEndpoint() != null) {
                sts.endpointOverride(a.stsEndpoint());
            }
            return StsAssumeRoleCredentialsProvider.builder()
                    .stsClient(sts.build())
                    .refreshRequest(r -> {
                        r.roleArn(a.roleArn()).roleSessionName(a.roleSessionName());
                        if (a.externalId() != null) {
                            r.externalId(a.externalId());
                        }
                        if (a.policy() != null) {
                            r.policy(a.policy());
                        }
                        if (a.duration() != null) {
                            r.durationSeconds((int) a.duration().toSeconds());
                        }
                    })
                    .build();
        } else if (settings instanceof CredentialsSettings.WebIdentity w) {
            StsClient sts = StsClient.builder()
                    .region(Region.of(region))
                    .credentialsProvider(AnonymousCredentialsProvider.create())
                    .build();
            return StsAssumeRoleWithWebIdentityCredentialsProvider.builder()
                    .stsClient(sts)
                    .refreshRequest(() -> {
                        var request = AssumeRoleWithWebIdentityRequest.builder()
                                .roleArn(w.roleArn())
                                .roleSessionName(w.roleSessionName())
                                .webIdentityToken(readToken(w.webIdentityTokenFile()));
                        if (w.policy() != null) {
                            request.policy(w.policy());
                        }
                        if (w.duration() != null) {
                            request.durationSeconds((int) w.duration().toSeconds());
                        }
                        return request.build();
                    })
                    .build();
        } else if (settings instanceof CredentialsSettings.InstanceProfile i) {
            if (System.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != null) {
                return ContainerCredentialsProvider.builder().build();
            }
            InstanceProfileCredentialsProvider.Builder builder = InstanceProfileCredentialsProvider.builder();
            if (i.endpoint() != null) {
                builder.endpoint(i.endpoint().toString());
            }
            return builder.build();
        } else if (settings instanceof CredentialsSettings.Process p) {
            List<String> command = new ArrayList<>(List.of("sh", "-c", p.command()));
            return ProcessCredentialsProvider.builder().command(command).build();
        }
        throw new IllegalArgumentException("credentials: " + settings + " (expected: a known kind)");
    }

    private static String readToken(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("web_identity_token_file " + file + ": unreadable", e);
        }
    }

    /**
     * A synchronous Kinesis client with its own HTTP client; closing the result closes both.
     *
     * @param endpoint an endpoint override, or null for AWS
     * @param verifyCertificate false trusts any certificate (local emulators only)
     * @param apiCallTimeout bound on one call, retries included
     */
    public static KinesisConnection kinesisClient(
            String region,
            URI endpoint,
            boolean verifyCertificate,
            AwsCredentialsProvider credentials,
            Duration apiCallTimeout) {
        SdkHttpClient http = Apache5HttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(5))
                .socketTimeout(apiCallTimeout)
                .buildWithDefaults(AttributeMap.builder()
                        .put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, !verifyCertificate)
                        .build());
        KinesisClientBuilder builder = KinesisClient.builder()
                .region(Region.of(region))
                .credentialsProvider(credentials)
                .httpClient(http)
                .overrideConfiguration(c -> c.apiCallTimeout(apiCallTimeout));
        if (endpoint != null) {
            builder.endpointOverride(endpoint);
        }
        return new KinesisConnection(builder.build(), http);
    }

    /** A Kinesis client and the HTTP client it owns. Thread-safe; close once. */
    public record KinesisConnection(KinesisClient client, SdkHttpClient http) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
            http.close();
        }
    }
}
