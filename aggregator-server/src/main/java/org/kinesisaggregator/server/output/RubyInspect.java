package org.kinesisaggregator.server.output;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.msgpack.value.Value;

/** Ruby's {@code inspect} of a decoded record ({@code {"k"=>"v", "n"=>1, "x"=>nil}}). Stateless. */
final class RubyInspect {
    private RubyInspect() {}

    static String inspect(Value v) {
        StringBuilder sb = new StringBuilder();
        append(sb, v);
        return sb.toString();
    }

    private static void append(StringBuilder sb, Value v) {
        switch (v.getValueType()) {
            case NIL -> sb.append("nil");
            case BOOLEAN, INTEGER, FLOAT -> sb.append(v.toJson());
            case STRING, BINARY -> quote(sb, new String(v.asRawValue().asByteArray(), StandardCharsets.UTF_8));
            case ARRAY -> {
                sb.append('[');
                boolean first = true;
                for (Value item : v.asArrayValue()) {
                    if (!first) {
                        sb.append(", ");
                    }
                    first = false;
                    append(sb, item);
                }
                sb.append(']');
            }
            case MAP -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<Value, Value> e : v.asMapValue().map().entrySet()) {
                    if (!first) {
                        sb.append(", ");
                    }
                    first = false;
                    append(sb, e.getKey());
                    sb.append("=>");
                    append(sb, e.getValue());
                }
                sb.append('}');
            }
            default -> quote(sb, v.toString());
        }
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                case '#' -> sb.append(i + 1 < s.length() && "{$@".indexOf(s.charAt(i + 1)) >= 0 ? "\\#" : "#");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\x%02X", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
