package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.server.ConnectionLimits;
import org.kinesisaggregator.server.ForwardSettings;

/** The forward source's connection limits as a conf file writes them. */
class ForwardConfTest {
    @TempDir
    Path dir;

    private ForwardSettings settings(String sourceBody) throws Exception {
        ConfElement root = new TestConfs(dir).parse("<source>\n  @type forward\n" + sourceBody + "</source>\n");
        return ForwardConf.settings(root.elements("source").get(0), SystemSettings.defaults());
    }

    @Test
    void connectionLimitsHaveTheirDefaults() throws Exception {
        assertThat(settings("").limits())
                .isEqualTo(new ConnectionLimits(
                        Duration.ofHours(1), Duration.ofSeconds(60), 10_000, Duration.ofSeconds(60)));
    }

    @Test
    void connectionLimitsAreReadWithTheirUnitsAndZeroTurnsThemOff() throws Exception {
        ConnectionLimits limits = settings("""
          idle_timeout 10m
          message_timeout 0
          max_connections 2048
          unread_ack_timeout 2s
        """).limits();
        assertThat(limits)
                .isEqualTo(new ConnectionLimits(Duration.ofMinutes(10), Duration.ZERO, 2048, Duration.ofSeconds(2)));
    }

    @Test
    void aBadLimitNamesFileLineAndParameter() {
        assertThatThrownBy(() -> settings("  port 24224\n  max_connections -1\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("test.conf:4")
                .hasMessageContaining("max_connections");
        assertThatThrownBy(() -> settings("  idle_timeout forever\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("test.conf:3")
                .hasMessageContaining("idle_timeout");
    }
}
