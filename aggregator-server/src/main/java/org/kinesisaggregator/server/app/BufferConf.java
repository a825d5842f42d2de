package org.kinesisaggregator.server.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.RetrySettings;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfLocation;
import org.kinesisaggregator.conf.ConfParam;
import org.kinesisaggregator.conf.ConfValues;
import org.kinesisaggregator.server.output.ChunkKeySpec;
import org.kinesisaggregator.server.output.OutputDefaults;

/**
 * Maps an output element's {@code <buffer>} section (Fluentd v1 names) and the v0.12 flat names on
 * the element itself onto {@link BufferSettings} (table in docs/configuration.md). A parameter
 * given both ways is an error. Stateless.
 */
public final class BufferConf {
    private BufferConf() {}

    /** v0.12 name → v1 name. {@code buffer_type} is {@code @type}; {@code detach_process} has no equivalent. */
    public static final Map<String, String> LEGACY = Map.ofEntries(
            Map.entry("buffer_type", "@type"),
            Map.entry("buffer_path", "path"),
            Map.entry("buffer_chunk_limit", "chunk_limit_size"),
            Map.entry("buffer_chunk_records_limit", "chunk_limit_records"),
            Map.entry("buffer_queue_limit", "queue_limit_length"),
            Map.entry("flush_interval", "flush_interval"),
            Map.entry("try_flush_interval", "flush_thread_interval"),
            Map.entry("queued_chunk_flush_interval", "flush_thread_burst_interval"),
            Map.entry("num_threads", "flush_thread_count"),
            Map.entry("disable_retry_limit", "retry_forever"),
            Map.entry("retry_limit", "retry_max_times"),
            Map.entry("retry_wait", "retry_wait"),
            Map.entry("max_retry_wait", "retry_max_interval"),
            Map.entry("buffer_queue_full_action", "overflow_action"),
            Map.entry("flush_at_shutdown", "flush_at_shutdown"),
            Map.entry("time_slice_wait", "timekey_wait"));

    /** v0.12 names that alone do not make an output buffered (they only matter for an output that is). */
    private static final Set<String> LEGACY_NOT_BUFFERING = Set.of("time_slice_wait");

    /**
     * A v0.12 name applied as its v1 name.
     *
     * @param legacy the name as written on the output element
     * @param v1 the v1 {@code <buffer>} name it means
     * @param location where it is written
     */
    public record Renamed(String legacy, String v1, ConfLocation location) {}

    /**
     * What the mapping produced.
     *
     * @param pathLocation where the buffer's directory is set ({@code path} in {@code <buffer>}, v0.12
     *     {@code buffer_path}), or the output's own location when it comes from {@code root_dir}
     * @param renamed the v0.12 names applied, in the order read
     * @param values every buffer parameter by its v1 name, in the order read: as written, or its
     *     default (the output type's, e.g. Kinesis' 8m chunks, or Fluentd's)
     */
    public record Mapped(
            BufferSettings settings,
            String description,
            ConfLocation pathLocation,
            List<Renamed> renamed,
            Map<String, ConfElement.EffectiveValue> values) {
        public Mapped {
            renamed = List.copyOf(renamed);
            values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        }
    }

    /**
     * out_file's fallback buffer directory (Fluentd's out_file sets the file buffer's {@code path} to
     * its own {@code path}, a directory when it has no {@code *}): the output's {@code path} up to the
     * first component with a placeholder ({@code *}, {@code ${...}}, {@code %}), or null.
     */
    static String outputPathAsBufferPath(ConfElement output) {
        ConfParam p = output.params().get("path");
        if (p == null || p.value() == null || p.value().isBlank()) {
            return null;
        }
        Path path = Path.of(p.value());
        Path fixed = path.getRoot();
        for (Path part : path) {
            String name = part.toString();
            if (name.contains("*") || name.contains("${") || name.contains("%")) {
                return fixed == null ? null : fixed.toString();
            }
            fixed = fixed == null ? part : fixed.resolve(part);
        }
        return fixed == null ? null : fixed.toString();
    }

