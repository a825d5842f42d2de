package org.kinesisaggregator.kinesis.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.msgpack.core.ExtensionTypeHeader;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.core.buffer.ArrayBufferInput;
import org.msgpack.value.ValueType;

/**
 * Turns buffered events (msgpack records) into bytes per {@link FormatSettings}: the one event
 * format of every output that formats (file, stdout, the Kinesis types) and of {@code tail}.
 * docs/configuration.md ("Event values") documents the mapping below for users; keep them together.
 *
 * <p><b>The value mapping.</b> Every format sees a record's values the same way:
 * <ul>
 *   <li>str: its text; invalid UTF-8 sequences become U+FFFD (the sender declared text; a damaged
 *       byte is shown, not hidden).
 *   <li>bin: its text when the bytes are valid UTF-8 (Fluentd forwarders send Ruby's binary strings,
 *       e.g. in_tail lines, as msgpack bin), otherwise standard padded base64 of the bytes.
 *   <li>integers (uint64 included), booleans and nil as themselves; float32/float64 as numbers
 *       (float32 in its shortest form), NaN and infinities as null (JSON has none).
 *   <li>ext: Fluentd's EventTime (type 0) as its integer seconds, as Fluentd's {@code to_json}
 *       does; any other ext as base64 of its payload.
 *   <li>map keys that are not strings: their JSON text ({@code 1}, {@code true}, {@code ""} for nil).
 * </ul>
 * Nesting deeper than {@value #MAX_DEPTH} is refused (the event is rejected).
 *
 * <p><b>json</b> writes that mapping with Jackson's streaming generator straight from msgpack (no
 * object tree); <b>hash</b> writes it in Ruby's {@code Hash#inspect} syntax ({@code nil},
 * {@code =>}; non-string keys as values). <b>Text</b> (single_value, data_key, ltsv keys and values)
 * is str and bin as their bytes as-is, numbers and booleans as digits and words (NaN, Infinity),
 * EventTime as its seconds, other ext as base64, nil as nothing, maps and arrays as JSON.
 * <b>msgpack</b> sends the record as buffered (rebuilt only to inject keys). <b>out_file</b> and
 * <b>stdout</b> put the formatter's time and the tag in front of a json (stdout: json, hash, ltsv
 * or single_value) record.
 *
 * <p>The formatter itself is immutable and thread-safe; all work happens in a {@link Workspace},
 * which is not thread-safe: one per writing thread.
 */
public final class EventFormatter {
    /** Deepest map/array nesting accepted in a record. */
    public static final int MAX_DEPTH = 256;

    private static final JsonFactory JSON =
            JsonFactory.builder().disable(StreamWriteFeature.AUTO_CLOSE_TARGET).build();

    private final FormatSettings settings;
    private final byte[][] injectedKeys;
    private final byte[] messageKey;
    private final byte[] dataKey;
    private final byte[] delimiter;
    private final byte[] labelDelimiter;

    public EventFormatter(FormatSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        byte[][] keys = new byte[3][];
        keys[INJECT_HOSTNAME] = utf8(settings.hostnameKey());
        keys[INJECT_TAG] = utf8(settings.tagKey());
        keys[INJECT_TIME] = utf8(settings.timeKey());
        this.injectedKeys = keys;
        this.messageKey = utf8(settings.messageKey());
        this.dataKey = utf8(settings.dataKey());
        this.delimiter = utf8(settings.layout().delimiter());
        this.labelDelimiter = utf8(settings.layout().labelDelimiter());
    }

    private static final int NAME_CACHE_SLOTS = 512;

    // Injection order is Fluentd's (inject.rb): hostname, tag, time.
    private static final int INJECT_HOSTNAME = 0;
    private static final int INJECT_TAG = 1;
    private static final int INJECT_TIME = 2;

    public FormatSettings settings() {
        return settings;
    }

