package org.kinesisaggregator.server.output;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.msgpack.core.ExtensionTypeHeader;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Writes a msgpack value as JSON straight from the unpacker (no object tree). Strings and binary
 * are written as JSON strings (binary and invalid UTF-8 decoded leniently, U+FFFD for bad bytes);
 * map keys that are not strings are written as their JSON text; extension values as
 * {@code {"ext":TYPE,"data":"BASE64"}}. Stateless; thread-safe.
 */
public final class RecordJson {
    private RecordJson() {}

    public static void write(MessageUnpacker in, JsonGenerator out) throws IOException {
        MessageFormat format = in.getNextFormat();
        switch (format.getValueType()) {
            case NIL -> {
                in.unpackNil();
                out.writeNull();
            }
            case BOOLEAN -> out.writeBoolean(in.unpackBoolean());
            case INTEGER -> {
                if (format == MessageFormat.UINT64) {
                    BigInteger big = in.unpackBigInteger();
                    out.writeNumber(big);
                } else {
                    out.writeNumber(in.unpackLong());
                }
            }
            case FLOAT -> out.writeNumber(in.unpackDouble());
            case STRING, BINARY -> out.writeString(readText(in));
            case ARRAY -> {
                int n = in.unpackArrayHeader();
                out.writeStartArray();
                for (int i = 0; i < n; i++) {
                    write(in, out);
                }
                out.writeEndArray();
            }
            case MAP -> {
                int n = in.unpackMapHeader();
                out.writeStartObject();
                for (int i = 0; i < n; i++) {
                    MessageFormat keyFormat = in.getNextFormat();
                    switch (keyFormat.getValueType()) {
                        case STRING, BINARY -> out.writeFieldName(readText(in));
                        default -> out.writeFieldName(in.unpackValue().toJson());
                    }
                    write(in, out);
                }
                out.writeEndObject();
            }
            case EXTENSION -> {
                ExtensionTypeHeader h = in.unpackExtensionTypeHeader();
                byte[] data = in.readPayload(h.getLength());
                out.writeStartObject();
                out.writeNumberField("ext", h.getType());
                out.writeStringField("data", Base64.getEncoder().encodeToString(data));
                out.writeEndObject();
            }
            default -> throw new IOException("msgpack value: " + format + " (expected: a known type)");
        }
    }

    private static String readText(MessageUnpacker in) throws IOException {
        int length = in.getNextFormat().getValueType() == ValueType.STRING
                ? in.unpackRawStringHeader()
                : in.unpackBinaryHeader();
        return new String(in.readPayload(length), StandardCharsets.UTF_8);
    }
}