    /**
     * @return the settings, or null when the output runs unbuffered (its defaults say so and there is
     *     neither a {@code <buffer>} nor a v0.12 buffer parameter)
     */
    public static Mapped map(
            ConfElement output,
            String outputId,
            OutputDefaults defaults,
            SystemSettings system,
            List<String> warnings) {
        ConfElement buffer = output.element("buffer");
        boolean anyLegacy = LEGACY.keySet().stream()
                        .filter(n -> !LEGACY_NOT_BUFFERING.contains(n))
                        .anyMatch(output::has)
                || output.has("detach_process");
        if (buffer == null && !anyLegacy && defaults.syncWithoutBufferSection()) {
            return null;
        }
        if (output.has("detach_process")) {
            ConfParam p = output.param("detach_process");
            warnings.add(p.location() + ": parameter 'detach_process' in " + output.describe()
                    + " has no effect (v0.12 forked flush processes; flush_thread_count sets the flush threads)");
        }
        Source src = new Source(output, buffer);

        List<String> keys = buffer == null ? List.of() : ChunkKeySpec.parse(buffer.arg());
        BufferSettings.ChunkKeys chunkKeys = BufferSettings.ChunkKeys.NONE;
        for (String key : keys) {
            if (key.equals("tag")) {
                chunkKeys = BufferSettings.ChunkKeys.TAG;
            } else if (!key.equals("time")) {
                String why = ChunkKeySpec.whyNotARecordKey(key);
                if (why != null) {
                    throw new ConfException(buffer.location(), "<buffer " + buffer.arg() + ">: " + why);
                }
            }
        }
        if (buffer != null && !defaults.chunkKeysHandledByOutput().contains("time") && !keys.contains("time")) {
            // Fluentd accepts them and does nothing with them
            for (String p : List.of("timekey", "timekey_wait", "timekey_use_utc", "timekey_zone")) {
                if (buffer.has(p)) {
                    ConfParam param = buffer.param(p);
                    param.markUsed();
                    warnings.add(param.location() + ": parameter '" + p + "' in <buffer " + buffer.arg() + "> of "
                            + output.describe() + " has no effect without a time chunk key (expected: <buffer "
                            + (keys.isEmpty() ? "time" : String.join(",", keys) + ",time") + "> to slice by time)");
                }
            }
        }
        if (defaults.chunkKeysHandledByOutput().contains("time") || keys.contains("time")) {
            // file output: slices are written when the chunk is flushed; other outputs: TimekeyConf.
            // Read (and checked) here for v0.12's name too.
            src.time("timekey_wait", Duration.ofMinutes(10));
        }

        String typeName = src.string("@type", null);
        src.noteValue("@type", typeName, false);
        if (typeName == null && buffer != null) {
            typeName = buffer.string("type", null);
        }
        String pathText = src.string("path", null);
        // out_file: without a buffer path (and root_dir), Fluentd's buffer path is the output's own path
        String outputPath = defaults.fileBufferByDefault() ? outputPathAsBufferPath(output) : null;
        boolean dirKnown = pathText != null || system.rootDir() != null || outputPath != null;
        BufferType type;
        if (typeName == null) {
            src.noteValue("@type", defaults.fileBufferByDefault() && dirKnown ? "file" : "memory", true);
            type = defaults.fileBufferByDefault() && dirKnown ? BufferType.FILE : BufferType.MEMORY;
            if (defaults.fileBufferByDefault() && type == BufferType.MEMORY) {
                warnings.add(
                        output.location() + ": the buffer of " + output.describe() + " is in memory (a crash loses what"
                                + " is buffered); set <buffer> @type file with a path, or <system> root_dir");
            }
        } else {
            type = switch (typeName.toLowerCase(Locale.ROOT)) {
                case "file" -> BufferType.FILE;
                case "memory" -> BufferType.MEMORY;
                default ->
                    throw src.error("@type", "\"" + typeName + "\" is not a buffer type (expected: file or memory)");
            };
        }
        Path dir = null;
        if (type == BufferType.FILE) {
            Path base;
            if (pathText != null) {
                base = Path.of(pathText);
                if (pathText.contains("*")) {
                    warnings.add(src.location("path") + ": buffer path " + pathText
                            + " is a file pattern; its directory " + base.getParent() + " is used");
                    base = base.getParent();
                }
            } else if (system.rootDir() != null) {
                base = system.rootDir().resolve("buffer");
            } else if (outputPath != null) {
                base = Path.of(outputPath);
            } else {
                throw output.error(
                        "a file buffer needs a directory (expected: path in <buffer> (buffer_path), or root_dir"
                                + " in <system>)");
            }
            dir = base.resolve(outputId);
            if (pathText == null) {
                src.noteValue("path", base.toString(), true);
            }
        } else if (pathText != null) {
            warnings.add(src.location("path") + ": path of a memory buffer in " + output.describe() + " is not used");
        }

        BufferSettings.Builder b = BufferSettings.builder(type, dir);
        if (defaults.chunkLimitBytes() > 0) {
            b.chunkLimitBytes(defaults.chunkLimitBytes());
        }
        if (defaults.flushAtShutdown() != null) {
            b.flushAtShutdown(defaults.flushAtShutdown());
        }
        b.chunkKeys(chunkKeys);
        b.shutdownTimeout(system.shutdownTimeout());
        BufferSettings base = b.build();

        b.ackDurability(src.enumOf("ack_durability", base.ackDurability(), BufferSettings.AckDurability.class));
        b.chunkLimitBytes(src.size("chunk_limit_size", base.chunkLimitBytes()));
        b.chunkLimitRecords(src.integer("chunk_limit_records", base.chunkLimitRecords()));
        b.chunkFullThreshold(src.decimal("chunk_full_threshold", base.chunkFullThreshold()));
        b.totalLimitBytes(src.size(
                "total_limit_size",
                Math.max(base.totalLimitBytes(), src.peekSize("chunk_limit_size", base.chunkLimitBytes()))));
        b.queueLimitLength((int) src.intRange("queue_limit_length", base.queueLimitLength()));
        b.queuedChunksLimitCount(src.intRange("queued_chunks_limit_size", base.queuedChunksLimitCount()));
        b.flushMode(src.enumOf("flush_mode", base.flushMode(), BufferSettings.FlushMode.class));
        Duration flushInterval = src.time("flush_interval", base.flushInterval());
        if (flushInterval.isZero()) {
            // Fluentd: every chunk is due at once (example/out_forward.conf's flush_interval 0)
            b.flushMode(BufferSettings.FlushMode.IMMEDIATE);
        } else {
            b.flushInterval(flushInterval);
        }
        b.flushAtShutdown(src.bool("flush_at_shutdown", base.flushAtShutdown()));
        b.flushThreadCount((int) src.intRange("flush_thread_count", base.flushThreadCount()));
        b.flushThreadInterval(src.time("flush_thread_interval", base.flushThreadInterval()));
        b.flushThreadBurstInterval(src.time("flush_thread_burst_interval", base.flushThreadBurstInterval()));
        b.delayedCommitTimeout(src.time("delayed_commit_timeout", base.delayedCommitTimeout()));
        // an output parameter in Fluentd (not a <buffer> one)
        b.slowFlushLogThreshold(output.time("slow_flush_log_threshold", base.slowFlushLogThreshold()));
        b.overflowAction(overflow(src, base.overflowAction()));
        b.dedupWindow(src.time("dedup_window", base.dedupWindow()));
        long dedupMemory = src.size("dedup_memory_limit", base.dedupMemoryLimitBytes());
        if (dedupMemory < BufferSettings.MIN_DEDUP_MEMORY_LIMIT_BYTES
                || dedupMemory > BufferSettings.MAX_DEDUP_MEMORY_LIMIT_BYTES) {
            throw src.error(
                    "dedup_memory_limit",
                    dedupMemory + " bytes (expected: 1k to 16g; about 32 bytes per remembered message)");
        }
        b.dedupMemoryLimitBytes(dedupMemory);
        long stagedLimit = src.integer("staged_chunks_limit", base.stagedChunksLimit());
        if (stagedLimit < 1 || stagedLimit > 100_000) {
            throw src.error(
                    "staged_chunks_limit",
                    stagedLimit + " (expected: 1 to 100000 chunks staged at once, one per distinct tag and chunk-key"
                            + " values)");
        }
        b.stagedChunksLimit((int) stagedLimit);
        if (buffer != null) {
            String compress = buffer.choice("compress", "text", List.of("text", "gzip"));
            if (!compress.equals("text")) {
                throw buffer.error("compress", "gzip is not supported by the buffer (expected: text)");
            }
            buffer.bool("disable_chunk_backup", false); // chunks that fail for good go to <secondary> or failed/
        }

        RetrySettings r = base.retry();
        RetrySettings retry;
        try {
            retry = new RetrySettings(
                    src.enumOf("retry_type", r.type(), RetrySettings.RetryType.class),
                    src.time("retry_wait", r.initialWait()),
                    src.decimal("retry_exponential_backoff_base", r.exponentialBackoffBase()),
                    src.time("retry_max_interval", r.maxInterval()),
                    src.bool("retry_randomize", r.randomize()),
                    src.time("retry_timeout", r.timeout()),
                    (int) src.intRange("retry_max_times", r.maxTimes()),
                    src.bool("retry_forever", r.forever()),
                    src.decimal("retry_secondary_threshold", r.secondaryThreshold()));
        } catch (IllegalArgumentException e) {
            throw output.error(e.getMessage());
        }
        b.retry(retry);
        BufferSettings settings;
        try {
            settings = b.build();
        } catch (IllegalArgumentException e) {
            throw (buffer != null ? buffer : output).error(e.getMessage());
        }
        return new Mapped(
                settings, describe(settings), src.location("path"), List.copyOf(src.renamed.values()), src.values);
    }

