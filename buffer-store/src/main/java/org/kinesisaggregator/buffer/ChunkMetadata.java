package org.kinesisaggregator.buffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The chunk-key values every event of a chunk shares, besides its tag (Fluentd's
 * {@code Metadata#variables}): for {@code <buffer $.kubernetes.annotations.stream, level>} a
 * chunk's metadata is e.g. {@code {"$.kubernetes.annotations.stream": "app", "level": "info"}}.
 * The buffer stages one chunk per (tag when chunked by tag, metadata), stores the metadata in the
 * chunk file's header, recovers it and gives it to the output with the chunk ({@link Chunk#metadata()}),
 * which resolves its placeholders ({@code ${$.a.b}}, {@code ${key}}) from it. A record without the
 * key has the value {@code ""} (Fluentd's nil, which its placeholders also make empty).
 *
 * <p>Opaque to buffer-store otherwise: it never reads records. Names sort, so that equal key values
 * make equal metadata whatever order they were put in ({@link #equals} and {@link #encode()} are
 * canonical).
 *
 * <p><b>Encoding</b> (in the chunk header, frozen with the chunk format version):
 * {@code u16 count | count × (u16 name length | name UTF-8 | u32 value length | value UTF-8)},
 * big-endian, names in sorted order; {@link #MAX_ENCODED_BYTES} at most.
 *
 * <p><b>Time slice.</b> With the {@code time} chunk key (outputs other than out_file, which slices
 * itself), the start of the chunk's {@code timekey} slice (Fluentd's {@code Metadata#timekey}) is
 * the entry named {@link #TIMEKEY}: a name no record key can have (it starts with U+0000), its value
 * the slice start in epoch seconds, decimal. It travels in the same encoding as the record keys, so
 * chunk files with a time slice are still format version 3, and a chunk of an older version simply
 * has none.
 *
 * <p>Immutable; thread-safe.
 *
 * @param variables key name (as written in {@code <buffer>}) → value
 */
public record ChunkMetadata(SortedMap<String, String> variables) {

    /** No chunk keys besides tag and time: what every chunk of older versions carries. */
    public static final ChunkMetadata NONE = new ChunkMetadata(new TreeMap<>());

    /** The most bytes an encoded metadata may take (a header stays small). */
    public static final int MAX_ENCODED_BYTES = 64 * 1024;

    public ChunkMetadata {
        Objects.requireNonNull(variables, "variables");
        TreeMap<String, String> copy = new TreeMap<>();
        for (Map.Entry<String, String> e : variables.entrySet()) {
            copy.put(Objects.requireNonNull(e.getKey(), "name"), Objects.requireNonNull(e.getValue(), "value"));
        }
        variables = Collections.unmodifiableSortedMap(copy);
    }

    /**
     * The entry that holds the time slice start (see the class comment): U+0000 cannot start a
     * chunk key written in {@code <buffer>}, so it never meets a record key's value.
     */
    public static final String TIMEKEY = "\u0000timekey";

    /** The metadata of these values. */
    public static ChunkMetadata of(Map<String, String> variables) {
        return variables.isEmpty() ? NONE : new ChunkMetadata(new TreeMap<>(variables));
    }

    /** True when there are no variables. */
    public boolean isEmpty() {
        return variables.isEmpty();
    }

    /** The value of chunk key {@code name}, or null when the chunk has no such key. */
    public String get(String name) {
        return variables.get(name);
    }

    /**
     * The start of the chunk's time slice, epoch seconds, or null when the chunk is not sliced by time.
     *
     * @throws IllegalArgumentException when the entry is not a decimal number (a corrupt header)
     */
    public Long timekey() {
        String v = variables.get(TIMEKEY);
        if (v == null) {
            return null;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("chunk metadata: time slice \"" + v + "\" (expected: epoch seconds)");
        }
    }

    /** This metadata with the time slice starting at {@code sliceStart} (epoch seconds). */
    public ChunkMetadata withTimekey(long sliceStart) {
        TreeMap<String, String> vars = new TreeMap<>(variables);
        vars.put(TIMEKEY, Long.toString(sliceStart));
        return new ChunkMetadata(vars);
    }

    /**
     * The canonical encoding (see the class comment).
     *
     * @throws IllegalArgumentException when it would exceed {@link #MAX_ENCODED_BYTES}
     */
    public byte[] encode() {
        int size = 2;
        byte[][] parts = new byte[variables.size() * 2][];
        int i = 0;
        for (Map.Entry<String, String> e : variables.entrySet()) {
            parts[i] = e.getKey().getBytes(StandardCharsets.UTF_8);
            parts[i + 1] = e.getValue().getBytes(StandardCharsets.UTF_8);
            if (parts[i].length > 0xFFFF) {
                throw new IllegalArgumentException(
                        "chunk key name: " + parts[i].length + " bytes (expected: <= " + 0xFFFF + ")");
            }
            size += 2 + parts[i].length + 4 + parts[i + 1].length;
            if (size > MAX_ENCODED_BYTES) {
                throw new IllegalArgumentException("chunk key values: more than " + MAX_ENCODED_BYTES
                        + " bytes together (expected: shorter values of the <buffer> keys)");
            }
            i += 2;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.BIG_ENDIAN);
        b.putShort((short) variables.size());
        for (int j = 0; j < parts.length; j += 2) {
            b.putShort((short) parts[j].length).put(parts[j]);
            b.putInt(parts[j + 1].length).put(parts[j + 1]);
        }
        return b.array();
    }

    /**
     * Decodes what {@link #encode()} wrote.
     *
     * @throws IllegalArgumentException when the bytes are not an encoding
     */
    public static ChunkMetadata decode(ByteBuffer bytes) {
        ByteBuffer b = bytes.duplicate().order(ByteOrder.BIG_ENDIAN);
        try {
            int count = Short.toUnsignedInt(b.getShort());
            TreeMap<String, String> vars = new TreeMap<>();
            for (int i = 0; i < count; i++) {
                byte[] name = new byte[Short.toUnsignedInt(b.getShort())];
                b.get(name);
                int valueLength = b.getInt();
                if (valueLength < 0 || valueLength > b.remaining()) {
                    throw new IllegalArgumentException(
                            "chunk metadata: value length " + valueLength + " (expected: <= " + b.remaining() + ")");
                }
                byte[] value = new byte[valueLength];
                b.get(value);
                vars.put(new String(name, StandardCharsets.UTF_8), new String(value, StandardCharsets.UTF_8));
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(
                        "chunk metadata: " + b.remaining() + " bytes after " + count + " values (expected: 0)");
            }
            return vars.isEmpty() ? NONE : new ChunkMetadata(vars);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("chunk metadata: ends inside a value (expected: whole values)");
        }
    }

    /** For logs: {@code {name=value, ...}}, the time slice as {@code timekey=EPOCH_SECONDS}. */
    @Override
    public String toString() {
        if (!variables.containsKey(TIMEKEY)) {
            return variables.toString();
        }
        TreeMap<String, String> shown = new TreeMap<>(variables);
        shown.put("timekey", shown.remove(TIMEKEY));
        return shown.toString();
    }
}
