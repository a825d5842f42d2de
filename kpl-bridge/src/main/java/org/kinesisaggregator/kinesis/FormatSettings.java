package org.kinesisaggregator.kinesis;

import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import org.kinesisaggregator.kinesis.format.StrftimeFormatter;

/**
 * How one event becomes the bytes of one user record: Fluentd's {@code <format>} and
 * {@code <inject>} sections and the v0.12 formatter parameters, validated.
 *
 * <p>Order of work, as Fluentd does it: inject ({@code hostname_key}, {@code tag_key},
 * {@code time_key}: a key already in the record keeps its position and gets the new value; new keys
 * go at the end), then format, then {@code compression}. With {@code data_key} set, the record's
 * field is sent as-is instead (no injection, no newline).
 *
 * @param format {@code <format> @type} / v0.12 {@code formatter}: json (default), msgpack,
 *     single_value, ltsv, hash, out_file or stdout
 * @param appendNewline end json and single_value records with {@code "\n"}: plugin v3 keeps the
 *     formatter's newline ({@code chomp_record false}), v1/v2 chomp it (see {@link OutputType#defaultAppendNewline()});
 *     single_value's own {@code add_newline} maps here too. Never applies to msgpack or data_key.
 * @param messageKey single_value's {@code message_key} (default {@code message})
 * @param dataKey {@code data_key}: send this record field's value as the whole record, or null.
 *     Strings and binaries go out as their bytes, numbers and booleans as text, maps and arrays as JSON.
 * @param tagKey inject the tag under this key ({@code include_tag_key true} + {@code tag_key}, or
 *     {@code <inject> tag_key}), or null
 * @param timeKey inject the event time under this key ({@code include_time_key true} + {@code time_key},
 *     or {@code <inject> time_key}), or null
 * @param timeType {@code time_type}: string (default), unixtime (integer seconds) or float (seconds, µs precision)
 * @param timeFormat {@code time_format} (Ruby strftime, including {@code %N}/{@code %3N}/{@code %L}
 *     and {@code %z}/{@code %:z}), or null for ISO 8601 seconds ({@code 2016-07-17T09:34:06+09:00},
 *     {@code ...Z} in UTC), as Fluentd's TimeFormatter without a format
 * @param timeZone zone of string times: {@code utc} → UTC, {@code localtime} (Fluentd's default) →
 *     the system zone, {@code timezone} → that zone
 * @param hostnameKey {@code <inject> hostname_key}, or null
 * @param hostname {@code <inject> hostname}: the value injected under hostnameKey (the conf layer
 *     defaults it to the host name)
 * @param compression {@code compression}: none, zlib or gzip, applied to each record's bytes
 * @param layout the parameters of ltsv, out_file and stdout
 */
