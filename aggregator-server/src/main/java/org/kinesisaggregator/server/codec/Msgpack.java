package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;

/**
 * msgpack format bytes and header reading over a {@link ByteBuf} at absolute indexes, without
 * moving reader or writer indexes and without allocating. Stateless.
 */
final class Msgpack {
    static final int NIL = 0xc0;
    static final int NEVER_USED = 0xc1;
    static final int FALSE = 0xc2;
    static final int TRUE = 0xc3;
    static final int BIN8 = 0xc4;
    static final int BIN16 = 0xc5;
    static final int BIN32 = 0xc6;
    static final int EXT8 = 0xc7;
    static final int EXT16 = 0xc8;
    static final int EXT32 = 0xc9;
    static final int FLOAT32 = 0xca;
    static final int FLOAT64 = 0xcb;
    static final int UINT8 = 0xcc;
    static final int UINT16 = 0xcd;
    static final int UINT32 = 0xce;
    static final int UINT64 = 0xcf;
    static final int INT8 = 0xd0;
    static final int INT16 = 0xd1;
    static final int INT32 = 0xd2;
    static final int INT64 = 0xd3;
    static final int FIXEXT1 = 0xd4;
    static final int FIXEXT2 = 0xd5;
    static final int FIXEXT4 = 0xd6;
    static final int FIXEXT8 = 0xd7;
    static final int FIXEXT16 = 0xd8;
    static final int STR8 = 0xd9;
    static final int STR16 = 0xda;
    static final int STR32 = 0xdb;
    static final int ARRAY16 = 0xdc;
    static final int ARRAY32 = 0xdd;
    static final int MAP16 = 0xde;
    static final int MAP32 = 0xdf;

    /** Marker returned by the length readers when the header is not complete yet. */
    static final long INCOMPLETE = -1;

    private Msgpack() {}

    static boolean isArray(int b) {
        return (b & 0xf0) == 0x90 || b == ARRAY16 || b == ARRAY32;
    }

    static boolean isMap(int b) {
        return (b & 0xf0) == 0x80 || b == MAP16 || b == MAP32;
    }

    static boolean isStr(int b) {
        return (b & 0xe0) == 0xa0 || b == STR8 || b == STR16 || b == STR32;
    }

    static boolean isBin(int b) {
        return b == BIN8 || b == BIN16 || b == BIN32;
    }

    static boolean isInt(int b) {
        return b <= 0x7f || b >= 0xe0 || (b >= UINT8 && b <= INT64);
    }

    static boolean isFloat(int b) {
        return b == FLOAT32 || b == FLOAT64;
    }

    static boolean isExt(int b) {
        return (b >= FIXEXT1 && b <= FIXEXT16) || b == EXT8 || b == EXT16 || b == EXT32;
    }

    /** A short name of the type a format byte starts, for error messages. */
    static String typeName(int b) {
        if (isInt(b)) {
            return "int";
        } else if (isStr(b)) {
            return "str";
        } else if (isMap(b)) {
            return "map";
        } else if (isArray(b)) {
            return "array";
        } else if (isBin(b)) {
            return "bin";
        } else if (isFloat(b)) {
            return "float";
        } else if (isExt(b)) {
            return "ext";
        } else if (b == NIL) {
            return "nil";
        } else if (b == TRUE || b == FALSE) {
            return "bool";
        }
        return String.format("never-used byte 0x%02x", b);
    }

    /**
     * Length of the header that format byte {@code b} starts (the format byte included; for ext the
     * type byte included), or -1 for the never-used byte.
     */
    static int headerLength(int b) {
        if (b <= 0x7f || b >= 0xe0 || (b & 0xe0) == 0xa0 || (b & 0xf0) == 0x80 || (b & 0xf0) == 0x90) {
            return 1;
        }
        switch (b) {
            case NIL, FALSE, TRUE:
                return 1;
            case BIN8, STR8, UINT8, INT8, FIXEXT1, FIXEXT2, FIXEXT4, FIXEXT8, FIXEXT16:
                return 2;
            case BIN16, STR16, UINT16, INT16, ARRAY16, MAP16:
                return 3;
            case EXT8:
                return 3;
            case EXT16:
                return 4;
            case BIN32, STR32, UINT32, INT32, ARRAY32, MAP32, FLOAT32:
                return 5;
            case EXT32:
                return 6;
            case FLOAT64, UINT64, INT64:
                return 9;
            default:
                return -1;
        }
    }

