package org.kinesisaggregator.server.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.kinesis.CredentialsSettings;

/** Where the default chain finds credentials, in its order, from variables and files only; no secret shown. */
class CredentialSourceTest {
    @TempDir
    Path home;

    private String chain(Map<String, String> env, Map<String, String> props) {
        return CredentialSource.describe(new CredentialsSettings.DefaultChain(), env::get, props::get, home);
    }

    @Test
    void defaultChainInItsOrder() throws IOException {
        assertThat(chain(Map.of(), Map.of())).contains("the instance role from the EC2 instance metadata service");
        assertThat(chain(Map.of("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x"), Map.of()))
                .contains("the container credentials endpoint");
        Files.createDirectories(home.resolve(".aws"));
        Files.writeString(home.resolve(".aws/credentials"), "[default]\n");
        assertThat(chain(Map.of("AWS_PROFILE", "ops"), Map.of()))
                .endsWith("here it finds profile ops of " + home.resolve(".aws/credentials") + " (AWS_PROFILE)");
        assertThat(chain(Map.of("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/t", "AWS_ROLE_ARN", "arn:r"), Map.of()))
                .contains("a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE /var/run/t, role AWS_ROLE_ARN arn:r)");
        String env = chain(
                Map.of(
                        "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE",
                        "AWS_SECRET_ACCESS_KEY", "s3cr3t-value-here",
                        "AWS_SESSION_TOKEN", "tok"),
                Map.of());
        assertThat(env)
                .contains("the environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (key id AKIA…MPLE,"
                        + " with AWS_SESSION_TOKEN)")
                .doesNotContain("s3cr3t")
                .doesNotContain("tok)");
        assertThat(chain(
                        Map.of("AWS_ACCESS_KEY_ID", "AKIAENVKEYEXAMPLE1", "AWS_SECRET_ACCESS_KEY", "x"),
                        Map.of("aws.accessKeyId", "AKIAPROPKEYEXAMPLE", "aws.secretAccessKey", "y")))
                .contains("Java system properties");
    }

    @Test
    void confSourcesAreNamed() {
        assertThat(CredentialSource.describe(
                        new CredentialsSettings.AssumeRole(
                                "arn:aws:iam::1:role/r",
                                "s",
                                "ext",
                                null,
                                null,
                                null,
                                new CredentialsSettings.Static("AKIAIOSFODNN7EXAMPLE", "secret", null)),
                        Map.<String, String>of()::get,
                        Map.<String, String>of()::get,
                        home))
                .isEqualTo("<assume_role_credentials>: role arn:aws:iam::1:role/r (session s), STS called with"
                        + " aws_key_id/aws_sec_key in the conf (key id AKIA…MPLE; secrets not shown)");
        assertThat(CredentialSource.describe(
                        new CredentialsSettings.Process("/usr/bin/get-creds --token abc"),
                        Map.<String, String>of()::get,
                        Map.<String, String>of()::get,
                        home))
                .isEqualTo("<process_credentials>: what /usr/bin/get-creds prints (arguments not shown)");
    }
}