    private static BufferSettings.OverflowAction overflow(Source src, BufferSettings.OverflowAction dflt) {
        String v = src.string("overflow_action", null);
        if (v == null) {
            src.noteValue("overflow_action", dflt.name().toLowerCase(Locale.ROOT), true);
            return dflt;
        }
        return switch (v.trim()) {
            case "throw_exception", "exception" -> BufferSettings.OverflowAction.THROW_EXCEPTION;
            case "block" -> BufferSettings.OverflowAction.BLOCK;
            case "drop_oldest_chunk" -> BufferSettings.OverflowAction.DROP_OLDEST_CHUNK;
            default ->
                throw src.error(
                        "overflow_action",
                        "\"" + v + "\" is not one of throw_exception, block," + " drop_oldest_chunk");
        };
    }

    static String describe(BufferSettings s) {
        StringBuilder sb = new StringBuilder();
        sb.append(s.type().name().toLowerCase(Locale.ROOT));
        if (s.path() != null) {
            sb.append(' ').append(s.path());
        }
        sb.append(", chunk_limit_size ")
                .append(s.chunkLimitBytes())
                .append(", flush_interval ")
                .append(s.flushInterval().toMillis() / 1000.0)
                .append("s")
                .append(", flush_thread_count ")
                .append(s.flushThreadCount());
        if (s.queueLimitLength() > 0) {
            sb.append(", queue_limit_length ").append(s.queueLimitLength());
        }
        sb.append(", overflow_action ").append(s.overflowAction().name().toLowerCase(Locale.ROOT));
        if (s.type() == BufferType.FILE) {
            sb.append(", ack_durability ").append(s.ackDurability().name().toLowerCase(Locale.ROOT));
        }
        return sb.toString();
    }

