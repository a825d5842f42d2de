package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * gzip (RFC 1952) over {@link Inflater}: one or more members back to back, as out_forward sends
 * them (each buffer chunk append may be its own member). Header flags FEXTRA, FNAME, FCOMMENT and
 * FHCRC are accepted; each member's CRC-32 and size are checked. Not thread-safe.
 */
final class GzipDecompressor implements EntriesDecompressor {
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final int FHCRC = 0x02;
    private static final int FEXTRA = 0x04;
    private static final int FNAME = 0x08;
    private static final int FCOMMENT = 0x10;
    private static final int RESERVED = 0xe0;

    private enum State {
        BETWEEN_MEMBERS,
        INFLATE,
        TRAILER
    }

    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private State state = State.BETWEEN_MEMBERS;
    private long memberBytes;
    private int members;

    @Override
    public String name() {
        return "gzip";
    }

    @Override
    public int decompress(ByteBuf in, int index, int length, ByteBuf out, int maxOutput) {
        int consumed = 0;
        int produced = 0;
        while (true) {
            switch (state) {
                case BETWEEN_MEMBERS -> {
                    int header = headerLength(in, index + consumed, length - consumed);
                    if (header == 0) {
                        return consumed;
                    }
                    consumed += header;
                    inflater.reset();
                    crc.reset();
                    memberBytes = 0;
                    state = State.INFLATE;
                }
                case INFLATE -> {
                    if (produced >= maxOutput) {
                        return consumed;
                    }
                    ByteBuffer src = in.nioBuffer(index + consumed, length - consumed);
                    int srcStart = src.position();
                    ByteBuffer dst = out.nioBuffer(out.writerIndex(), maxOutput - produced);
                    int dstStart = dst.position();
                    int n;
                    try {
                        inflater.setInput(src);
                        n = inflater.inflate(dst);
                    } catch (DataFormatException e) {
                        throw new ForwardProtocolException(
                                ErrorReason.DECOMPRESSION,
                                "entries: invalid gzip data (" + e.getMessage() + ") (expected: gzip members)",
                                e);
                    }
                    consumed += src.position() - srcStart;
                    if (n > 0) {
                        ByteBuffer written = dst.duplicate();
                        written.limit(dstStart + n).position(dstStart);
                        crc.update(written);
                        out.writerIndex(out.writerIndex() + n);
                        produced += n;
                        memberBytes += n;
                    }
                    if (inflater.finished()) {
                        state = State.TRAILER;
                    } else if (inflater.needsDictionary()) {
                        throw new ForwardProtocolException(
                                ErrorReason.DECOMPRESSION,
                                "entries: gzip member needing a preset dictionary (expected: plain gzip)");
                    } else if (n == 0 && (inflater.needsInput() || consumed == length)) {
                        return consumed;
                    }
                }
                case TRAILER -> {
                    if (length - consumed < 8) {
                        return consumed;
                    }
                    int at = index + consumed;
                    long expectedCrc = in.getUnsignedIntLE(at);
                    long expectedSize = in.getUnsignedIntLE(at + 4);
                    if (expectedCrc != crc.getValue()) {
                        throw new ForwardProtocolException(
                                ErrorReason.DECOMPRESSION,
                                String.format(
                                        "entries: gzip CRC-32 0x%08x (expected: 0x%08x as the member trailer says)",
                                        crc.getValue(), expectedCrc));
                    }
                    if (expectedSize != (memberBytes & 0xffffffffL)) {
                        throw new ForwardProtocolException(
                                ErrorReason.DECOMPRESSION,
                                "entries: gzip member of " + memberBytes + " bytes (expected: " + expectedSize
                                        + " as the member trailer says)");
                    }
                    consumed += 8;
                    members++;
                    state = State.BETWEEN_MEMBERS;
                    if (consumed == length) {
                        return consumed;
                    }
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
    }

    /** Length of the complete member header at {@code index}, or 0 when more bytes are needed. */
    private static int headerLength(ByteBuf in, int index, int available) {
        if (available < 10) {
            checkMagic(in, index, available);
            return 0;
        }
        checkMagic(in, index, available);
        int method = in.getUnsignedByte(index + 2);
        if (method != 8) {
            throw new ForwardProtocolException(
                    ErrorReason.DECOMPRESSION,
                    "entries: gzip compression method " + method + " (expected: 8, deflate)");
        }
        int flags = in.getUnsignedByte(index + 3);
        if ((flags & RESERVED) != 0) {
            throw new ForwardProtocolException(
                    ErrorReason.DECOMPRESSION,
                    String.format("entries: gzip header flags 0x%02x (expected: no reserved bits)", flags));
        }
        int at = 10;
        if ((flags & FEXTRA) != 0) {
            if (available < at + 2) {
                return 0;
            }
            at += 2 + in.getUnsignedShortLE(index + at);
        }
        if ((flags & FNAME) != 0) {
            at = afterZero(in, index, at, available);
            if (at < 0) {
                return 0;
            }
        }
        if ((flags & FCOMMENT) != 0) {
            at = afterZero(in, index, at, available);
            if (at < 0) {
                return 0;
            }
        }
        if ((flags & FHCRC) != 0) {
            at += 2;
        }
        if (at > MAX_HEADER_BYTES) {
            throw new ForwardProtocolException(
                    ErrorReason.LIMIT,
                    "entries: gzip header of " + at + " bytes (expected: <= " + MAX_HEADER_BYTES + ")");
        }
        return available >= at ? at : 0;
    }

    private static int afterZero(ByteBuf in, int index, int from, int available) {
        int searchEnd = Math.min(available, MAX_HEADER_BYTES);
        for (int i = from; i < searchEnd; i++) {
            if (in.getByte(index + i) == 0) {
                return i + 1;
            }
        }
        if (available >= MAX_HEADER_BYTES) {
            throw new ForwardProtocolException(
                    ErrorReason.LIMIT,
                    "entries: gzip header of more than " + MAX_HEADER_BYTES + " bytes (expected: <= " + MAX_HEADER_BYTES
                            + ")");
        }
        return -1;
    }

    private static void checkMagic(ByteBuf in, int index, int available) {
        if (available >= 1 && in.getUnsignedByte(index) != 0x1f
                || available >= 2 && in.getUnsignedByte(index + 1) != 0x8b) {
            throw new ForwardProtocolException(
                    ErrorReason.DECOMPRESSION,
                    String.format(
                            "entries: gzip member starting with 0x%02x (expected: 1f 8b)", in.getUnsignedByte(index)));
        }
    }

    @Override
    public boolean isAtEnd() {
        return state == State.BETWEEN_MEMBERS && members > 0;
    }

    @Override
    public boolean hasPendingOutput() {
        return state == State.INFLATE && !inflater.needsInput();
    }

    @Override
    public void reset() {
        inflater.reset();
        crc.reset();
        state = State.BETWEEN_MEMBERS;
        memberBytes = 0;
        members = 0;
    }

    @Override
    public void close() {
        inflater.end();
    }
}
