package org.kinesisaggregator.server.route;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.LogSafe;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routing of one label (the top level is the label {@value #ROOT_LABEL}): {@code <filter>} and
 * {@code <match>} rules in conf order. An event of tag T goes through every filter whose pattern
 * matches T and that comes before the first {@code <match>} whose pattern matches T, then to that
 * match's destination (Fluentd's event router). The resolution is cached per tag (bounded).
 *
 * <ul>
 *   <li>No filter applies: the append is handed to the destination as it is (no decoding, no copy).
 *   <li>Filters apply: the entries are decoded, filtered and re-encoded (see {@link FilterChain});
 *       events a filter fails on go to the {@code @ERROR} label when there is one, else are dropped
 *       with a warning; the append completes when both parts completed.
 *   <li>No {@code <match>} matches: the events are dropped, counted
 *       ({@code router.events.unmatched}) and logged as Fluentd does ("no patterns matched", at the
 *       1st, 2nd, 4th, … 512th time, then every 512th); the append completes normally, so the
 *       forwarder gets its ack (Fluentd behaviour).
 * </ul>
 *
 * <p>Lifecycle: constructed empty (so that {@code relabel} outputs can point at any label), then
 * {@link #configure} once before any input starts. Thread-safe after that: event loops call
 * {@link #append} and {@link #openStream} concurrently.
 */
public final class Router implements EventSink {
    /** The label of the top-level rules. */
    public static final String ROOT_LABEL = "@ROOT";
    /** The label that receives events filters failed on. */
    public static final String ERROR_LABEL = "@ERROR";

    private static final Logger log = LoggerFactory.getLogger(Router.class);
    private static final int ROUTE_CACHE_LIMIT = 4096;
    private static final Route UNMATCHED = new Route(new FilterChain(List.of()), null, null);

    private final String label;
    private final ConcurrentHashMap<String, Route> cache = new ConcurrentHashMap<>();
    private final AtomicLong unmatchedCount = new AtomicLong();
    private final AtomicLong errorDropCount = new AtomicLong();
    private final Counter unmatchedEvents;
    private final Counter filteredOutEvents;
    private final Counter filterErrorEvents;
    private volatile List<Rule> rules = List.of();
    private volatile EventSink errorSink;

    /** A {@code <filter>} or a {@code <match>}. */
    public sealed interface Rule permits FilterRule, MatchRule {
        TagPattern pattern();
    }

    /** A {@code <filter>}: {@code description} is e.g. {@code <filter app.**> (conf/x.conf:3)}. */
    public record FilterRule(TagPattern pattern, EventFilter filter, String description) implements Rule {}

    /** A {@code <match>} and where its events go. */
    public record MatchRule(TagPattern pattern, EventSink destination, String description) implements Rule {}

    /** The resolution of one tag. */
    private record Route(FilterChain filters, EventSink destination, String matchDescription) {}

    public Router(String label, MeterRegistry registry) {
        this.label = Objects.requireNonNull(label, "label");
        this.unmatchedEvents = Counter.builder("router.events.unmatched")
                .description("events dropped because no <match> matched their tag")
                .tag("label", label)
                .register(registry);
        this.filteredOutEvents = Counter.builder("router.events.filtered")
                .description("events dropped by filters")
                .tag("label", label)
                .register(registry);
        this.filterErrorEvents = Counter.builder("router.events.filter.errors")
                .description("events a filter failed on")
                .tag("label", label)
                .register(registry);
    }

    /**
     * Sets the rules (conf order) and where filter failures go ({@code @ERROR}'s router, or null to
     * drop them with a warning). Called once, before inputs start.
     */
    public void configure(List<Rule> newRules, EventSink newErrorSink) {
        this.rules = List.copyOf(newRules);
        this.errorSink = newErrorSink;
        cache.clear();
    }

    public String label() {
        return label;
    }

    public List<Rule> rules() {
        return rules;
    }

    /** The destination of {@code tag} and the filters on the way, described, or "no match". For dry-run and tests. */
    public String describeRoute(String tag) {
        Route r = resolve(tag);
        if (r.destination == null) {
            return "no match";
        }
        List<String> names = new ArrayList<>();
        r.filters.filters().forEach(f -> names.add(f.type()));
        return (names.isEmpty() ? "" : "filters " + names + " then ") + r.matchDescription;
    }

    private Route resolve(String tag) {
        Route cached = cache.get(tag);
        if (cached != null) {
            return cached;
        }
        List<EventFilter> filters = new ArrayList<>();
        Route route = UNMATCHED;
        for (Rule rule : rules) {
            if (!rule.pattern().matches(tag)) {
                continue;
            }
            if (rule instanceof FilterRule f) {
                filters.add(f.filter());
            } else if (rule instanceof MatchRule m) {
                route = new Route(new FilterChain(filters), m.destination(), m.description());
                break;
            }
        }
        if (cache.size() >= ROUTE_CACHE_LIMIT) {
            cache.clear(); // tags are unbounded; resolution is cheap enough to redo
        }
        cache.put(tag, route);
        return route;
    }

    @Override
    public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
        Route route = resolve(tag);
        if (route.destination == null) {
            unmatched(tag, eventCount);
            return CompletableFuture.completedFuture(AppendResult.stored(0));
        }
        if (route.filters.isEmpty()) {
            return appendTo(route.destination, tag, entries, eventCount, dedupKey);
        }
        FilterChain.Result filtered;
        try {
            filtered = route.filters.apply(tag, entries, eventCount);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "filtering " + eventCount + " events of tag " + tag + " in label " + label + " failed: " + e, e));
        }
        if (filtered.droppedCount() > 0) {
            filteredOutEvents.increment(filtered.droppedCount());
        }
        CompletableFuture<AppendResult> main = filtered.eventCount() == 0
                ? CompletableFuture.completedFuture(AppendResult.stored(0))
                : appendTo(route.destination, tag, filtered.entries(), filtered.eventCount(), dedupKey);
        if (filtered.errorCount() == 0) {
            return main;
        }
        return main.thenCombine(routeErrors(tag, filtered), AppendResult::and);
    }

    /** A destination that throws instead of failing its future still gives the caller a future. */
    private static CompletableFuture<AppendResult> appendTo(
            EventSink sink, String tag, ByteBuffer entries, int count, byte[] dedupKey) {
        try {
            return sink.append(tag, entries, count, dedupKey);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Sends events a filter failed on to {@code @ERROR}, or drops them with a (rate-limited) warning. */
    CompletableFuture<AppendResult> routeErrors(String tag, FilterChain.Result filtered) {
        filterErrorEvents.increment(filtered.errorCount());
        EventSink sink = errorSink;
        if (sink != null) {
            log.debug(
                    "Sending {} events of tag {} to {}: {}",
                    filtered.errorCount(),
                    LogSafe.escape(tag),
                    ERROR_LABEL,
                    LogSafe.escape(String.valueOf(filtered.firstError())));
            return appendTo(sink, tag, filtered.errorEntries(), filtered.errorCount(), null);
        }
        long n = errorDropCount.incrementAndGet();
        if (shouldLog(n)) {
            log.warn(
                    "Dropped {} events of tag {} in label {}: a filter failed ({}); add a <label @ERROR> to keep them"
                            + " (occurrence {})",
                    filtered.errorCount(),
                    LogSafe.escape(tag),
                    label,
                    LogSafe.escape(String.valueOf(filtered.firstError())),
                    n);
        }
        return CompletableFuture.completedFuture(AppendResult.stored(0));
    }

    private void unmatched(String tag, int eventCount) {
        unmatchedEvents.increment(eventCount);
        long n = unmatchedCount.incrementAndGet();
        if (shouldLog(n)) {
            log.warn(
                    "no patterns matched (tag={}, label={}, events={}, occurrence {}); events dropped and acked",
                    LogSafe.escape(tag),
                    label,
                    eventCount,
                    n);
        }
    }

    /** Fluentd's rate limit: the 1st, 2nd, 4th … 256th time, then every 512th. */
    static boolean shouldLog(long n) {
        return n < 512 ? Long.bitCount(n) == 1 : n % 512 == 0;
    }

    @Override
    public StreamedAppend openStream(String tag) {
        Route route = resolve(tag);
        if (route.destination == null) {
            return new DroppingStream(tag);
        }
        StreamedAppend target = route.destination.openStream(tag);
        if (route.filters.isEmpty()) {
            return target;
        }
        return new FilteringStream(tag, route.filters, target);
    }

    @Override
    public String toString() {
        return "Router[" + label + ", " + rules.size() + " rules]";
    }

    /** A stream whose tag matched nothing: counts its events and drops them at commit. */
    private final class DroppingStream implements StreamedAppend {
        private final String tag;
        private long events;

        DroppingStream(String tag) {
            this.tag = tag;
        }

        @Override
        public CompletableFuture<Void> write(ByteBuffer entries, int eventCount) {
            events += eventCount;
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<AppendResult> commit(byte[] dedupKey) {
            unmatched(tag, (int) Math.min(Integer.MAX_VALUE, events));
            return CompletableFuture.completedFuture(AppendResult.stored(0));
        }

        @Override
        public void abandon() {
            // nothing held
        }
    }

    /**
     * Filters each piece before handing it on. Events a filter fails on are sent to {@code @ERROR}
     * as they are met (before the commit). Confined to the stream's caller, like any StreamedAppend.
     */
    private final class FilteringStream implements StreamedAppend {
        private final String tag;
        private final FilterChain filters;
        private final StreamedAppend target;
        private CompletableFuture<AppendResult> errors = CompletableFuture.completedFuture(AppendResult.stored(0));

        FilteringStream(String tag, FilterChain filters, StreamedAppend target) {
            this.tag = tag;
            this.filters = filters;
            this.target = target;
        }

        @Override
        public CompletableFuture<Void> write(ByteBuffer entries, int eventCount) {
            FilterChain.Result filtered;
            try {
                filtered = filters.apply(tag, entries, eventCount);
            } catch (IOException | RuntimeException e) {
                return CompletableFuture.failedFuture(new IllegalStateException(
                        "filtering " + eventCount + " events of tag " + tag + " in label " + label + " failed: " + e,
                        e));
            }
            if (filtered.droppedCount() > 0) {
                filteredOutEvents.increment(filtered.droppedCount());
            }
            if (filtered.errorCount() > 0) {
                errors = errors.thenCombine(routeErrors(tag, filtered), AppendResult::and);
            }
            if (filtered.eventCount() == 0) {
                return CompletableFuture.completedFuture(null);
            }
            return target.write(filtered.entries(), filtered.eventCount());
        }

        @Override
        public CompletableFuture<AppendResult> commit(byte[] dedupKey) {
            return target.commit(dedupKey).thenCombine(errors, AppendResult::and);
        }

        @Override
        public void abandon() {
            target.abandon();
        }
    }
}