    /**
     * Reads a v1 name from {@code <buffer>}, or its v0.12 name from the output element; both is an
     * error. Confined to one mapping.
     */
    private static final class Source {
        private final ConfElement output;
        private final ConfElement buffer;
        final Map<String, Renamed> renamed = new LinkedHashMap<>();
        final Map<String, ConfElement.EffectiveValue> values = new LinkedHashMap<>();

        Source(ConfElement output, ConfElement buffer) {
            this.output = output;
            this.buffer = buffer;
        }

        /** The element and name holding v1 parameter {@code name}, or null. */
        private Map.Entry<ConfElement, String> find(String name) {
            String legacy = null;
            for (Map.Entry<String, String> e : LEGACY.entrySet()) {
                if (e.getValue().equals(name) && output.has(e.getKey())) {
                    legacy = e.getKey();
                }
            }
            boolean inBuffer = buffer != null && buffer.has(name);
            if (inBuffer && legacy != null) {
                throw new ConfException(
                        output.params().get(legacy).location(),
                        legacy + ": given both as a v0.12 parameter"
                                + " of " + output.describe() + " and as '" + name + "' in <buffer> at "
                                + buffer.params().get(name).location() + " (expected: one of them)");
            }
            if (inBuffer) {
                return Map.entry(buffer, name);
            }
            if (legacy != null) {
                renamed.putIfAbsent(
                        legacy,
                        new Renamed(legacy, name, output.params().get(legacy).location()));
                return Map.entry(output, legacy);
            }
            return null;
        }

