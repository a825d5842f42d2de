package org.kinesisaggregator.server.testing;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferOverflowException;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.StreamedAppend;

/**
 * An {@link EventSink} for tests: decodes every append with {@code EventEntries.cursor} into
 * {@link Event}s, supports streamed appends, and completes futures on its own thread (like the
 * buffer's writer thread) — or holds them for the test to complete, or fails them.
 */
public final class CollectingSink implements EventSink, AutoCloseable {

    /** How futures complete. */
    public enum Mode {
        COMPLETE,
        HOLD,
        FAIL
    }

    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "test-sink-writer");
        t.setDaemon(true);
        return t;
    });
    private final List<Event> events = Collections.synchronizedList(new ArrayList<>());
    private final List<byte[]> dedupKeys = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> seenKeys = Collections.synchronizedSet(new HashSet<>());
    private final ConcurrentLinkedQueue<Runnable> held = new ConcurrentLinkedQueue<>();
    private final AtomicInteger appends = new AtomicInteger();
    private final AtomicInteger streams = new AtomicInteger();
    private final AtomicInteger commits = new AtomicInteger();
    private final AtomicInteger abandons = new AtomicInteger();
    private final AtomicInteger pieces = new AtomicInteger();
    private volatile Mode mode = Mode.COMPLETE;
    private volatile Supplier<RuntimeException> failure = () -> new BufferOverflowException("buffer full (test)");

    public CollectingSink mode(Mode mode) {
        this.mode = mode;
        return this;
    }

    public CollectingSink failWith(Supplier<RuntimeException> failure) {
        this.failure = failure;
        this.mode = Mode.FAIL;
        return this;
    }

    public List<Event> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    public List<byte[]> dedupKeys() {
        synchronized (dedupKeys) {
            return List.copyOf(dedupKeys);
        }
    }

    public int appends() {
        return appends.get();
    }

    public int streams() {
        return streams.get();
    }

    public int commits() {
        return commits.get();
    }

    public int abandons() {
        return abandons.get();
    }

    public int pieces() {
        return pieces.get();
    }

    public int heldCount() {
        return held.size();
    }

    /** Completes every held future (in arrival order) and switches to {@link Mode#COMPLETE}. */
    public synchronized void releaseHeld() {
        Runnable r;
        while ((r = held.poll()) != null) {
            writer.execute(r);
        }
        mode = Mode.COMPLETE;
    }

    @Override
    public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
        appends.incrementAndGet();
        List<Event> decoded = Event.decode(tag, entries, eventCount);
        CompletableFuture<AppendResult> f = new CompletableFuture<>();
        complete(f, () -> store(decoded, dedupKey, eventCount));
        return f;
    }

    private AppendResult store(List<Event> decoded, byte[] dedupKey, long eventCount) {
        if (dedupKey != null) {
            dedupKeys.add(dedupKey);
            if (!seenKeys.add(new String(dedupKey, StandardCharsets.ISO_8859_1))) {
                return AppendResult.duplicate();
            }
        }
        events.addAll(decoded);
        return AppendResult.stored(eventCount);
    }

    private synchronized <T> void complete(CompletableFuture<T> f, Supplier<T> action) {
        Runnable r = () -> {
            if (mode == Mode.FAIL) {
                f.completeExceptionally(failure.get());
            } else {
                try {
                    f.complete(action.get());
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            }
        };
        if (mode == Mode.HOLD) {
            held.add(r);
        } else {
            writer.execute(r);
        }
    }

    @Override
    public StreamedAppend openStream(String tag) {
        streams.incrementAndGet();
        return new StreamedAppend() {
            private final List<Event> pending = Collections.synchronizedList(new ArrayList<>());
            private volatile boolean finished;

            @Override
            public CompletableFuture<Void> write(ByteBuffer entries, int eventCount) {
                if (finished) {
                    throw new IllegalStateException("write after commit/abandon");
                }
                pieces.incrementAndGet();
                List<Event> decoded = Event.decode(tag, entries, eventCount);
                CompletableFuture<Void> f = new CompletableFuture<>();
                complete(f, () -> {
                    pending.addAll(decoded);
                    return null;
                });
                return f;
            }

            @Override
            public CompletableFuture<AppendResult> commit(byte[] dedupKey) {
                if (finished) {
                    throw new IllegalStateException("commit after commit/abandon");
                }
                finished = true;
                commits.incrementAndGet();
                CompletableFuture<AppendResult> f = new CompletableFuture<>();
                complete(f, () -> store(List.copyOf(pending), dedupKey, pending.size()));
                return f;
            }

            @Override
            public void abandon() {
                if (!finished) {
                    finished = true;
                    abandons.incrementAndGet();
                }
            }
        };
    }

    @Override
    public void close() {
        writer.shutdownNow();
    }
}
