package org.kinesisaggregator.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.buffer.ChunkMetadata;

class StreamNameTemplateTest {

    @Test
    void resolvesTagPlaceholdersAsFluentdDoes() {
        assertThat(StreamNameTemplate.parse("logs").resolve("any.tag")).isEqualTo("logs");
        assertThat(StreamNameTemplate.parse("logs").isStatic()).isTrue();
        StreamNameTemplate whole = StreamNameTemplate.parse("${tag}-stream");
        assertThat(whole.isStatic()).isFalse();
        assertThat(whole.resolve("app.access")).isEqualTo("app.access-stream");
        assertThat(StreamNameTemplate.parse("${tag[1]}").resolve("kinesis.access.web"))
                .isEqualTo("access");
        assertThat(StreamNameTemplate.parse("${tag[-1]}_${tag[0]}").resolve("kinesis.access.web"))
                .isEqualTo("web_kinesis");
    }

    @Test
    void tagsThatMakeNoStreamNameAreExplained() {
        StreamNameTemplate template = StreamNameTemplate.parse("s-${tag[2]}");
        assertThat(template.resolve("a.b")).isNull();
        assertThat(template.whyInvalid("a.b"))
                .isEqualTo(
                        "stream_name s-${tag[2]}: tag a.b has no such part (expected: a tag with enough dot-separated parts)");
        StreamNameTemplate whole = StreamNameTemplate.parse("${tag}");
        assertThat(whole.resolve("a b")).isNull();
        assertThat(whole.whyInvalid("a b"))
                .isEqualTo("stream_name ${tag}: tag a b makes \"a b\" (expected: 1..128 of [a-zA-Z0-9_.-])");
        assertThat(whole.resolve("x".repeat(129))).isNull();
    }

    @Test
    void resolvesRecordChunkKeysFromTheChunksMetadata() {
        StreamNameTemplate t = StreamNameTemplate.parse("${$.kubernetes.annotations.stream}-${tag[0]}");
        assertThat(t.isStatic()).isFalse();
        assertThat(t.keys()).containsExactly("$.kubernetes.annotations.stream");
        ChunkMetadata app = ChunkMetadata.of(Map.of("$.kubernetes.annotations.stream", "app"));
        ChunkMetadata audit = ChunkMetadata.of(Map.of("$.kubernetes.annotations.stream", "audit"));
        assertThat(t.resolve("kube.x", app)).isEqualTo("app-kube");
        assertThat(t.resolve("kube.x", audit)).isEqualTo("audit-kube");
        assertThat(StreamNameTemplate.parse("s-${level}").resolve("t", ChunkMetadata.of(Map.of("level", "info"))))
                .isEqualTo("s-info");
        ChunkMetadata spaced = ChunkMetadata.of(Map.of("$.kubernetes.annotations.stream", "a b"));
        assertThat(t.resolve("kube.x", spaced)).isNull();
        assertThat(t.whyInvalid("kube.x", spaced))
                .isEqualTo(
                        "stream_name ${$.kubernetes.annotations.stream}-${tag[0]}: tag kube.x and chunk keys"
                                + " {$.kubernetes.annotations.stream=a b} makes \"a b-kube\" (expected: 1..128 of [a-zA-Z0-9_.-])");
    }

    @Test
    void refusesOtherPlaceholders() {
        assertThatThrownBy(() -> StreamNameTemplate.parse("${record['ns']}"))
                .hasMessage(
                        "stream_name: ${record['ns']} (expected: a stream name of [a-zA-Z0-9_.-] with ${tag}, ${tag[N]} or ${KEY} placeholders only)");
        assertThatThrownBy(() -> StreamNameTemplate.parse("logs-%Y")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StreamNameTemplate.parse(""))
                .hasMessage("stream_name: \"\" (expected: a stream name)");
        assertThatThrownBy(() -> StreamNameTemplate.parse("y".repeat(129)))
                .hasMessageEndingWith("(expected: 1..128 of [a-zA-Z0-9_.-])");
    }

    @Test
    void strftimeFormatsTheChunksTimeSliceInTheTimekeyZoneWithTheTimeChunkKey() {
        StreamNameTemplate t = StreamNameTemplate.parse("logs-${level}-%Y%m%d%H", java.time.ZoneOffset.UTC);
        assertThat(t.usesTime()).isTrue();
        assertThat(t.isStatic()).isFalse();
        // 2023-11-14T22:00:00Z
        ChunkMetadata slice = ChunkMetadata.of(Map.of("level", "info")).withTimekey(1_699_999_200L);
        assertThat(t.resolve("app", slice)).isEqualTo("logs-info-2023111422");
        StreamNameTemplate tokyo = StreamNameTemplate.parse("logs-%Y%m%d%H", java.time.ZoneId.of("Asia/Tokyo"));
        assertThat(tokyo.resolve("app", slice)).isEqualTo("logs-2023111507");
        // a key's value is never read as strftime
        assertThat(t.resolve("app", ChunkMetadata.of(Map.of("level", "%Y")).withTimekey(1_699_999_200L)))
                .isNull();
        assertThat(t.resolve("app", ChunkMetadata.of(Map.of("level", "info")))).isNull();
        assertThat(t.whyInvalid("app", ChunkMetadata.of(Map.of("level", "info"))))
                .contains("the chunk has no time slice");
        assertThatThrownBy(() -> StreamNameTemplate.parse("logs-%Y"))
                .hasMessageContaining("has strftime placeholders, but the chunk keys have no time");
        assertThatThrownBy(() -> StreamNameTemplate.parse("logs-%c", java.time.ZoneOffset.UTC))
                .hasMessageStartingWith("stream_name: logs-%c");
    }
}
