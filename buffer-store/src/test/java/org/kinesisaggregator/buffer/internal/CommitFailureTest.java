package org.kinesisaggregator.buffer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferException;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.BufferSettings.FlushMode;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.buffer.internal.store.ChunkStore;
import org.kinesisaggregator.buffer.internal.store.FileChunkStore;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;
import org.kinesisaggregator.buffer.testing.RecordingOutput;

/**
 * Commits that go wrong. An append whose group commit could not make it durable (an fsync failed)
 * is refused, and the
 * forwarder's re-send with the same chunk id must then be stored: acking it as a duplicate would
 * ack events whose only copy may not be on disk. And a stream abandoned while its commit is in
 * flight keeps what the commit publishes.
 */
class CommitFailureTest {
    @TempDir
    Path dir;

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
    void theResendOfAnAppendWhoseFsyncFailedIsStoredNotTakenForADuplicate() throws Exception {
        BufferSettings settings = Fixture.settings(BufferType.FILE, dir.resolve("buf"))
                .flushMode(FlushMode.INTERVAL)
                .flushInterval(Duration.ofSeconds(1))
                .build();
        ChunkStore files = new FileChunkStore(settings.path(), fx.clock);
        boolean[] failSyncs = {false};
        // the directory fsync of the round that creates the first chunk file fails
        ChunkStore store = (ChunkStore) Proxy.newProxyInstance(
                ChunkStore.class.getClassLoader(), new Class<?>[] {ChunkStore.class}, (proxy, method, args) -> {
                    if (failSyncs[0] && method.getName().equals("syncDirectory")) {
                        throw new IOException("injected: fsync of the buffer directory failed");
                    }
                    try {
                        return method.invoke(files, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        engine = new BufferEngine("test", settings, out, null, fx.clock, new SplittableRandom(1), store, fx.registry);
        engine.start();
        byte[] key = "chunk-id-1".getBytes();

        failSyncs[0] = true;
        assertThatThrownBy(() ->
                        engine.append("t", Events.entries(0, 10, 50), 10, key).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(BufferException.class)
                .hasMessageContaining("fsync of the buffer directory failed");
        failSyncs[0] = false;

        // no ack: the forwarder re-sends the same message with the same chunk id
        AppendResult resent =
                engine.append("t", Events.entries(0, 10, 50), 10, key).get(10, TimeUnit.SECONDS);
        assertThat(resent).isEqualTo(AppendResult.stored(10));
        fx.clock.advance(Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> out.delivered()
                        .containsAll(LongStream.range(0, 10).boxed().toList()));
    }

    @Test
    void abandonAfterCommitKeepsTheCommittedEvents() throws Exception {
        BufferSettings settings = Fixture.settings(BufferType.FILE, dir.resolve("buf2"))
                .flushMode(FlushMode.IMMEDIATE)
                .build();
        engine = new BufferEngine(
                "test",
                settings,
                out,
                null,
                fx.clock,
                new SplittableRandom(1),
                new FileChunkStore(settings.path(), fx.clock),
                fx.registry);
        engine.start();
        StreamedAppend stream = engine.openStream("big");
        stream.write(Events.entries(0, 10, 50), 10).get(10, TimeUnit.SECONDS);
        CompletableFuture<AppendResult> commit = stream.commit(null);
        stream.abandon(); // e.g. the connection closed while the commit was in flight
        assertThat(commit.get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.stored(10));
        await().atMost(Duration.ofSeconds(20)).until(() -> out.delivered().size() == 10);
        await().atMost(Duration.ofSeconds(20)).until(() -> engine.stats().totalBytes() == 0);
    }
}
