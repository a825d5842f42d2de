package org.kinesisaggregator.buffer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
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
import org.kinesisaggregator.buffer.ledger.Ledger;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;
import org.kinesisaggregator.buffer.testing.RecordingOutput;

/** A streamed append whose publication fails, through a file store whose ledger commits can be made to fail. */
class StreamedAppendFailureTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

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
    void aStreamedAppendThatFailedToPublishIsStoredWhenTheForwarderResendsIt() throws Exception {
        BufferSettings settings = Fixture.settings(BufferType.FILE, dir.resolve("buf"))
                .flushMode(FlushMode.IMMEDIATE)
                .build();
        FailingLedgerStore faults = new FailingLedgerStore(new FileChunkStore(settings.path(), fx.clock));
        engine = new BufferEngine(
                "test", settings, out, null, fx.clock, new SplittableRandom(1), faults.store, fx.registry);
        engine.start();
        byte[] key = "chunk-id-1".getBytes();

        StreamedAppend first = engine.openStream("big");
        first.write(Events.entries(0, 10, 50), 10).get(10, TimeUnit.SECONDS);
        faults.failCommits = true;
        assertThatThrownBy(() -> first.commit(key).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(BufferException.class);
        faults.failCommits = false;

        // no ack: the forwarder re-sends the same message with the same chunk id
        StreamedAppend resent = engine.openStream("big");
        resent.write(Events.entries(0, 10, 50), 10).get(10, TimeUnit.SECONDS);
        assertThat(resent.commit(key).get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.stored(10));
        await().atMost(WAIT).until(() -> out.delivered().size() == 10);
        assertThat(out.delivered()).isEqualTo(LongStream.range(0, 10).boxed().collect(Collectors.toList()));
    }

    /**
     * A file store whose ledger fails its commits while {@code failCommits} is set; every other call
     * goes to the real store and ledger.
     */
    private static final class FailingLedgerStore {
        volatile boolean failCommits;
        final ChunkStore store;

        FailingLedgerStore(ChunkStore files) {
            store = forward(
                    ChunkStore.class,
                    files,
                    (method, args) -> !method.getName().equals("ledger")
                            ? null
                            : forward(Ledger.class, files.ledger(), (m, a) -> {
                                if (failCommits && m.getName().equals("commit")) {
                                    throw new IllegalStateException("injected: ledger commit failed");
                                }
                                return null;
                            }));
        }
    }

    /** {@code target} as a {@code type} that asks {@code first} before each call; null from it: call {@code target}. */
    private static <T> T forward(Class<T> type, T target, BiFunction<Method, Object[], Object> first) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            Object answer = first.apply(method, args);
            if (answer != null) {
                return answer;
            }
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }));
    }
}
