package org.kinesisaggregator.server.testing;

import com.github.luben.zstd.Zstd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Test-side msgpack encoding of forward-protocol messages, for what no real client sends
 * (compressed entries, Fluent Bit metadata entries, malformed input) and for codec tests.
 * Values: String (str), byte[] (bin), Integer/Long (int), Double (float64), Float (float32),
 * Boolean, null, Map, List, {@link Time} (EventTime), {@link Ext}, {@link Raw} (bytes as given),
 * {@link Str} (str with raw bytes, e.g. invalid UTF-8).
 */
public final class Mp {
    private Mp() {}

    /** An EventTime value. */
    public record Time(long seconds, int nanos) {}

    /** An ext value. */
    public record Ext(int type, byte[] data) {}

    /** Bytes inserted as they are. */
    public record Raw(byte[] bytes) {}

    /** A str with these exact bytes. */
    public record Str(byte[] bytes) {}

    public static byte[] pack(Object... values) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            for (Object v : values) {
                write(p, v);
            }
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Entries: {@code [time, record]} arrays back to back; args alternate time, record. */
    public static byte[] entries(Object... timeRecordPairs) {
        List<Object> values = new ArrayList<>();
        for (int i = 0; i < timeRecordPairs.length; i += 2) {
            values.add(Arrays.asList(timeRecordPairs[i], timeRecordPairs[i + 1]));
        }
        return pack(values.toArray());
    }

    public static byte[] message(String tag, Object time, Object record, Map<String, ?> option) {
        return option == null ? pack(Arrays.asList(tag, time, record)) : pack(Arrays.asList(tag, time, record, option));
    }

    public static byte[] forward(String tag, List<?> entries, Map<String, ?> option) {
        return option == null ? pack(Arrays.asList(tag, entries)) : pack(Arrays.asList(tag, entries, option));
    }

    /** PackedForward with bin entries. */
    public static byte[] packed(String tag, byte[] entries, Map<String, ?> option) {
        return option == null ? pack(Arrays.asList(tag, entries)) : pack(Arrays.asList(tag, entries, option));
    }

    /** PackedForward with str32 entries, exactly as out_forward writes it. */
    public static byte[] packedStr32(String tag, byte[] entries, Map<String, ?> option) {
        byte[] header = {
            (byte) 0xdb,
            (byte) (entries.length >>> 24),
            (byte) (entries.length >>> 16),
            (byte) (entries.length >>> 8),
            (byte) entries.length
        };
        return concat(new byte[] {(byte) 0x93}, pack(tag), header, entries, pack(option));
    }

    public static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    public static byte[] gzip(byte[]... members) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] member : members) {
            try (GZIPOutputStream gz = new GZIPOutputStream(out) {
                @Override
                public void close() throws IOException {
                    finish();
                }
            }) {
                gz.write(member);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out.toByteArray();
    }

    public static byte[] zstd(byte[]... frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] frame : frames) {
            out.writeBytes(Zstd.compress(frame, 3));
        }
        return out.toByteArray();
    }

    private static void write(MessageBufferPacker p, Object v) throws IOException {
        if (v == null) {
            p.packNil();
        } else if (v instanceof String s) {
            p.packString(s);
        } else if (v instanceof Str s) {
            p.packRawStringHeader(s.bytes().length);
            p.writePayload(s.bytes());
        } else if (v instanceof byte[] b) {
            p.packBinaryHeader(b.length);
            p.writePayload(b);
        } else if (v instanceof Integer || v instanceof Long) {
            p.packLong(((Number) v).longValue());
        } else if (v instanceof Double d) {
            p.packDouble(d);
        } else if (v instanceof Float f) {
            p.packFloat(f);
        } else if (v instanceof Boolean b) {
            p.packBoolean(b);
        } else if (v instanceof Time t) {
            p.packExtensionTypeHeader((byte) 0, 8);
            p.writePayload(new byte[] {
                (byte) (t.seconds() >>> 24),
                (byte) (t.seconds() >>> 16),
                (byte) (t.seconds() >>> 8),
                (byte) t.seconds(),
                (byte) (t.nanos() >>> 24),
                (byte) (t.nanos() >>> 16),
                (byte) (t.nanos() >>> 8),
                (byte) t.nanos()
            });
        } else if (v instanceof Ext e) {
            p.packExtensionTypeHeader((byte) e.type(), e.data().length);
            p.writePayload(e.data());
        } else if (v instanceof Raw r) {
            p.writePayload(r.bytes());
        } else if (v instanceof Map<?, ?> m) {
            p.packMapHeader(m.size());
            for (Map.Entry<?, ?> e : m.entrySet()) {
                write(p, e.getKey());
                write(p, e.getValue());
            }
        } else if (v instanceof List<?> l) {
            p.packArrayHeader(l.size());
            for (Object o : l) {
                write(p, o);
            }
        } else {
            throw new IllegalArgumentException(v.getClass().toString());
        }
    }
}