    /** A new workspace for one thread. */
    public Workspace newWorkspace() {
        return new Workspace();
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * One thread's buffers: load an event's record, read fields of it, format it. The formatted bytes
     * are valid until the next {@link #format}. Not thread-safe.
     */
    public final class Workspace {
        private byte[] record = new byte[4096];
        private int recordLength;
        private final ArrayBufferInput input = new ArrayBufferInput(new byte[0]);
        private final MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(input);
        private final GrowableBytes out = new GrowableBytes(4096);
        private final GrowableBytes compressed = new GrowableBytes(1024);
        private final MessagePacker packer = MessagePack.newDefaultPacker(out);
        private final StrftimeFormatter timeFormatter =
                StrftimeFormatter.of(settings.timeFormat(), settings.timeZone());
        private final StrftimeFormatter prefixTimeFormatter = StrftimeFormatter.of(
                settings.layout().effectiveTimeFormat(settings.format()),
                settings.layout().timeZone());
        private byte[] injectedRecord = new byte[0];
        private final Deflater deflater = settings.compression() == FormatSettings.Compression.NONE
                ? null
                : new Deflater(Deflater.DEFAULT_COMPRESSION, settings.compression() == FormatSettings.Compression.GZIP);
        private final CRC32 crc = new CRC32();
        private final byte[] deflateChunk = new byte[8192];
        private JsonGenerator json;
        private GrowableBytes result = out;
        // Field names repeat from event to event: keep their quoted UTF-8 form (direct-mapped cache).
        private final byte[][] nameKeys = new byte[NAME_CACHE_SLOTS][];
        private final SerializedString[] names = new SerializedString[NAME_CACHE_SLOTS];

        private Workspace() {
            json = newGenerator();
        }

        /** Copies {@code recordBytes} (one msgpack map, e.g. {@code EventCursor.record()}) in. */
        public void load(ByteBuffer recordBytes) {
            int length = recordBytes.remaining();
            if (length > record.length) {
                record = new byte[Math.max(length, record.length * 2)];
            }
            recordBytes.duplicate().get(record, 0, length);
            recordLength = length;
        }

        /** Loads a record from an array (tests, benchmarks). */
        public void load(byte[] recordBytes, int offset, int length) {
            load(ByteBuffer.wrap(recordBytes, offset, length));
        }

        /**
         * The loaded record's top-level field {@code keyUtf8} as text (str/bin decoded as UTF-8,
         * numbers and booleans as text, maps and arrays as JSON), or null when absent or nil.
         */
        public String field(byte[] keyUtf8) throws EventFormatException {
            try {
                if (!seekField(keyUtf8)) {
                    return null;
                }
                MessageFormat format = unpacker.getNextFormat();
                return switch (format.getValueType()) {
                    case NIL -> null;
                    case STRING, BINARY -> {
                        int length = format.getValueType() == ValueType.STRING
                                ? unpacker.unpackRawStringHeader()
                                : unpacker.unpackBinaryHeader();
                        int at = position();
                        unpacker.readPayloadAsReference(length);
                        yield new String(record, at, length, StandardCharsets.UTF_8);
                    }
                    default -> {
                        out.reset();
                        writeScalarOrJson();
                        yield new String(out.array(), 0, out.length(), StandardCharsets.UTF_8);
                    }
                };
            } catch (IOException | RuntimeException e) {
                resetAfterError();
                throw new EventFormatException(
                        "record: unreadable msgpack while reading field " + new String(keyUtf8, StandardCharsets.UTF_8)
                                + " (" + e.getMessage() + ")",
                        e);
            }
        }

        /**
         * Formats the loaded record of an event with this tag and time. Afterwards {@link #array()}
         * holds {@link #length()} bytes of user record data.
         */
        public void format(String tag, long epochSecond, int nanos) throws EventFormatException {
            out.reset();
            result = out;
            try {
                resetInput();
                if (unpacker.getNextFormat().getValueType() != ValueType.MAP) {
                    throw new EventFormatException(
                            "record: " + unpacker.getNextFormat() + " (expected: a msgpack map)");
                }
                if (settings.dataKey() != null) {
                    if (!seekField(dataKey)) {
                        throw new EventFormatException("data_key " + settings.dataKey()
                                + ": missing in the record (expected: a field to send)");
                    }
                    if (unpacker.getNextFormat().getValueType() == ValueType.NIL) {
                        throw new EventFormatException(
                                "data_key " + settings.dataKey() + ": nil in the record (expected: a value to send)");
                    }
                    writeRawField();
                } else {
                    switch (settings.format()) {
                        case JSON -> {
                            writeJsonRecord(tag, epochSecond, nanos);
                            json.flush();
                            newline();
                        }
                        case MSGPACK -> writeMsgpackRecord(tag, epochSecond, nanos);
                        case SINGLE_VALUE, LTSV, HASH -> {
                            writeWithInjected(settings.format(), tag, epochSecond, nanos);
                            newline();
                        }
                        case OUT_FILE -> {
                            FormatSettings.Layout layout = settings.layout();
                            if (layout.outputTime()) {
                                text(prefixTimeFormatter.format(epochSecond, nanos));
                                out.write(delimiter, 0, delimiter.length);
                            }
                            if (layout.outputTag()) {
                                text(tag);
                                out.write(delimiter, 0, delimiter.length);
                            }
                            resetInput();
                            writeJsonRecord(tag, epochSecond, nanos);
                            json.flush();
                            newline();
                        }
                        case STDOUT -> {
                            FormatSettings.Format body = settings.layout().outputType();
                            if (body == FormatSettings.Format.JSON) {
                                writeStdoutPrefix(tag, epochSecond, nanos);
                                resetInput();
                                writeJsonRecord(tag, epochSecond, nanos);
                                json.flush();
                            } else {
                                writeWithInjected(body, tag, epochSecond, nanos);
                            }
                            newline();
                        }
                    }
                }
                if (deflater != null) {
                    compress();
                }
            } catch (EventFormatException e) {
                resetAfterError();
                throw e;
            } catch (IOException | RuntimeException e) {
                resetAfterError();
                throw new EventFormatException("record: unreadable msgpack (" + e.getMessage() + ")", e);
            }
        }

        /** The formatted bytes (valid up to {@link #length()}). */
        public byte[] array() {
            return result.array();
        }

        /** How many formatted bytes {@link #array()} holds. */
        public int length() {
            return result.length();
        }

        /** A copy of the formatted bytes. */
        public byte[] toByteArray() {
            return result.toByteArray();
        }

        private JsonGenerator newGenerator() {
            try {
                JsonGenerator generator = JSON.createGenerator(out);
                generator.setRootValueSeparator(null);
                return generator;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a JSON generator over memory", e);
            }
        }

        private void resetAfterError() {
            json = newGenerator();
            out.reset();
            result = out;
        }

        private void resetInput() throws IOException {
            input.reset(record, 0, recordLength);
            unpacker.reset(input);
        }

        private int position() {
            return (int) unpacker.getTotalReadBytes();
        }

        private void newline() {
            if (settings.appendNewline()) {
                out.write('\n');
            }
        }

        /** Positions the unpacker on the value of top-level key {@code key}; false when absent. */
        private boolean seekField(byte[] key) throws IOException {
            resetInput();
            if (unpacker.getNextFormat().getValueType() != ValueType.MAP) {
                return false;
            }
            int entries = unpacker.unpackMapHeader();
            for (int i = 0; i < entries; i++) {
                if (keyEquals(key)) {
                    return true;
                }
                unpacker.skipValue();
            }
            return false;
        }

        /** Reads the next key; true when it is a str/bin equal to {@code key}. */
        private boolean keyEquals(byte[] key) throws IOException {
            ValueType type = unpacker.getNextFormat().getValueType();
            if (type != ValueType.STRING && type != ValueType.BINARY) {
                unpacker.skipValue();
                return false;
            }
            int length = type == ValueType.STRING ? unpacker.unpackRawStringHeader() : unpacker.unpackBinaryHeader();
            int at = position();
            unpacker.readPayloadAsReference(length);
            return length == key.length && Arrays.equals(record, at, at + length, key, 0, length);
        }

        /** Index of the injected key equal to record[at, at + length), or -1. */
        private int injectedKeyIndex(int at, int length) {
            for (int i = 0; i < injectedKeys.length; i++) {
                byte[] key = injectedKeys[i];
                if (key != null && key.length == length && Arrays.equals(record, at, at + length, key, 0, length)) {
                    return i;
                }
            }
            return -1;
        }

        private void text(String value) {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            out.write(bytes, 0, bytes.length);
        }

        private void writeStdoutPrefix(String tag, long epochSecond, int nanos) {
            text(prefixTimeFormatter.format(epochSecond, nanos));
            out.write(' ');
            text(tag);
            out.write(':');
            out.write(' ');
        }

        /**
         * Writes a single_value, ltsv or hash body of the record with the injected keys in it (the
         * record rebuilt as msgpack first, as Fluentd injects before it formats); stdout's prefix
         * first when the type is stdout.
         */
        private void writeWithInjected(FormatSettings.Format body, String tag, long epochSecond, int nanos)
                throws IOException, EventFormatException {
            byte[] original = record;
            int originalLength = recordLength;
            if (settings.injects()) {
                writeMsgpackRecord(tag, epochSecond, nanos);
                if (injectedRecord.length < out.length()) {
                    injectedRecord = new byte[Math.max(out.length(), injectedRecord.length * 2)];
                }
                System.arraycopy(out.array(), 0, injectedRecord, 0, out.length());
                record = injectedRecord;
                recordLength = out.length();
                out.reset();
            }
            try {
                if (settings.format() == FormatSettings.Format.STDOUT) {
                    writeStdoutPrefix(tag, epochSecond, nanos);
                }
                switch (body) {
                    case SINGLE_VALUE -> {
                        if (seekField(messageKey) && unpacker.getNextFormat().getValueType() != ValueType.NIL) {
                            writeRawField();
                        }
                    }
                    case LTSV -> writeLtsv();
                    case HASH -> {
                        resetInput();
                        StringBuilder inspected = new StringBuilder(recordLength * 2);
                        writeHashValue(inspected, 0);
                        text(inspected.toString());
                    }
                    default -> throw new IllegalStateException("not a text body: " + body);
                }
            } finally {
                record = original;
                recordLength = originalLength;
                resetInput();
            }
        }

        // ---- ltsv

        private void writeLtsv() throws IOException, EventFormatException {
            resetInput();
            int entries = unpacker.unpackMapHeader();
            for (int i = 0; i < entries; i++) {
                if (i > 0) {
                    out.write(delimiter, 0, delimiter.length);
                }
                writeRawField();
                out.write(labelDelimiter, 0, labelDelimiter.length);
                writeRawField();
            }
        }

        // ---- hash (Ruby's Hash#inspect of the mapped values)

        private void writeHashValue(StringBuilder sb, int depth) throws IOException, EventFormatException {
            MessageFormat format = unpacker.getNextFormat();
            switch (format.getValueType()) {
                case NIL -> {
                    unpacker.unpackNil();
                    sb.append("nil");
                }
                case MAP -> {
                    checkDepth(depth);
                    int size = unpacker.unpackMapHeader();
                    sb.append('{');
                    for (int i = 0; i < size; i++) {
                        sb.append(i == 0 ? "" : ", ");
                        writeHashValue(sb, depth + 1);
                        sb.append("=>");
                        writeHashValue(sb, depth + 1);
                    }
                    sb.append('}');
                }
                case ARRAY -> {
                    checkDepth(depth);
                    int size = unpacker.unpackArrayHeader();
                    sb.append('[');
                    for (int i = 0; i < size; i++) {
                        sb.append(i == 0 ? "" : ", ");
                        writeHashValue(sb, depth + 1);
                    }
                    sb.append(']');
                }
                case STRING -> {
                    int length = unpacker.unpackRawStringHeader();
                    int at = position();
                    unpacker.readPayloadAsReference(length);
                    rubyQuote(sb, new String(record, at, length, StandardCharsets.UTF_8));
                }
                case BINARY -> {
                    int length = unpacker.unpackBinaryHeader();
                    int at = position();
                    unpacker.readPayloadAsReference(length);
                    rubyQuote(sb, keyText(ValueType.BINARY, at, length));
                }
                case EXTENSION -> {
                    ExtensionTypeHeader header = unpacker.unpackExtensionTypeHeader();
                    int at = position();
                    unpacker.readPayloadAsReference(header.getLength());
                    if (isEventTime(header)) {
                        sb.append(eventTimeSeconds(at));
                    } else {
                        rubyQuote(sb, base64(at, header.getLength()));
                    }
                }
                case FLOAT -> {
                    String number = floatText(format);
                    sb.append(number.endsWith("NaN") || number.endsWith("Infinity") ? "nil" : number);
                }
                default -> {
                    int mark = out.length();
                    writeScalarOrJson();
                    sb.append(new String(out.array(), mark, out.length() - mark, StandardCharsets.US_ASCII));
                    out.truncate(mark);
                }
            }
        }

        private static void rubyQuote(StringBuilder sb, String s) {
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

        // ---- json

        private void writeJsonRecord(String tag, long epochSecond, int nanos) throws IOException, EventFormatException {
            int entries = unpacker.unpackMapHeader();
            boolean[] injected = new boolean[injectedKeys.length];
            json.writeStartObject();
            for (int i = 0; i < entries; i++) {
                ValueType keyType = unpacker.getNextFormat().getValueType();
                int index = -1;
                if (keyType == ValueType.STRING || keyType == ValueType.BINARY) {
                    int length = keyType == ValueType.STRING
                            ? unpacker.unpackRawStringHeader()
                            : unpacker.unpackBinaryHeader();
                    int at = position();
                    unpacker.readPayloadAsReference(length);
                    index = injectedKeyIndex(at, length);
                    writeFieldName(keyType, at, length);
                } else {
                    json.writeFieldName(nonStringKey());
                }
                if (index >= 0 && !injected[index]) {
                    injected[index] = true;
                    unpacker.skipValue();
                    writeInjectedJson(index, tag, epochSecond, nanos);
                } else {
                    writeJsonValue(1);
                }
            }
            for (int i = 0; i < injectedKeys.length; i++) {
                if (injectedKeys[i] != null && !injected[i]) {
                    json.writeFieldName(injectedName(i));
                    writeInjectedJson(i, tag, epochSecond, nanos);
                }
            }
            json.writeEndObject();
        }

        private String injectedName(int index) {
            return switch (index) {
                case INJECT_HOSTNAME -> settings.hostnameKey();
                case INJECT_TAG -> settings.tagKey();
                default -> settings.timeKey();
            };
        }

        private void writeInjectedJson(int index, String tag, long epochSecond, int nanos) throws IOException {
            switch (index) {
                case INJECT_HOSTNAME -> json.writeString(settings.hostname());
                case INJECT_TAG -> json.writeString(tag);
                default -> {
                    switch (settings.timeType()) {
                        case STRING -> json.writeString(timeFormatter.format(epochSecond, nanos));
                        case UNIXTIME -> json.writeNumber(epochSecond);
                        case FLOAT -> json.writeNumber(floatTime(epochSecond, nanos));
                    }
                }
            }
        }

        /** Writes record[at, at + length) as a field name, through the name cache when it is UTF-8 text. */
        private void writeFieldName(ValueType type, int at, int length) throws IOException {
            if (length > 64 || (type == ValueType.BINARY && !Utf8Check.isValid(record, at, at + length))) {
                json.writeFieldName(keyText(type, at, length));
                return;
            }
            int hash = 0x811c9dc5;
            for (int i = at; i < at + length; i++) {
                hash = (hash ^ record[i]) * 0x01000193;
            }
            int slot = (hash ^ (hash >>> 16)) & (NAME_CACHE_SLOTS - 1);
            byte[] cached = nameKeys[slot];
            if (cached == null
                    || cached.length != length
                    || !Arrays.equals(cached, 0, length, record, at, at + length)) {
                nameKeys[slot] = Arrays.copyOfRange(record, at, at + length);
                names[slot] = new SerializedString(new String(record, at, length, StandardCharsets.UTF_8));
            }
            json.writeFieldName(names[slot]);
        }

        private String keyText(ValueType type, int at, int length) {
            if (type == ValueType.BINARY && !Utf8Check.isValid(record, at, at + length)) {
                return Base64.getEncoder().encodeToString(Arrays.copyOfRange(record, at, at + length));
            }
            return new String(record, at, length, StandardCharsets.UTF_8);
        }

        private String nonStringKey() throws IOException {
            MessageFormat format = unpacker.getNextFormat();
            if (format.getValueType() == ValueType.NIL) {
                unpacker.unpackNil();
                return "";
            }
            return unpacker.unpackValue().toJson();
        }

        private void writeJsonValue(int depth) throws IOException, EventFormatException {
            MessageFormat format = unpacker.getNextFormat();
            switch (format.getValueType()) {
                case NIL -> {
                    unpacker.unpackNil();
                    json.writeNull();
                }
                case BOOLEAN -> json.writeBoolean(unpacker.unpackBoolean());
                case INTEGER -> {
                    if (format == MessageFormat.UINT64) {
                        BigInteger value = unpacker.unpackBigInteger();
                        if (value.bitLength() < 64) {
                            json.writeNumber(value.longValue());
                        } else {
                            json.writeNumber(value);
                        }
                    } else {
                        json.writeNumber(unpacker.unpackLong());
                    }
                }
                case FLOAT -> {
                    if (format == MessageFormat.FLOAT32) {
                        float value = unpacker.unpackFloat();
                        if (Float.isFinite(value)) {
                            json.writeNumber(value);
                        } else {
                            json.writeNull();
                        }
                    } else {
                        double value = unpacker.unpackDouble();
                        if (Double.isFinite(value)) {
                            json.writeNumber(value);
                        } else {
                            json.writeNull();
                        }
                    }
                }
                case STRING -> {
                    int length = unpacker.unpackRawStringHeader();
                    int at = position();
                    unpacker.readPayloadAsReference(length);
                    if (Utf8Check.isValid(record, at, at + length)) {
                        json.writeUTF8String(record, at, length);
                    } else {
                        json.writeString(new String(record, at, length, StandardCharsets.UTF_8));
                    }
                }
                case BINARY -> {
                    int length = unpacker.unpackBinaryHeader();
                    int at = position();
                    unpacker.readPayloadAsReference(length);
                    if (Utf8Check.isValid(record, at, at + length)) {
                        json.writeUTF8String(record, at, length);
                    } else {
                        json.writeString(
                                Base64.getEncoder().encodeToString(Arrays.copyOfRange(record, at, at + length)));
                    }
                }
                case ARRAY -> {
                    checkDepth(depth);
                    int size = unpacker.unpackArrayHeader();
                    json.writeStartArray();
                    for (int i = 0; i < size; i++) {
                        writeJsonValue(depth + 1);
                    }
                    json.writeEndArray();
                }
                case MAP -> {
                    checkDepth(depth);
                    int size = unpacker.unpackMapHeader();
                    json.writeStartObject();
                    for (int i = 0; i < size; i++) {
                        ValueType keyType = unpacker.getNextFormat().getValueType();
                        if (keyType == ValueType.STRING || keyType == ValueType.BINARY) {
                            int length = keyType == ValueType.STRING
                                    ? unpacker.unpackRawStringHeader()
                                    : unpacker.unpackBinaryHeader();
                            int at = position();
                            unpacker.readPayloadAsReference(length);
                            writeFieldName(keyType, at, length);
                        } else {
                            json.writeFieldName(nonStringKey());
                        }
                        writeJsonValue(depth + 1);
                    }
                    json.writeEndObject();
                }
                case EXTENSION -> {
                    ExtensionTypeHeader header = unpacker.unpackExtensionTypeHeader();
                    int at = position();
                    unpacker.readPayloadAsReference(header.getLength());
                    if (isEventTime(header)) {
                        json.writeNumber(eventTimeSeconds(at));
                    } else {
                        json.writeString(base64(at, header.getLength()));
                    }
                }
            }
        }

        private long eventTimeSeconds(int at) {
            return ((record[at] & 0xFFL) << 24)
                    | ((record[at + 1] & 0xFFL) << 16)
                    | ((record[at + 2] & 0xFFL) << 8)
                    | (record[at + 3] & 0xFFL);
        }

        private String base64(int at, int length) {
            return Base64.getEncoder().encodeToString(Arrays.copyOfRange(record, at, at + length));
        }

        private String floatText(MessageFormat format) throws IOException {
            return format == MessageFormat.FLOAT32
                    ? Float.toString(unpacker.unpackFloat())
                    : Double.toString(unpacker.unpackDouble());
        }

        private void checkDepth(int depth) throws EventFormatException {
            if (depth >= MAX_DEPTH) {
                throw new EventFormatException(
                        "record: nesting deeper than " + MAX_DEPTH + " levels (expected: at most " + MAX_DEPTH + ")");
            }
        }

        /** A scalar as text, a map or array as JSON (into {@link #out}). */
        private void writeScalarOrJson() throws IOException, EventFormatException {
            MessageFormat format = unpacker.getNextFormat();
            switch (format.getValueType()) {
                case BOOLEAN -> ascii(unpacker.unpackBoolean() ? "true" : "false");
                case INTEGER ->
                    ascii(
                            format == MessageFormat.UINT64
                                    ? unpacker.unpackBigInteger().toString()
                                    : Long.toString(unpacker.unpackLong()));
                case FLOAT -> ascii(floatText(format));
                case EXTENSION -> {
                    ExtensionTypeHeader header = unpacker.unpackExtensionTypeHeader();
                    int at = position();
                    unpacker.readPayloadAsReference(header.getLength());
                    ascii(isEventTime(header) ? Long.toString(eventTimeSeconds(at)) : base64(at, header.getLength()));
                }
                default -> {
                    writeJsonValue(1);
                    json.flush();
                }
            }
        }

        private void ascii(String text) {
            for (int i = 0; i < text.length(); i++) {
                out.write(text.charAt(i));
            }
        }

        /** The value at the unpacker, as single_value / data_key send it. */
        private void writeRawField() throws IOException, EventFormatException {
            ValueType type = unpacker.getNextFormat().getValueType();
            if (type == ValueType.STRING || type == ValueType.BINARY) {
                int length =
                        type == ValueType.STRING ? unpacker.unpackRawStringHeader() : unpacker.unpackBinaryHeader();
                int at = position();
                unpacker.readPayloadAsReference(length);
                out.write(record, at, length);
            } else if (type == ValueType.NIL) {
                unpacker.unpackNil();
            } else {
                writeScalarOrJson();
            }
        }

        // ---- msgpack

        private void writeMsgpackRecord(String tag, long epochSecond, int nanos) throws IOException {
            if (!settings.injects()) {
                out.write(record, 0, recordLength);
                return;
            }
            int entries = unpacker.unpackMapHeader();
            boolean[] present = new boolean[injectedKeys.length];
            int added = 0;
            for (int i = 0; i < entries; i++) {
                int index = keyIndexAtUnpacker();
                if (index >= 0) {
                    present[index] = true;
                }
                unpacker.skipValue();
            }
            for (int i = 0; i < injectedKeys.length; i++) {
                if (injectedKeys[i] != null && !present[i]) {
                    added++;
                }
            }
            resetInput();
            unpacker.unpackMapHeader();
            packer.clear();
            packer.packMapHeader(entries + added);
            boolean[] injected = new boolean[injectedKeys.length];
            for (int i = 0; i < entries; i++) {
                int keyStart = position();
                int index = keyIndexAtUnpacker();
                int keyEnd = position();
                packer.writePayload(record, keyStart, keyEnd - keyStart);
                int valueStart = position();
                unpacker.skipValue();
                if (index >= 0 && !injected[index]) {
                    injected[index] = true;
                    packInjected(index, tag, epochSecond, nanos);
                } else {
                    packer.writePayload(record, valueStart, position() - valueStart);
                }
            }
            for (int i = 0; i < injectedKeys.length; i++) {
                if (injectedKeys[i] != null && !present[i]) {
                    packer.packString(injectedName(i));
                    packInjected(i, tag, epochSecond, nanos);
                }
            }
            packer.flush();
        }

        private int keyIndexAtUnpacker() throws IOException {
            ValueType type = unpacker.getNextFormat().getValueType();
            if (type != ValueType.STRING && type != ValueType.BINARY) {
                unpacker.skipValue();
                return -1;
            }
            int length = type == ValueType.STRING ? unpacker.unpackRawStringHeader() : unpacker.unpackBinaryHeader();
            int at = position();
            unpacker.readPayloadAsReference(length);
            return injectedKeyIndex(at, length);
        }

        private void packInjected(int index, String tag, long epochSecond, int nanos) throws IOException {
            switch (index) {
                case INJECT_HOSTNAME -> packer.packString(settings.hostname());
                case INJECT_TAG -> packer.packString(tag);
                default -> {
                    switch (settings.timeType()) {
                        case STRING -> packer.packString(timeFormatter.format(epochSecond, nanos));
                        case UNIXTIME -> packer.packLong(epochSecond);
                        case FLOAT -> packer.packDouble(floatTime(epochSecond, nanos));
                    }
                }
            }
        }

        // ---- compression

        private void compress() {
            compressed.reset();
            deflater.reset();
            boolean gzip = settings.compression() == FormatSettings.Compression.GZIP;
            if (gzip) {
                compressed.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff}, 0, 10);
                crc.reset();
                crc.update(out.array(), 0, out.length());
            }
            deflater.setInput(out.array(), 0, out.length());
            deflater.finish();
            while (!deflater.finished()) {
                int n = deflater.deflate(deflateChunk);
                compressed.write(deflateChunk, 0, n);
            }
            if (gzip) {
                writeIntLe(compressed, (int) crc.getValue());
                writeIntLe(compressed, out.length());
            }
            result = compressed;
        }

        private static void writeIntLe(GrowableBytes sink, int value) {
            sink.write(value);
            sink.write(value >>> 8);
            sink.write(value >>> 16);
            sink.write(value >>> 24);
        }
    }

    private static boolean isEventTime(ExtensionTypeHeader header) {
        return header.getType() == 0 && header.getLength() == 8;
    }

    /**
     * {@code data} as JSON by the value mapping above when it is exactly one msgpack map (a record
     * sent with {@code <format> @type msgpack}), else null. For {@code tail}.
     */
    public static String jsonOfMsgpackRecord(byte[] data) {
        try (MessageUnpacker check = MessagePack.newDefaultUnpacker(data)) {
            if (!check.hasNext() || check.getNextFormat().getValueType() != ValueType.MAP) {
                return null;
            }
            check.skipValue();
            if (check.hasNext()) {
                return null;
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        Workspace workspace = new EventFormatter(PLAIN_JSON).newWorkspace();
        workspace.load(data, 0, data.length);
        try {
            workspace.format("", 0, 0);
        } catch (EventFormatException e) {
            return null;
        }
        return new String(workspace.array(), 0, workspace.length(), StandardCharsets.UTF_8);
    }

    private static final FormatSettings PLAIN_JSON =
            FormatSettings.builder().timeZone(ZoneOffset.UTC).build();

    /** Fluentd's float time: {@code time.to_r.truncate(6).to_f}, correctly rounded. */
    static double floatTime(long epochSecond, int nanos) {
        return BigDecimal.valueOf(epochSecond * 1_000_000L + nanos / 1000, 6).doubleValue();
    }
}