        /** Notes the effective value of v1 parameter {@code name} (null: nothing applies). */
        void noteValue(String name, String value, boolean isDefault) {
            if (value != null) {
                values.put(name, new ConfElement.EffectiveValue(value, isDefault));
            }
        }

        <T> T read(String name, T dflt, BiFunction<ConfElement, String, T> reader, Function<T, String> render) {
            Map.Entry<ConfElement, String> f = find(name);
            if (f == null) {
                noteValue(name, dflt == null ? null : render.apply(dflt), true);
                return dflt;
            }
            noteValue(name, f.getKey().params().get(f.getValue()).value(), false);
            return reader.apply(f.getKey(), f.getValue());
        }

        String string(String name, String dflt) {
            return read(name, dflt, (e, n) -> e.string(n, dflt), v -> v);
        }

        long size(String name, long dflt) {
            return read(name, dflt, (e, n) -> e.size(n, dflt), ConfValues::formatSize);
        }

        /** The size without marking it used (to derive another default). */
        long peekSize(String name, long dflt) {
            Map.Entry<ConfElement, String> f = find(name);
            if (f == null) {
                return dflt;
            }
            ConfParam p = f.getKey().params().get(f.getValue());
            try {
                return ConfValues.size(p.value());
            } catch (IllegalArgumentException e) {
                return dflt;
            }
        }

        long integer(String name, long dflt) {
            return read(name, dflt, (e, n) -> e.integer(n, dflt), String::valueOf);
        }

        long intRange(String name, long dflt) {
            return read(name, dflt, (e, n) -> (long) e.integer(n, (int) dflt, 0, Integer.MAX_VALUE), String::valueOf);
        }

        double decimal(String name, double dflt) {
            return read(name, dflt, (e, n) -> e.decimal(n, dflt), String::valueOf);
        }

        Duration time(String name, Duration dflt) {
            return read(name, dflt, (e, n) -> e.time(n, dflt), ConfValues::formatTime);
        }

        boolean bool(String name, boolean dflt) {
            return read(name, dflt, (e, n) -> e.bool(n, dflt), String::valueOf);
        }

        <E extends Enum<E>> E enumOf(String name, E dflt, Class<E> type) {
            return read(
                    name,
                    dflt,
                    (e, n) -> e.enumValue(n, dflt, type),
                    v -> v.name().toLowerCase(Locale.ROOT));
        }

        ConfException error(String name, String message) {
            Map.Entry<ConfElement, String> f = find(name);
            ConfElement e = f == null ? (buffer != null ? buffer : output) : f.getKey();
            return e.error(f == null ? name : f.getValue(), message);
        }

        ConfLocation location(String name) {
            Map.Entry<ConfElement, String> f = find(name);
            return f == null
                    ? output.location()
                    : f.getKey().params().get(f.getValue()).location();
        }
    }
}
