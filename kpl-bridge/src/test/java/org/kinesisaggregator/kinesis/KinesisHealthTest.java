package org.kinesisaggregator.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KinesisHealthTest {

    @Test
    void missingStreamsMakeTheNodeUnreadyAndAreNamed() {
        KinesisHealth health = new KinesisHealth(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC));
        assertThat(health.isReady()).isTrue();
        health.reportStream(
                "ap-northeast-1", "logs", KinesisHealth.Status.OK, "stream logs is ACTIVE in region ap-northeast-1");
        health.reportStream(
                "ap-northeast-1",
                "photo",
                KinesisHealth.Status.NOT_FOUND,
                "stream photo not found in region ap-northeast-1");
        health.reportStream(
                "ap-northeast-1",
                "user",
                KinesisHealth.Status.UNKNOWN,
                "cannot check stream user in region ap-northeast-1: timeout");
        health.reportDaemonFailure("p1", "EOF reached during read");

        assertThat(health.isReady()).isFalse();
        assertThat(health.problems())
                .containsExactly(
                        "stream photo not found in region ap-northeast-1",
                        "cannot check stream user in region ap-northeast-1: timeout");
        Map<String, Object> map = health.toMap();
        assertThat(map).containsEntry("ready", false);
        assertThat((List<?>) map.get("streams")).hasSize(3);
        assertThat(map.get("kpl_producers").toString()).contains("daemon_failures=1");

        health.reportStream(
                "ap-northeast-1", "photo", KinesisHealth.Status.OK, "stream photo is ACTIVE in region ap-northeast-1");
        assertThat(health.isReady()).isTrue();
        assertThat(health.stream("ap-northeast-1", "photo").checkedAt())
                .isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
    }
}
