package org.kinesisaggregator.buffer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferException;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.BufferSettings.FlushMode;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.buffer.ledger.ChunkRecord;
import org.kinesisaggregator.buffer.ledger.Ledger;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;
import org.kinesisaggregator.buffer.testing.RecordingOutput;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A streamed append whose publication fails, through a file store whose ledger commits can be made to fail. */
class StreamedAppendFailureTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  private final Fixture fx = new Fixture();
  private final RecordingOutput out = new RecordingOutput();
  private BufferEngine engine;

  @AfterEach
  void tearDown() {
    if (engine != null) {
      engine.close();
    }
  }

  @Test
  void aStreamedAppendThatFailedToPublishIsStoredWhenTheForwarderResendsIt() throws Exception {
    BufferSettings settings = Fixture.settings(BufferType.FILE, dir.resolve("buf")).flushMode(FlushMode.IMMEDIATE)
        .build();
    FailingLedgerStore store = new FailingLedgerStore(new FileChunkStore(settings.path(), fx.clock));
    engine = new BufferEngine("test", settings, out, null, fx.clock, new SplittableRandom(1), store, fx.registry);
    engine.start();
    byte[] key = "chunk-id-1".getBytes();

    StreamedAppend first = engine.openStream("big");
    first.write(Events.entries(0, 10, 50), 10).get(10, TimeUnit.SECONDS);
    store.ledger.failCommits = true;
    assertThatThrownBy(() -> first.commit(key).get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(BufferException.class);
    store.ledger.failCommits = false;

    // no ack: the forwarder re-sends the same message with the same chunk id
    StreamedAppend resent = engine.openStream("big");
    resent.write(Events.entries(0, 10, 50), 10).get(10, TimeUnit.SECONDS);
    assertThat(resent.commit(key).get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.stored(10));
    await().atMost(WAIT).until(() -> out.delivered().size() == 10);
    assertThat(out.delivered()).isEqualTo(LongStream.range(0, 10).boxed().collect(Collectors.toList()));
  }

  /** A file store whose ledger fails its commits while {@code failCommits} is set. */
  private static final class FailingLedgerStore implements ChunkStore {
    private final ChunkStore files;
    private FailingLedger ledger;

    FailingLedgerStore(ChunkStore files) {
      this.files = files;
    }

    @Override
    public String type() {
      return files.type();
    }

    @Override
    public List<Recovered> open(BufferMetrics metrics) throws IOException {
      List<Recovered> recovered = files.open(metrics);
      ledger = new FailingLedger(files.ledger());
      return recovered;
    }

    @Override
    public Ledger ledger() {
      return ledger;
    }

    @Override
    public StoredChunk create(long id, long createdAtEpochMillis, boolean isPrivate) throws IOException {
      return files.create(id, createdAtEpochMillis, isPrivate);
    }

    @Override
    public void syncDirectory() throws IOException {
      files.syncDirectory();
    }

    @Override
    public boolean hasFailedDir() {
      return files.hasFailedDir();
    }

    @Override
    public String moveToFailed(StoredChunk chunk, String outputId, String reason) throws IOException {
      return files.moveToFailed(chunk, outputId, reason);
    }

    @Override
    public String writeToFailed(Chunk view, String outputId, String reason, Map<Integer, String> reasons)
        throws IOException {
      return files.writeToFailed(view, outputId, reason, reasons);
    }

    @Override
    public void close() {
      files.close();
    }
  }

  private static final class FailingLedger implements Ledger {
    private final Ledger ledger;
    volatile boolean failCommits;

    FailingLedger(Ledger ledger) {
      this.ledger = ledger;
    }

    @Override
    public Map<Long, ChunkRecord> chunks() {
      return ledger.chunks();
    }

    @Override
    public void put(ChunkRecord record) {
      ledger.put(record);
    }

    @Override
    public void remove(long chunkId) {
      ledger.remove(chunkId);
    }

    @Override
    public Map<ByteBuffer, Long> dedupKeys() {
      return ledger.dedupKeys();
    }

    @Override
    public void putDedupKey(byte[] key, long seenAtEpochMillis) {
      ledger.putDedupKey(key, seenAtEpochMillis);
    }

    @Override
    public void removeDedupKey(byte[] key) {
      ledger.removeDedupKey(key);
    }

    @Override
    public void commit() {
      if (failCommits) {
        throw new IllegalStateException("injected: ledger commit failed");
      }
      ledger.commit();
    }

    @Override
    public void close() {
      ledger.close();
    }
  }
}
