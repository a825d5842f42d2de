package org.kinesisaggregator.kinesis;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where AWS credentials come from, as aws-fluent-plugin-kinesis configures them. Used for KPL (the
 * Java side resolves them and hands them to the daemon every {@code credentials_refresh_delay}) and
 * for the SDK clients of the bridge (stream checks, shard maps) and of {@code tail}.
 *
 * <p>Records compare by value (one KPL producer per distinct configuration); {@code toString()}
 * never prints a secret.
 */
public sealed interface CredentialsSettings {

    /** The SDK's default chain: env, system properties, web identity, profile, container, instance profile. */
    record DefaultChain() implements CredentialsSettings {}

    /**
     * {@code aws_key_id}, {@code aws_sec_key} and optionally {@code aws_ses_token}.
     */
    record Static(String accessKeyId, String secretAccessKey, String sessionToken) implements CredentialsSettings {
        public Static {
            requireText("aws_key_id", accessKeyId);
            requireText("aws_sec_key", secretAccessKey);
            if (sessionToken != null && sessionToken.isEmpty()) {
                throw new IllegalArgumentException("aws_ses_token: \"\" (expected: a session token, or unset)");
            }
        }

        @Override
        public String toString() {
            return "Static[accessKeyId=" + accessKeyId + ", secretAccessKey=****"
                    + (sessionToken == null ? "" : ", sessionToken=****") + "]";
        }
    }

    /**
     * {@code <shared_credentials>}: a profile of a shared credentials file.
     *
     * @param profileName {@code profile_name}, or null for {@code AWS_PROFILE} / {@code default}
     * @param path {@code path}, or null for {@code ~/.aws/credentials}
     */
    record Profile(String profileName, Path path) implements CredentialsSettings {}

    /**
     * {@code <assume_role_credentials>}: STS AssumeRole, refreshed before expiry.
     *
     * @param roleArn {@code role_arn}
     * @param roleSessionName {@code role_session_name} (v1 had none: the conf layer passes
     *     {@code aws-fluent-plugin-kinesis} as v1 did)
     * @param externalId {@code external_id}, or null
     * @param policy {@code policy} (JSON), or null
     * @param duration {@code duration_seconds}, or null for STS' default (1 hour)
     * @param stsEndpoint {@code sts_endpoint_url}, or null for the regional default
     * @param source credentials used to call STS (the default chain unless {@code aws_key_id}/{@code aws_sec_key} are set)
     */
    record AssumeRole(
            String roleArn,
            String roleSessionName,
            String externalId,
            String policy,
            Duration duration,
            URI stsEndpoint,
            CredentialsSettings source)
            implements CredentialsSettings {
        public AssumeRole {
            requireText("role_arn", roleArn);
            requireText("role_session_name", roleSessionName);
            Objects.requireNonNull(source, "source");
            if (duration != null && (duration.toSeconds() < 900 || duration.toSeconds() > 43_200)) {
                throw new IllegalArgumentException(
                        "duration_seconds: " + duration.toSeconds() + " (expected: 900..43200)");
            }
        }

        @Override
        public String toString() {
            return "AssumeRole[roleArn=" + roleArn + ", roleSessionName=" + roleSessionName
                    + (externalId == null ? "" : ", externalId=****") + ", duration=" + duration
                    + ", stsEndpoint=" + stsEndpoint + ", source=" + source + "]";
        }
    }

    /**
     * {@code <web_identity_credentials>}: STS AssumeRoleWithWebIdentity (EKS service accounts).
     *
     * @param roleArn {@code role_arn}
     * @param roleSessionName {@code role_session_name}
     * @param webIdentityTokenFile {@code web_identity_token_file}
     * @param policy {@code policy}, or null
     * @param duration {@code duration_seconds}, or null
     */
    record WebIdentity(
            String roleArn, String roleSessionName, Path webIdentityTokenFile, String policy, Duration duration)
            implements CredentialsSettings {
        public WebIdentity {
            requireText("role_arn", roleArn);
            requireText("role_session_name", roleSessionName);
            Objects.requireNonNull(webIdentityTokenFile, "web_identity_token_file");
        }
    }

    /**
     * {@code <instance_profile_credentials>}: EC2 instance metadata (or the ECS container endpoint
     * when {@code AWS_CONTAINER_CREDENTIALS_RELATIVE_URI} is set, as the plugin does).
     *
     * @param endpoint {@code ip_address} and {@code port} as a URI (http://169.254.169.254:80 by default), or null
     */
    record InstanceProfile(URI endpoint) implements CredentialsSettings {}

    /** {@code <process_credentials>}: an external process printing credentials ({@code process}). */
    record Process(String command) implements CredentialsSettings {
        public Process {
            requireText("process", command);
        }
    }

    /** The default chain. */
    static CredentialsSettings defaultChain() {
        return new DefaultChain();
    }

    private static void requireText(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(
                    name + ": " + (value == null ? "null" : "\"" + value + "\"") + " (expected: a non-empty value)");
        }
    }
}
