package org.kinesisaggregator.server.testing;

import com.github.luben.zstd.Zstd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Decompression bombs made of valid entries: identical small events ({@value #EVENT_BYTES} bytes,
 * {@code [1700000000, {"msg": "000…"}]}) that compress about 1000:1 (gzip) or better (zstd). A bomb
 * is one compressed member (gzip) or frame (zstd) of {@value #MEMBER_BYTES} bytes of entries,
 * repeated, so that building a 1 GiB bomb costs one 4 MiB compression.
 */
public final class Bombs {
    public static final int EVENT_BYTES = 113;
    public static final int MEMBER_BYTES = (4 * 1024 * 1024 / EVENT_BYTES) * EVENT_BYTES;

    private static byte[] gzipMember;
    private static byte[] zstdFrame;

    private Bombs() {}

    /** {@code count} identical events. */
    public static byte[] events(int count) {
        byte[] event = new byte[EVENT_BYTES];
        int i = 0;
        event[i++] = (byte) 0x92;
        event[i++] = (byte) 0xce;
        int seconds = 1_700_000_000;
        for (int s = 24; s >= 0; s -= 8) {
            event[i++] = (byte) (seconds >>> s);
        }
        event[i++] = (byte) 0x81;
        event[i++] = (byte) 0xa3;
        event[i++] = 'm';
        event[i++] = 's';
        event[i++] = 'g';
        event[i++] = (byte) 0xd9;
        event[i++] = 100;
        while (i < EVENT_BYTES) {
            event[i++] = '0';
        }
        byte[] out = new byte[count * EVENT_BYTES];
        for (int e = 0; e < count; e++) {
            System.arraycopy(event, 0, out, e * EVENT_BYTES, EVENT_BYTES);
        }
        return out;
    }

    /** gzip members that inflate to about {@code inflatedBytes} (whole members, at least one). */
    public static synchronized byte[] gzip(long inflatedBytes) {
        if (gzipMember == null) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(out) {
                {
                    def.setLevel(Deflater.BEST_COMPRESSION);
                }
            }) {
                gz.write(events(MEMBER_BYTES / EVENT_BYTES));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            gzipMember = out.toByteArray();
        }
        return repeat(gzipMember, inflatedBytes);
    }

    /** zstd frames that decompress to about {@code inflatedBytes} (whole frames, at least one). */
    public static synchronized byte[] zstd(long inflatedBytes) {
        if (zstdFrame == null) {
            zstdFrame = Zstd.compress(events(MEMBER_BYTES / EVENT_BYTES), 3);
        }
        return repeat(zstdFrame, inflatedBytes);
    }

    private static byte[] repeat(byte[] member, long inflatedBytes) {
        int members = (int) Math.max(1, inflatedBytes / MEMBER_BYTES);
        byte[] out = new byte[member.length * members];
        for (int m = 0; m < members; m++) {
            System.arraycopy(member, 0, out, m * member.length, member.length);
        }
        return out;
    }
}
