package org.kinesisaggregator.server.route;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.LogSafe;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One append to several sinks ({@code @type copy} and its {@code <store>}s): the same bytes go to
 * every member (nobody modifies them, so {@code copy_mode} makes no difference); the append
 * completes when every member completed, with the results combined ({@link AppendResult#and}).
 *
 * <ul>
 *   <li>A member's failure fails the whole append (the forwarder gets no ack and re-sends; members
 *       that stored it then see a duplicate, which their dedup window absorbs), unless the member
 *       is {@code ignore_error}: then the failure is logged and counts as nothing stored.
 *   <li>An {@code ignore_if_prev_success} member receives the events only when the member before it
 *       failed (a fallback): it waits for that member's result.
 *   <li>Streams fan out piece by piece; an {@code ignore_if_prev_success} member's stream is
 *       committed only when the previous member's commit failed, and abandoned otherwise.
 * </ul>
 *
 * <p>Immutable; thread-safe.
 */
public final class FanOutSink implements EventSink {
    private static final Logger log = LoggerFactory.getLogger(FanOutSink.class);

    /** A {@code <store>}: its sink, its flags, and a description for logs. */
    public record Member(EventSink sink, boolean ignoreError, boolean ignoreIfPrevSuccess, String description) {
        public Member {
            Objects.requireNonNull(sink, "sink");
            Objects.requireNonNull(description, "description");
        }
    }

    private final List<Member> members;

    public FanOutSink(List<Member> members) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("members: none (expected: at least one <store>)");
        }
        if (members.get(0).ignoreIfPrevSuccess()) {
            throw new IllegalArgumentException(
                    "the first <store> cannot be ignore_if_prev_success (expected: a store before it)");
        }
        this.members = List.copyOf(members);
    }

    public List<Member> members() {
        return members;
    }

    @Override
    public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
        List<CompletableFuture<AppendResult>> results = new ArrayList<>(members.size());
        CompletableFuture<AppendResult> previous = null;
        for (Member m : members) {
            CompletableFuture<AppendResult> attempt;
            if (m.ignoreIfPrevSuccess()) {
                attempt = previous.handle((r, e) -> e == null)
                        .thenCompose(prevOk -> prevOk
                                ? CompletableFuture.completedFuture(AppendResult.stored(0))
                                : start(m, tag, entries, eventCount, dedupKey));
            } else {
                attempt = start(m, tag, entries, eventCount, dedupKey);
            }
            previous = attempt;
            results.add(tolerate(m, attempt, tag));
        }
        return combine(results);
    }

    private static CompletableFuture<AppendResult> start(
            Member m, String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
        try {
            return m.sink().append(tag, entries, eventCount, dedupKey);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** A failure of an ignore_error member (or of a fallback whose outcome is already known) becomes "nothing stored". */
    private static CompletableFuture<AppendResult> tolerate(Member m, CompletableFuture<AppendResult> f, String tag) {
        if (!m.ignoreError()) {
            return f;
        }
        return f.exceptionally(e -> {
            log.warn(
                    "Ignored a failure of {} for tag {} (ignore_error): {}",
                    m.description(),
                    LogSafe.escape(tag),
                    LogSafe.escape(String.valueOf(e)));
            return AppendResult.stored(0);
        });
    }

    /** Completes when every member has completed: the combined result, or the first failure. */
    static CompletableFuture<AppendResult> combine(List<CompletableFuture<AppendResult>> results) {
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                .thenApply(done -> {
                    AppendResult combined = results.get(0).join();
                    for (int i = 1; i < results.size(); i++) {
                        combined = combined.and(results.get(i).join());
                    }
                    return combined;
                });
    }

    @Override
    public StreamedAppend openStream(String tag) {
        List<StreamedAppend> streams = new ArrayList<>(members.size());
        for (Member m : members) {
            streams.add(m.sink().openStream(tag));
        }
        return new FanOutStream(tag, streams);
    }

    /** Confined to the caller, like any StreamedAppend. */
    private final class FanOutStream implements StreamedAppend {
        private final String tag;
        private final List<StreamedAppend> streams;
        private final boolean[] dead;

        FanOutStream(String tag, List<StreamedAppend> streams) {
            this.tag = tag;
            this.streams = streams;
            this.dead = new boolean[streams.size()];
        }

        @Override
        public CompletableFuture<Void> write(ByteBuffer entries, int eventCount) {
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            for (int i = 0; i < streams.size(); i++) {
                if (dead[i]) {
                    continue;
                }
                Member m = members.get(i);
                StreamedAppend s = streams.get(i);
                CompletableFuture<Void> w;
                try {
                    w = s.write(entries, eventCount);
                } catch (RuntimeException e) {
                    w = CompletableFuture.failedFuture(e);
                }
                if (m.ignoreError()) {
                    int index = i;
                    w = w.exceptionally(e -> {
                        log.warn(
                                "Ignored a failure of {} for tag {} (ignore_error): {}",
                                m.description(),
                                LogSafe.escape(tag),
                                LogSafe.escape(String.valueOf(e)));
                        dead[index] = true;
                        s.abandon();
                        return null;
                    });
                }
                writes.add(w);
            }
            return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new));
        }

        @Override
        public CompletableFuture<AppendResult> commit(byte[] dedupKey) {
            List<CompletableFuture<AppendResult>> results = new ArrayList<>();
            CompletableFuture<AppendResult> previous = null;
            for (int i = 0; i < streams.size(); i++) {
                Member m = members.get(i);
                StreamedAppend s = streams.get(i);
                CompletableFuture<AppendResult> attempt;
                if (dead[i]) {
                    attempt = CompletableFuture.completedFuture(AppendResult.stored(0));
                } else if (m.ignoreIfPrevSuccess()) {
                    attempt = previous.handle((r, e) -> e == null).thenCompose(prevOk -> {
                        if (prevOk) {
                            s.abandon();
                            return CompletableFuture.completedFuture(AppendResult.stored(0));
                        }
                        return s.commit(dedupKey);
                    });
                } else {
                    attempt = s.commit(dedupKey);
                }
                previous = attempt;
                results.add(tolerate(m, attempt, tag));
            }
            return combine(results);
        }

        @Override
        public void abandon() {
            for (StreamedAppend s : streams) {
                s.abandon();
            }
        }
    }
}