public record FormatSettings(
        Format format,
        boolean appendNewline,
        String messageKey,
        String dataKey,
        String tagKey,
        String timeKey,
        TimeType timeType,
        String timeFormat,
        ZoneId timeZone,
        String hostnameKey,
        String hostname,
        Compression compression,
        Layout layout) {

    /** {@code <format> @type}. */
    public enum Format {
        JSON("json"),
        MSGPACK("msgpack"),
        SINGLE_VALUE("single_value"),
        LTSV("ltsv"),
        HASH("hash"),
        OUT_FILE("out_file"),
        STDOUT("stdout");

        private final String confName;

        Format(String confName) {
            this.confName = confName;
        }

        public String confName() {
            return confName;
        }

        public static Format fromConfName(String name) {
            for (Format f : values()) {
                if (f.confName.equals(name)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("format: " + name + " (expected: one of " + confNames() + ")");
        }

        /** The conf names, comma-separated, for error messages. */
        public static String confNames() {
            StringBuilder names = new StringBuilder();
            for (Format f : values()) {
                names.append(names.length() == 0 ? "" : ", ").append(f.confName);
            }
            return names.toString();
        }
    }

    /** {@code <inject> time_type}. */
    public enum TimeType {
        STRING("string"),
        UNIXTIME("unixtime"),
        FLOAT("float");

        private final String confName;

        TimeType(String confName) {
            this.confName = confName;
        }

        public String confName() {
            return confName;
        }

        public static TimeType fromConfName(String name) {
            for (TimeType t : values()) {
                if (t.confName.equals(name)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("time_type: " + name + " (expected: string, unixtime or float)");
        }
    }

    /** {@code compression}. */
    public enum Compression {
        NONE("none"),
        ZLIB("zlib"),
        GZIP("gzip");

        private final String confName;

        Compression(String confName) {
            this.confName = confName;
        }

        public String confName() {
            return confName;
        }

        public static Compression fromConfName(String name) {
            if (name == null || name.isEmpty()) {
                return NONE;
            }
            for (Compression c : values()) {
                if (c.confName.equals(name)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("compression: " + name + " (expected: zlib, gzip or none)");
        }
    }

    /**
     * The parameters of the text formats that are not json: {@code ltsv}, {@code out_file} and
     * {@code stdout} (each ignores what is not its own).
     *
     * @param delimiter between ltsv pairs (TAB), or between out_file's time, tag and record (TAB;
     *     the conf layer maps {@code SPACE} and {@code COMMA})
     * @param labelDelimiter between an ltsv key and its value ({@code :})
     * @param outputTime out_file's {@code output_time} (true)
     * @param outputTag out_file's {@code output_tag} (true)
     * @param outputType stdout's {@code output_type}: json (default), hash, ltsv or single_value
     * @param timeFormat the formatter's own time (out_file's and stdout's prefix), or null for the
     *     type's default ({@link #OUT_FILE_TIME_FORMAT}, {@link #STDOUT_TIME_FORMAT})
     * @param timeZone zone of that time
     */
    public record Layout(
            String delimiter,
            String labelDelimiter,
            boolean outputTime,
            boolean outputTag,
            Format outputType,
            String timeFormat,
            ZoneId timeZone) {
        /** out_file's time when {@code time_format} is not set. */
        public static final String OUT_FILE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%:z";
        /** stdout's time when {@code time_format} is not set. */
        public static final String STDOUT_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%N %z";
        /** Every default; times in the machine's zone. */
        public static final Layout DEFAULT =
                new Layout("\t", ":", true, true, Format.JSON, null, ZoneId.systemDefault());

        public Layout {
            Objects.requireNonNull(delimiter, "delimiter");
            Objects.requireNonNull(labelDelimiter, "label_delimiter");
            Objects.requireNonNull(outputType, "output_type");
            Objects.requireNonNull(timeZone, "timezone");
            if (outputType != Format.JSON
                    && outputType != Format.HASH
                    && outputType != Format.LTSV
                    && outputType != Format.SINGLE_VALUE) {
                throw new IllegalArgumentException(
                        "output_type: " + outputType.confName() + " (expected: json, hash, ltsv or single_value)");
            }
            if (timeFormat != null) {
                StrftimeFormatter.validate(timeFormat);
            }
        }

        /** The formatter time's pattern for {@code format}: {@link #timeFormat} or the type's default. */
        public String effectiveTimeFormat(Format format) {
            if (timeFormat != null) {
                return timeFormat;
            }
            return format == Format.STDOUT ? STDOUT_TIME_FORMAT : OUT_FILE_TIME_FORMAT;
        }
    }

    public static final String DEFAULT_MESSAGE_KEY = "message";
    public static final String DEFAULT_TAG_KEY = "tag";
    public static final String DEFAULT_TIME_KEY = "time";

    public FormatSettings {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(timeType, "time_type");
        Objects.requireNonNull(timeZone, "timezone");
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(layout, "layout");
        requireNonEmptyOrNull("message_key", messageKey);
        if (format == Format.SINGLE_VALUE && messageKey == null) {
            throw new IllegalArgumentException("message_key: null (expected: a record key for single_value)");
        }
        requireNonEmptyOrNull("data_key", dataKey);
        requireNonEmptyOrNull("tag_key", tagKey);
        requireNonEmptyOrNull("time_key", timeKey);
        requireNonEmptyOrNull("hostname_key", hostnameKey);
        if (hostnameKey != null && (hostname == null || hostname.isEmpty())) {
            throw new IllegalArgumentException(
                    "hostname: " + hostname + " (expected: a value to inject under hostname_key " + hostnameKey + ")");
        }
        if (timeFormat != null) {
            StrftimeFormatter.validate(timeFormat);
        }
    }

    /** The defaults of {@code type} with nothing injected: json, newline per the type, no compression. */
    public static FormatSettings defaults(OutputType type) {
        return builder()
                .appendNewline(type.defaultAppendNewline())
                .timeFormat(type.defaultTimeFormat())
                .build();
    }

    /**
     * A builder holding every default: json without a newline, message key {@code message},
     * nothing injected, string times in ISO 8601 in the system zone, no compression, the default
     * layout.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this value's fields, to change some of them. */
    public Builder toBuilder() {
        return new Builder()
                .format(format)
                .appendNewline(appendNewline)
                .messageKey(messageKey)
                .dataKey(dataKey)
                .tagKey(tagKey)
                .timeKey(timeKey)
                .time(timeType, timeFormat, timeZone)
                .hostname(hostnameKey, hostname)
                .compression(compression)
                .layout(layout);
    }

    /** A copy that injects the tag under {@code key} (include_tag_key true). */
    public FormatSettings withTagKey(String key) {
        return toBuilder().tagKey(key).build();
    }

    /** A copy that injects the time under {@code key} (include_time_key true). */
    public FormatSettings withTimeKey(String key) {
        return toBuilder().timeKey(key).build();
    }

    /** A copy with another format. */
    public FormatSettings withFormat(Format newFormat, boolean newAppendNewline) {
        return toBuilder().format(newFormat).appendNewline(newAppendNewline).build();
    }

    /** A copy sending {@code key}'s value as-is (data_key). */
    public FormatSettings withDataKey(String key) {
        return toBuilder().dataKey(key).build();
    }

    /** A copy compressing each record. */
    public FormatSettings withCompression(Compression newCompression) {
        return toBuilder().compression(newCompression).build();
    }

    /**
     * Collects the fields of a {@link FormatSettings}; {@link #build()} validates them. Not
     * thread-safe; one builder per value being built.
     */
    public static final class Builder {
        private Format format = Format.JSON;
        private boolean appendNewline;
        private String messageKey = DEFAULT_MESSAGE_KEY;
        private String dataKey;
        private String tagKey;
        private String timeKey;
        private TimeType timeType = TimeType.STRING;
        private String timeFormat;
        private ZoneId timeZone = ZoneId.systemDefault();
        private String hostnameKey;
        private String hostname;
        private Compression compression = Compression.NONE;
        private Layout layout = Layout.DEFAULT;

        private Builder() {}

        public Builder format(Format value) {
            this.format = value;
            return this;
        }

        public Builder appendNewline(boolean value) {
            this.appendNewline = value;
            return this;
        }

        public Builder messageKey(String value) {
            this.messageKey = value;
            return this;
        }

        public Builder dataKey(String value) {
            this.dataKey = value;
            return this;
        }

        public Builder tagKey(String value) {
            this.tagKey = value;
            return this;
        }

        public Builder timeKey(String value) {
            this.timeKey = value;
            return this;
        }

        public Builder timeType(TimeType value) {
            this.timeType = value;
            return this;
        }

        public Builder timeFormat(String value) {
            this.timeFormat = value;
            return this;
        }

        public Builder timeZone(ZoneId value) {
            this.timeZone = value;
            return this;
        }

        /** The injected time's type, strftime pattern (null: ISO 8601 seconds) and zone at once. */
        public Builder time(TimeType type, String strftime, ZoneId zone) {
            return timeType(type).timeFormat(strftime).timeZone(zone);
        }

        /** Inject {@code value} under {@code key} (both null: inject no host name). */
        public Builder hostname(String key, String value) {
            this.hostnameKey = key;
            this.hostname = value;
            return this;
        }

        public Builder compression(Compression value) {
            this.compression = value;
            return this;
        }

        public Builder layout(Layout value) {
            this.layout = value;
            return this;
        }

        /** The settings; {@link IllegalArgumentException} or {@link NullPointerException} when invalid. */
        public FormatSettings build() {
            return new FormatSettings(
                    format,
                    appendNewline,
                    messageKey,
                    dataKey,
                    tagKey,
                    timeKey,
                    timeType,
                    timeFormat,
                    timeZone,
                    hostnameKey,
                    hostname,
                    compression,
                    layout);
        }
    }

    /** Fluentd's {@code utc true}. */
    public static ZoneId utc() {
        return ZoneOffset.UTC;
    }

    /** True when something is injected into records. */
    public boolean injects() {
        return tagKey != null || timeKey != null || hostnameKey != null;
    }

    private static void requireNonEmptyOrNull(String name, String value) {
        if (value != null && value.isEmpty()) {
            throw new IllegalArgumentException(name + ": \"\" (expected: a non-empty key, or unset)");
        }
    }
}
