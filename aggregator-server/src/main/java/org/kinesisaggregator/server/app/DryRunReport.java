package org.kinesisaggregator.server.app;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfValues;

/**
 * The feedback lines of {@code --dry-run} and of the start-up log about one plugin: every effective
 * value (as written, or the default, marked {@code (default)}; secrets masked), the v0.12 names as
 * they were applied, and a buffered output's backlog drain ceiling
 * ({@code flush_thread_count × chunk_limit_size / flush_thread_burst_interval}) with a warning when it is
 * far below what one node ingests.
 *
 * <p>Stateless; confined to the assembling thread (it reads conf elements).
 */
final class DryRunReport {
    /**
     * What one node ingests and delivers, for the drain warning: 50 MiB/s (~260,000 events/s of 200 B;
     * BENCHMARKS.md measured ~300,000 events/s end to end to Kinesis on 2 cores). docs/operations.md.
     */
    static final long REFERENCE_INGEST_BYTES_PER_SECOND = 50L * 1024 * 1024;

    /** A ceiling this many times below the reference gets a warning. */
    static final long FAR_BELOW_FACTOR = 10;

    /** The event size of the events/s estimates. */
    static final int ESTIMATE_EVENT_BYTES = 200;

    private static final int WIDTH = 110;
    private static final List<String> SECRET_WORDS =
            List.of("sec_key", "ses_token", "secret", "password", "passphrase", "shared_key", "token");

    /** Sections rendered by their own lines (the buffer), or as outputs of their own (store). */
    private static final Set<String> NOT_NESTED = Set.of("buffer", "store", "source", "match", "filter", "label");

    private DryRunReport() {}

    /**
     * {@code parameters: name value, name value (default), …} of {@code e} and, as
     * {@code <section>: …}, of its sections that were read, wrapped; {@code skip} names are left out.
     */
    static List<String> parameters(ConfElement e, Set<String> skip, String indent) {
        List<String> lines = new ArrayList<>();
        wrap(lines, indent, "parameters:", values(e.effectiveValues(), skip));
        for (ConfElement child : e.elements()) {
            if (child.isUsed() && !NOT_NESTED.contains(child.name())) {
                wrap(lines, indent + "  ", child.describe() + ":", values(child.effectiveValues(), Set.of()));
            }
        }
        return lines;
    }

    /** The buffer's v0.12 names as applied, its every value by v1 name, and its drain ceiling. */
    static List<String> buffer(BufferConf.Mapped mapped, String indent) {
        List<String> lines = new ArrayList<>();
        List<String> renamed = new ArrayList<>();
        for (BufferConf.Renamed r : mapped.renamed()) {
            if (!r.legacy().equals(r.v1())) { // flush_interval, retry_wait, flush_at_shutdown: the same in both
                renamed.add(r.legacy() + " → " + r.v1() + " (" + r.location() + ")");
            }
        }
        wrap(lines, indent, "v0.12 names applied:", renamed);
        wrap(lines, indent, "buffer parameters:", values(mapped.values(), Set.of()));
        lines.add(indent + drainLine(mapped.settings()));
        return lines;
    }

