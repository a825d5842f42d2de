package org.kinesisaggregator.server.route;

import java.nio.charset.StandardCharsets;
import org.msgpack.value.Value;

/** Conversions of record values to text, as Fluentd's filters see them ({@code to_s}). Stateless. */
final class Values {
    private Values() {}

    /** A string as is; binary as UTF-8; nil as ""; numbers and booleans as written; maps/arrays as JSON. */
    static String text(Value v) {
        if (v == null || v.isNilValue()) {
            return "";
        }
        if (v.isRawValue()) {
            // invalid UTF-8 becomes U+FFFD rather than an error
            return new String(v.asRawValue().asByteArray(), StandardCharsets.UTF_8);
        }
        return v.toJson();
    }
}
