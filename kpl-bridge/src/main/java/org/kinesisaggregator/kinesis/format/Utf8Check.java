package org.kinesisaggregator.kinesis.format;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Strict UTF-8 validation (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
 * Stateless.
 */
final class Utf8Check {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;

    private Utf8Check() {}

    /** True when {@code bytes[from, to)} is well-formed UTF-8. */
    static boolean isValid(byte[] bytes, int from, int to) {
        int i = from;
        while (i < to) {
            // ASCII runs, eight bytes at a time
            while (i + 8 <= to && ((long) LONGS.get(bytes, i) & HIGH_BITS) == 0) {
                i += 8;
            }
            if (i >= to) {
                break;
            }
            int b = bytes[i];
            if (b >= 0) {
                i++;
                continue;
            }
            b &= 0xFF;
            if (b < 0xC2) {
                return false; // continuation byte or overlong 2-byte lead
            }
            if (b < 0xE0) {
                if (i + 1 >= to || !isContinuation(bytes[i + 1])) {
                    return false;
                }
                i += 2;
            } else if (b < 0xF0) {
                if (i + 2 >= to) {
                    return false;
                }
                int b1 = bytes[i + 1] & 0xFF;
                if ((b == 0xE0 && b1 < 0xA0)
                        || (b == 0xED && b1 > 0x9F)
                        || !isContinuation(bytes[i + 1])
                        || !isContinuation(bytes[i + 2])) {
                    return false; // overlong, surrogate, or bad continuation
                }
                i += 3;
            } else if (b < 0xF5) {
                if (i + 3 >= to) {
                    return false;
                }
                int b1 = bytes[i + 1] & 0xFF;
                if ((b == 0xF0 && b1 < 0x90)
                        || (b == 0xF4 && b1 > 0x8F)
                        || !isContinuation(bytes[i + 1])
                        || !isContinuation(bytes[i + 2])
                        || !isContinuation(bytes[i + 3])) {
                    return false; // overlong, above U+10FFFF, or bad continuation
                }
                i += 4;
            } else {
                return false;
            }
        }
        return true;
    }

    private static boolean isContinuation(byte b) {
        return (b & 0xC0) == 0x80;
    }
}