    /**
     * The most bytes per second a buffer's flush threads hand its output while a backlog waits: each
     * flush thread takes one chunk (at most {@code chunk_limit_size}) per
     * {@code flush_thread_burst_interval}. Long.MAX_VALUE when the interval is 0 (the output limits it).
     */
    static long drainCeilingBytesPerSecond(BufferSettings s) {
        long nanos = s.flushThreadBurstInterval().toNanos();
        if (nanos == 0) {
            return Long.MAX_VALUE;
        }
        double perSecond = (double) s.flushThreadCount() * s.chunkLimitBytes() * 1e9 / nanos;
        return perSecond >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) perSecond;
    }

    static String drainLine(BufferSettings s) {
        String formula = "flush_thread_count " + s.flushThreadCount() + " × chunk_limit_size "
                + ConfValues.formatSize(s.chunkLimitBytes()) + " / flush_thread_burst_interval "
                + ConfValues.formatTime(s.flushThreadBurstInterval());
        long ceiling = drainCeilingBytesPerSecond(s);
        if (ceiling == Long.MAX_VALUE) {
            return "backlog drain ceiling: none from the buffer (" + formula + "): the output's own speed limits it";
        }
        return "backlog drain ceiling: " + formula + " = " + rate(ceiling);
    }

    /** A warning when the drain ceiling is {@link #FAR_BELOW_FACTOR} or more below the reference, else null. */
    static String drainWarning(ConfElement output, BufferSettings s) {
        long ceiling = drainCeilingBytesPerSecond(s);
        if (ceiling == Long.MAX_VALUE || ceiling * FAR_BELOW_FACTOR > REFERENCE_INGEST_BYTES_PER_SECOND) {
            return null;
        }
        long times = ceiling == 0 ? 0 : REFERENCE_INGEST_BYTES_PER_SECOND / ceiling;
        return output.location() + ": " + output.describe() + ": its buffer drains a backlog at most at "
                + rate(ceiling) + ", " + (times > 0 ? times + "×" : "far") + " below what one node ingests ("
                + mib(REFERENCE_INGEST_BYTES_PER_SECOND) + ", docs/operations.md): after an outage the backlog"
                + " drains slowly. Raise flush_thread_count (v0.12 num_threads) or chunk_limit_size"
                + " (buffer_chunk_limit), or lower flush_thread_burst_interval (queued_chunk_flush_interval)";
    }

    /** {@code 1.0 MiB/s (1,048,576 B/s, ~5,243 events/s at ~200 B/event)}. */
    static String rate(long bytesPerSecond) {
        return mib(bytesPerSecond) + " (" + String.format(Locale.ROOT, "%,d", bytesPerSecond) + " B/s, ~"
                + String.format(Locale.ROOT, "%,d", bytesPerSecond / ESTIMATE_EVENT_BYTES) + " events/s at ~"
                + ESTIMATE_EVENT_BYTES + " B/event)";
    }

    private static String mib(long bytesPerSecond) {
        return String.format(Locale.ROOT, "%.1f MiB/s", bytesPerSecond / (1024.0 * 1024.0));
    }

    /** The {@code <system>} values, defaults marked. */
    static List<String> system(SystemSettings s, String indent) {
        List<String> values = new ArrayList<>();
        values.add("log_level " + (s.logLevel() == null ? "info (default)" : s.logLevel()));
        values.add("workers " + s.workers() + (s.workers() == 0 ? " (default: one event-loop thread per core)" : ""));
        values.add("root_dir " + (s.rootDir() == null ? "none (default)" : s.rootDir()));
        values.add("drain_delay " + time(s.drainDelay(), Duration.ZERO));
        values.add("shutdown_timeout " + time(s.shutdownTimeout(), Duration.ofSeconds(30)));
        values.add("rpc_endpoint " + (s.rpcEndpoint() == null ? "off (default)" : s.rpcEndpoint()));
        List<String> lines = new ArrayList<>();
        wrap(lines, indent, "system:", values);
        return lines;
    }

    private static String time(Duration d, Duration dflt) {
        return ConfValues.formatTime(d) + (d.equals(dflt) ? " (default)" : "");
    }

    private static List<String> values(Map<String, ConfElement.EffectiveValue> values, Set<String> skip) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, ConfElement.EffectiveValue> v : values.entrySet()) {
            if (skip.contains(v.getKey())) {
                continue;
            }
            String value = isSecret(v.getKey()) ? "****" : v.getValue().value();
            out.add(v.getKey() + " " + (value.isEmpty() ? "\"\"" : value)
                    + (v.getValue().isDefault() ? " (default)" : ""));
        }
        return out;
    }

    static boolean isSecret(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return SECRET_WORDS.stream().anyMatch(n::contains) && !n.endsWith("_file") && !n.endsWith("_path");
    }

    private static void wrap(List<String> lines, String indent, String heading, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        StringBuilder line = new StringBuilder(indent).append(heading);
        String continuation = indent + "  ";
        for (int i = 0; i < items.size(); i++) {
            String item = items.get(i) + (i < items.size() - 1 ? "," : "");
            if (line.length() + 1 + item.length() > WIDTH && line.length() > continuation.length()) {
                lines.add(line.toString());
                line = new StringBuilder(continuation).append(item);
            } else {
                line.append(' ').append(item);
            }
        }
        lines.add(line.toString());
    }
}