    /**
     * Payload bytes that follow the header (str/bin/ext data, or the fixed bytes of numbers are part
     * of the header) for a value whose complete header is at {@code index}. 0 for values without one.
     */
    static long payloadLength(ByteBuf buf, int index, int b) {
        if ((b & 0xe0) == 0xa0) {
            return b & 0x1f;
        }
        switch (b) {
            case BIN8, STR8, EXT8:
                return buf.getUnsignedByte(index + 1);
            case BIN16, STR16, EXT16:
                return buf.getUnsignedShort(index + 1);
            case BIN32, STR32, EXT32:
                return buf.getUnsignedInt(index + 1);
            case FIXEXT1:
                return 1;
            case FIXEXT2:
                return 2;
            case FIXEXT4:
                return 4;
            case FIXEXT8:
                return 8;
            case FIXEXT16:
                return 16;
            default:
                return 0;
        }
    }

    /** Element count of an array header at {@code index} (complete), or -1 when {@code b} is no array. */
    static long arrayCount(ByteBuf buf, int index, int b) {
        if ((b & 0xf0) == 0x90) {
            return b & 0x0f;
        } else if (b == ARRAY16) {
            return buf.getUnsignedShort(index + 1);
        } else if (b == ARRAY32) {
            return buf.getUnsignedInt(index + 1);
        }
        return -1;
    }

    /** Pair count of a map header at {@code index} (complete), or -1 when {@code b} is no map. */
    static long mapCount(ByteBuf buf, int index, int b) {
        if ((b & 0xf0) == 0x80) {
            return b & 0x0f;
        } else if (b == MAP16) {
            return buf.getUnsignedShort(index + 1);
        } else if (b == MAP32) {
            return buf.getUnsignedInt(index + 1);
        }
        return -1;
    }

    /** The ext type byte of an ext header at {@code index} (complete). */
    static byte extType(ByteBuf buf, int index, int b) {
        return buf.getByte(index + headerLength(b) - 1);
    }

    /** Writes a map header for {@code count} pairs. */
    static void writeMapHeader(ByteBuf out, long count) {
        if (count < 16) {
            out.writeByte(0x80 | (int) count);
        } else if (count < 65536) {
            out.writeByte(MAP16);
            out.writeShort((int) count);
        } else {
            out.writeByte(MAP32);
            out.writeInt((int) count);
        }
    }

    /** Writes a str header for {@code length} bytes. */
    static void writeStrHeader(ByteBuf out, int length) {
        if (length < 32) {
            out.writeByte(0xa0 | length);
        } else if (length < 256) {
            out.writeByte(STR8);
            out.writeByte(length);
        } else if (length < 65536) {
            out.writeByte(STR16);
            out.writeShort(length);
        } else {
            out.writeByte(STR32);
            out.writeInt(length);
        }
    }

    /** Writes an EventTime: fixext8, type 0, u32 seconds, u32 nanoseconds. */
    static void writeEventTime(ByteBuf out, long epochSecond, int nanos) {
        out.writeByte(FIXEXT8);
        out.writeByte(0);
        out.writeInt((int) epochSecond);
        out.writeInt(nanos);
    }

    static void writeArrayHeader(ByteBuf out, long count) {
        if (count < 16) {
            out.writeByte(0x90 | (int) count);
        } else if (count < 65536) {
            out.writeByte(ARRAY16);
            out.writeShort((int) count);
        } else {
            out.writeByte(ARRAY32);
            out.writeInt((int) count);
        }
    }

    static void writeLong(ByteBuf out, long v) {
        if (v >= 0 && v <= 0x7f || v >= -32 && v < 0) {
            out.writeByte((int) v);
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            out.writeByte(INT32);
            out.writeInt((int) v);
        } else {
            out.writeByte(INT64);
            out.writeLong(v);
        }
    }

    static void writeDouble(ByteBuf out, double v) {
        out.writeByte(FLOAT64);
        out.writeDouble(v);
    }

    /** Reads the integer at {@code index} (complete; {@code b} its format byte), as a long. */
    static long readLong(ByteBuf buf, int index, int b) {
        if (b <= 0x7f) {
            return b;
        } else if (b >= 0xe0) {
            return (byte) b;
        }
        return switch (b) {
            case UINT8 -> buf.getUnsignedByte(index + 1);
            case UINT16 -> buf.getUnsignedShort(index + 1);
            case UINT32 -> buf.getUnsignedInt(index + 1);
            case UINT64, INT64 -> buf.getLong(index + 1);
            case INT8 -> buf.getByte(index + 1);
            case INT16 -> buf.getShort(index + 1);
            case INT32 -> buf.getInt(index + 1);
            default -> throw new IllegalArgumentException("not an int: " + b);
        };
    }
}
