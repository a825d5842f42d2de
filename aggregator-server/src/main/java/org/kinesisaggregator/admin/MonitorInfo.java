package org.kinesisaggregator.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kinesisaggregator.buffer.BufferCounters;
import org.kinesisaggregator.buffer.BufferStats;

/**
 * monitor_agent's view of a plugin: the fields of Fluentd's {@code /api/plugins.json}, in its order,
 * as an ordered map of JSON values (String, Number, Boolean, List, Map or null), and the renderings of
 * such maps as JSON and as LTSV ({@code /api/plugins}, {@code /api/config}). Stateless; thread-safe.
 */
final class MonitorInfo {
    /** Ruby's {@code Time#to_s}, which is how Fluentd's monitor_agent shows retry times. */
    private static final DateTimeFormatter RUBY_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss xx");

    private static final JsonFactory JSON = new JsonFactory();

    private MonitorInfo() {}

    /**
     * The fields of one plugin.
     *
     * @param includeConfig monitor_agent's {@code include_config}
     * @param includeRetry monitor_agent's {@code include_retry}
     * @param zone the zone retry times are shown in
     */
    static Map<String, Object> of(PluginInfo plugin, boolean includeConfig, boolean includeRetry, ZoneId zone) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("plugin_id", plugin.pluginId());
        m.put("plugin_category", plugin.category());
        m.put("type", plugin.type());
        if (includeConfig) {
            m.put("config", new LinkedHashMap<String, Object>(plugin.config()));
        }
        m.put("output_plugin", plugin.isOutput());
        BufferStats stats =
                plugin.bufferStats() == null ? null : plugin.bufferStats().get();
        if (stats != null) {
            m.put("buffer_queue_length", stats.queuedChunks());
            m.put("buffer_timekeys", List.of()); // no time chunk keys here
            m.put("buffer_total_queued_size", stats.totalBytes());
        }
        BufferCounters counters = stats != null ? stats.counters() : plugin.counters();
        if (counters != null) {
            m.put("retry_count", counters.numErrors());
            m.put("emit_records", counters.emitRecords());
            m.put("emit_size", counters.emitBytes());
            m.put("emit_count", counters.emitCount());
            m.put("write_count", counters.writeCount());
            m.put("write_secondary_count", counters.writeSecondaryCount());
            m.put("rollback_count", counters.rollbackCount());
            m.put("slow_flush_count", counters.slowFlushCount());
            m.put("flush_time_count", counters.flushTimeMillis());
            m.put("drop_oldest_chunk_count", counters.dropOldestChunkCount());
        } else {
            m.put("retry_count", null);
            if (plugin.ingest() != null) {
                PluginInfo.IngestCounts in = plugin.ingest().get();
                m.put("emit_records", in.records());
                m.put("emit_size", in.bytes());
            }
        }
        if (stats != null) {
            m.put("buffer_stage_length", stats.stagedChunks());
            m.put("buffer_stage_byte_size", stats.stagedBytes());
            m.put("buffer_queue_byte_size", stats.queuedBytes());
            m.put("buffer_available_buffer_space_ratios", round1(stats.availableSpacePercent()));
            // ours, after Fluentd's fields
            m.put("buffer_total_events", stats.totalEvents());
            m.put("buffer_oldest_chunk_age_seconds", stats.oldestChunkAgeMillis() / 1000.0);
            if (includeRetry) {
                m.put("retry", retry(stats, zone));
            }
        }
        return m;
    }

    /** Fluentd's {@code retry}: empty while no chunk fails; else the most-failed chunk's first failure, count, next try. */
    static Map<String, Object> retry(BufferStats stats, ZoneId zone) {
        Map<String, Object> r = new LinkedHashMap<>();
        if (stats.retryCount() > 0) {
            r.put("start", rubyTime(stats.retryStartEpochMillis(), zone));
            r.put("steps", stats.retryCount());
            r.put("next_time", rubyTime(stats.retryNextEpochMillis(), zone));
        }
        return r;
    }

    /** Seconds from the most-failed chunk's first failure to its next try (fluent-plugin-prometheus' retry_wait). */
    static double retryWaitSeconds(BufferStats stats) {
        if (stats.retryCount() == 0) {
            return 0;
        }
        return (stats.retryNextEpochMillis() - stats.retryStartEpochMillis()) / 1000.0;
    }

    private static String rubyTime(long epochMillis, ZoneId zone) {
        return RUBY_TIME.format(Instant.ofEpochMilli(epochMillis).atZone(zone));
    }

    private static double round1(double v) {
        return Math.round(v * 10.0) / 10.0;
    }

    /**
     * {@code value} (a map, list, string, number, boolean or null) as JSON text in UTF-8: the one
     * JSON writer of the admin endpoints.
     */
    static byte[] toJson(Object value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator json = JSON.createGenerator(bytes)) {
            writeJson(json, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /**
     * Writes {@code value} (a map, list, string, number, boolean or null) as JSON; other values as
     * their {@code toString()}. Jackson escapes quotes, backslashes and control characters; an
     * unpaired surrogate (which no JSON parser need accept, and Jackson's refuses) is written as
     * U+FFFD, in keys and strings alike.
     */
    static void writeJson(JsonGenerator json, Object value) throws IOException {
        if (value == null) {
            json.writeNull();
        } else if (value instanceof Map<?, ?> map) {
            json.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                json.writeFieldName(wellFormed(String.valueOf(e.getKey())));
                writeJson(json, e.getValue());
            }
            json.writeEndObject();
        } else if (value instanceof List<?> list) {
            json.writeStartArray();
            for (Object o : list) {
                writeJson(json, o);
            }
            json.writeEndArray();
        } else if (value instanceof Boolean b) {
            json.writeBoolean(b);
        } else if (value instanceof Integer i) {
            json.writeNumber(i);
        } else if (value instanceof Long l) {
            json.writeNumber(l);
        } else if (value instanceof Double d) {
            json.writeNumber(d);
        } else {
            json.writeString(wellFormed(String.valueOf(value)));
        }
    }

    /** {@code s} with every unpaired surrogate replaced by U+FFFD; {@code s} itself when it has none. */
    static String wellFormed(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean paired =
                    Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            if (paired) {
                if (sb != null) {
                    sb.append(c).append(s.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (sb == null) {
                    sb = new StringBuilder(s.length()).append(s, 0, i);
                }
                sb.append('\uFFFD');
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }

    /**
     * One LTSV line as monitor_agent's {@code /api/plugins} prints a plugin: {@code key:value} pairs
     * separated by tabs, hashes and arrays left out, null as an empty value.
     */
    static String ltsv(Map<String, Object> fields, boolean skipCompound) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            Object v = e.getValue();
            if (skipCompound && (v instanceof Map<?, ?> || v instanceof List<?>)) {
                continue;
            }
            if (!sb.isEmpty()) {
                sb.append('\t');
            }
            sb.append(e.getKey()).append(':').append(v == null ? "" : ltsvValue(v));
        }
        return sb.toString();
    }

    private static String ltsvValue(Object v) {
        if (v instanceof List<?> list) {
            // /api/config prints arrays as Ruby's Array#to_s does
            StringBuilder sb = new StringBuilder("[");
            for (Object o : list) {
                if (sb.length() > 1) {
                    sb.append(", ");
                }
                sb.append(o instanceof String s ? "\"" + s + "\"" : String.valueOf(o));
            }
            return sb.append(']').toString();
        }
        return String.valueOf(v);
    }
}
