package org.kinesisaggregator.kinesis;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Partition-key helpers: the UTF-8 length Kinesis counts, and the random key of an event without one. */
final class RecordKeys {
    private static final HexFormat HEX = HexFormat.of();

    /** Characters of {@link #random()}. */
    static final int RANDOM_KEY_CHARS = 32;

    private RecordKeys() {}

    /** 32 hex digits from the thread's random generator. */
    static String random() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return HEX.toHexDigits(random.nextLong()) + HEX.toHexDigits(random.nextLong());
    }

    /** The UTF-8 byte length of {@code s} without encoding it. */
    static int utf8Length(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                bytes += c < 0x800 ? 1 : Character.isSurrogate(c) ? 1 : 2;
            }
        }
        return bytes;
    }
}
