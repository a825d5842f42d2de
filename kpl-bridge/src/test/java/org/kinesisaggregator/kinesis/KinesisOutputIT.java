package org.kinesisaggregator.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.kinesisaggregator.buffer.InMemoryChunk;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.kinesis.tail.StreamTail;
import org.kinesisaggregator.kinesis.tail.TailOptions;
import org.kinesisaggregator.kinesis.tail.TailRecord;
import org.kinesisaggregator.kinesis.testing.Json;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;
import org.kinesisaggregator.kinesis.testing.TestEvents;
import org.kinesisaggregator.kinesis.testing.TestSeed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KinesisOutput → real KPL daemon → kinesalite, read back with StreamTail. */
class KinesisOutputIT {
  private static LocalKinesis kinesis;
  @TempDir
  static Path temp;

  @BeforeAll
  static void startKinesis() {
    kinesis = LocalKinesis.start();
  }

  @AfterAll
  static void stopKinesis() {
    kinesis.close();
  }

  @Test
  void deliversExactlyTheEventsSentInAggregates() throws Exception {
    long seed = TestSeed.create("KinesisOutputIT.deliversExactly");
    kinesis.createStream("exact", 2);
    List<Map<String, Object>> records = TestEvents.records(new Random(seed), 0, 20_000, 200);
    InMemoryChunk chunk = TestEvents.chunk("c1", "kinesis.access", records, 1_700_000_000L);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    KinesisHealth health = new KinesisHealth();
    KinesisOutputSettings settings = kinesis.configure(KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "exact"))
        .format(FormatSettings.defaults(OutputType.KINESIS_PRODUCER).withTagKey("tag"))
        .kplTempDirectory(temp.resolve("kpl"))
        .build();

    try (ProducerPool pool = new ProducerPool(registry, health);
        KinesisOutput output = new KinesisOutput(settings, pool, health, registry)) {
      output.start();
      WriteResult result = output.write(chunk).get(2, TimeUnit.MINUTES);
      assertThat(result.isAllDelivered()).as("%s", result).isTrue();
    }

    List<TailRecord> read = readAll("exact");
    assertThat(read).hasSize(records.size());
    Map<Long, Map<String, Object>> bySeq = new HashMap<>();
    for (TailRecord r : read) {
      Map<String, Object> json = Json.parseObject(r.record().data());
      assertThat(json.remove("tag")).isEqualTo("kinesis.access");
      bySeq.put((Long) json.get("seq"), json);
    }
    assertThat(bySeq).hasSize(records.size());
    for (Map<String, Object> expected : records) {
      Map<String, Object> actual = bySeq.get(((Number) expected.get("seq")).longValue());
      assertThat(actual).isNotNull();
      assertThat(actual.get("message")).isEqualTo(expected.get("message"));
      assertThat(actual.get("user")).isEqualTo(expected.get("user"));
      assertThat(((Number) actual.get("status")).intValue()).isEqualTo(expected.get("status"));
    }
    long kinesisRecords = read.stream().map(TailRecord::sequenceNumber).distinct().count();
    assertThat((double) read.size() / kinesisRecords).as("aggregation ratio").isGreaterThan(1.0);
    assertThat(registry.get("kinesis.aggregation.ratio").summary().mean()).isGreaterThan(1.0);
    assertThat(registry.get("kinesis.user.records.put").counter().count()).isEqualTo(records.size());
    assertThat(read).allMatch(r -> r.record().aggregated());
    assertThat(new String(read.get(0).record().data(), StandardCharsets.UTF_8)).doesNotEndWith("\n");
  }

  private static List<TailRecord> readAll(String stream) {
    TailOptions options = TailOptions.defaults(stream).withRegion(LocalKinesis.REGION).withEndpoint(kinesis.endpoint())
        .withCredentials(LocalKinesis.credentials()).withFollow(false);
    try (StreamTail tail = new StreamTail(options)) {
      return tail.readAll();
    }
  }
}
