package org.kinesisaggregator.server.codec;

import java.util.Locale;

/** The carrier mode of a forward message (the {@code forward.messages{mode}} metric tag). */
public enum ForwardMode {
    /** {@code [tag, time, record, option?]}. */
    MESSAGE,
    /** {@code [tag, [[time, record], ...], option?]}. */
    FORWARD,
    /** {@code [tag, bin|str entries, option?]}. */
    PACKED_FORWARD,
    /** {@code [tag, bin entries, {"compressed": "gzip"|"zstd"}]}. */
    COMPRESSED_PACKED_FORWARD,
    /** A JSON-framed Message or Forward request (first byte {@code {} or {@code [}). */
    JSON;

    /** The metric tag value. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
