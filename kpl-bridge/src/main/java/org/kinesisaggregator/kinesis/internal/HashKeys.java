package org.kinesisaggregator.kinesis.internal;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Kinesis' 128-bit hash keys as two unsigned longs (high, low): the MD5 of a partition key's UTF-8
 * bytes read big-endian, or an explicit hash key in decimal. Compared with
 * {@link Long#compareUnsigned}. Not thread-safe (one digest per instance).
 */
public final class HashKeys {
    private static final BigInteger MAX = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    private final MessageDigest md5;
    private long high;
    private long low;

    public HashKeys() {
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is missing from this JVM; every JVM must provide it", e);
        }
    }

    /** Hashes {@code partitionKey}; read the result with {@link #high()} and {@link #low()}. */
    public void hashPartitionKey(String partitionKey) {
        byte[] digest = md5.digest(partitionKey.getBytes(StandardCharsets.UTF_8));
        high = toLong(digest, 0);
        low = toLong(digest, 8);
    }

    /**
     * Parses a decimal explicit hash key; false (and nothing set) when it is not an integer in
     * 0..2^128-1.
     */
    public boolean parseExplicitHashKey(String decimal) {
        BigInteger value;
        try {
            value = new BigInteger(decimal.trim());
        } catch (NumberFormatException e) {
            return false;
        }
        if (value.signum() < 0 || value.compareTo(MAX) > 0) {
            return false;
        }
        high = value.shiftRight(64).longValue();
        low = value.longValue();
        return true;
    }

    public long high() {
        return high;
    }

    public long low() {
        return low;
    }

    /** True when {@code decimal} is an integer in 0..2^128-1 (a valid explicit hash key). */
    public static boolean isExplicitHashKey(String decimal) {
        try {
            BigInteger value = new BigInteger(decimal.trim());
            return value.signum() >= 0 && value.compareTo(MAX) <= 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Compares (h1, l1) with (h2, l2) as unsigned 128-bit integers. */
    public static int compare(long h1, long l1, long h2, long l2) {
        int c = Long.compareUnsigned(h1, h2);
        return c != 0 ? c : Long.compareUnsigned(l1, l2);
    }

    /** The decimal text of (high, low). */
    public static String toDecimal(long high, long low) {
        return new BigInteger(1, new byte[] {
                    (byte) (high >>> 56), (byte) (high >>> 48), (byte) (high >>> 40), (byte) (high >>> 32),
                    (byte) (high >>> 24), (byte) (high >>> 16), (byte) (high >>> 8), (byte) high,
                    (byte) (low >>> 56), (byte) (low >>> 48), (byte) (low >>> 40), (byte) (low >>> 32),
                    (byte) (low >>> 24), (byte) (low >>> 16), (byte) (low >>> 8), (byte) low
                })
                .toString();
    }

    private static long toLong(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }
}
