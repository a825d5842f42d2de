package org.kinesisaggregator.server.output;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.kinesisaggregator.kinesis.CredentialsSettings;

/**
 * Says where a Kinesis output's AWS credentials will come from, for {@code --dry-run} and the start-up
 * log: the conf's own ({@code aws_key_id}, a credentials section) or, for the SDK's default chain, the
 * first source of the chain that is present here, in the chain's order (Java system properties,
 * environment variables, a web identity token, a profile file, the container endpoint, the instance
 * role). Looks only at variables and files, never calls an endpoint; never shows a secret (an access
 * key id is shortened to its first and last four characters).
 *
 * <p>Stateless; thread-safe if the lookups are.
 */
public final class CredentialSource {
    private CredentialSource() {}

    /** As {@link #describe(CredentialsSettings, Function, Function, Path)} with this process' view. */
    public static String describe(CredentialsSettings settings) {
        String home = System.getProperty("user.home");
        return describe(settings, System::getenv, System::getProperty, home == null ? null : Path.of(home));
    }

    /**
     * @param env environment variables (null when unset)
     * @param properties Java system properties (null when unset)
     * @param home the user's home directory ({@code ~/.aws/credentials}), or null
     */
    public static String describe(
            CredentialsSettings settings,
            Function<String, String> env,
            Function<String, String> properties,
            Path home) {
        if (settings instanceof CredentialsSettings.Static s) {
            return "aws_key_id/aws_sec_key in the conf (key id " + shortKeyId(s.accessKeyId())
                    + (s.sessionToken() != null ? ", with aws_ses_token" : "") + "; secrets not shown)";
        } else if (settings instanceof CredentialsSettings.Profile p) {
            String name = p.profileName() != null ? p.profileName() : orElse(env.apply("AWS_PROFILE"), "default");
            Path file = p.path() != null ? p.path() : profileFile(env, home);
            return "<shared_credentials>: profile " + name + " of " + file
                    + (file != null && !Files.isRegularFile(file) ? " (the file does not exist here)" : "");
        } else if (settings instanceof CredentialsSettings.AssumeRole a) {
            return "<assume_role_credentials>: role " + a.roleArn() + " (session " + a.roleSessionName()
                    + "), STS called with " + describe(a.source(), env, properties, home);
        } else if (settings instanceof CredentialsSettings.WebIdentity w) {
            return "<web_identity_credentials>: role " + w.roleArn() + " with the token in " + w.webIdentityTokenFile();
        } else if (settings instanceof CredentialsSettings.InstanceProfile i) {
            return "<instance_profile_credentials>: the instance role, from "
                    + (i.endpoint() != null ? i.endpoint() : "the EC2 instance metadata service");
        } else if (settings instanceof CredentialsSettings.Process p) {
            String command = p.command().trim();
            int space = command.indexOf(' ');
            return "<process_credentials>: what " + (space < 0 ? command : command.substring(0, space))
                    + " prints (arguments not shown)";
        }
        return "the AWS SDK's default chain (no credentials in the conf); here it finds "
                + defaultChain(env, properties, home);
    }

    private static String defaultChain(Function<String, String> env, Function<String, String> properties, Path home) {
        if (properties.apply("aws.accessKeyId") != null && properties.apply("aws.secretAccessKey") != null) {
            return "the Java system properties aws.accessKeyId/aws.secretAccessKey (key id "
                    + shortKeyId(properties.apply("aws.accessKeyId")) + ")";
        }
        if (env.apply("AWS_ACCESS_KEY_ID") != null && env.apply("AWS_SECRET_ACCESS_KEY") != null) {
            return "the environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (key id "
                    + shortKeyId(env.apply("AWS_ACCESS_KEY_ID"))
                    + (env.apply("AWS_SESSION_TOKEN") != null ? ", with AWS_SESSION_TOKEN" : "") + ")";
        }
        if (env.apply("AWS_WEB_IDENTITY_TOKEN_FILE") != null && env.apply("AWS_ROLE_ARN") != null) {
            return "a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE " + env.apply("AWS_WEB_IDENTITY_TOKEN_FILE")
                    + ", role AWS_ROLE_ARN " + env.apply("AWS_ROLE_ARN") + ")";
        }
        String profile = orElse(properties.apply("aws.profile"), env.apply("AWS_PROFILE"));
        Path file = profileFile(env, home);
        if (file != null && Files.isRegularFile(file)) {
            return "profile " + orElse(profile, "default") + " of " + file + (profile == null ? "" : " (AWS_PROFILE)");
        }
        String missingProfile =
                profile == null ? "" : " (AWS_PROFILE " + profile + " is set, but " + file + " does not exist)";
        if (env.apply("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != null
                || env.apply("AWS_CONTAINER_CREDENTIALS_FULL_URI") != null) {
            return "the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_*_URI: an ECS task role)"
                    + missingProfile;
        }
        return "no keys in the environment and no profile file, so the instance role from the EC2 instance"
                + " metadata service (start-up fails to deliver if this host has none)" + missingProfile;
    }

    private static Path profileFile(Function<String, String> env, Path home) {
        String file = env.apply("AWS_SHARED_CREDENTIALS_FILE");
        if (file != null) {
            return Path.of(file);
        }
        return home == null ? null : home.resolve(".aws").resolve("credentials");
    }

    /** {@code AKIA…WXYZ}: enough to tell keys apart, not enough to use one. */
    static String shortKeyId(String keyId) {
        return keyId.length() <= 8 ? "****" : keyId.substring(0, 4) + "…" + keyId.substring(keyId.length() - 4);
    }

    private static String orElse(String value, String dflt) {
        return value != null ? value : dflt;
    }
}
