package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * CompressedPackedForward: recognises gzip members and zstd frames by their magic bytes, inflates
 * them in bounded steps into its own buffer of plain entries and has them scanned by the scanner of
 * that source. Owns the connection's gzip and zstd decompressors (created at first use, zstd holds
 * native memory) and the plain buffer.
 *
 * <p><b>Bounds.</b> One step inflates at most {@value #STEP_BYTES} bytes, and never more than one
 * byte past {@code decompression_size_limit} (the message then fails with
 * {@link ErrorReason#DECOMPRESSION}). Every step is charged to the decoder's {@link Slice}: once a
 * turn's slice is spent {@link #read} returns {@link Result#SLICE_SPENT} and the decoder yields the
 * event loop (see {@link MsgpackForwardDecoder}). Pieces emitted from the plain buffer share it;
 * it is moved rather than compacted while they are alive.
 *
 * <p>Not thread-safe; one per connection, confined to its event loop; {@link #close()} with the
 * channel.
 */
final class CompressedEntriesReader implements AutoCloseable {
    static final int STEP_BYTES = 64 * 1024;
    private static final int GZIP_MAGIC = 0x1f8b;
    private static final int ZSTD_MAGIC = 0x28b52ffd;

    /** What the entries' first bytes say. */
    enum Sniff {
        NEED_MORE,
        PLAIN,
        COMPRESSED
    }

    /** What one {@link #read} call ended with. */
    enum Result {
        /** All compressed input available so far was used and inflated. */
        NEED_MORE,
        /** This turn's slice is spent with work left: yield the loop. */
        SLICE_SPENT,
        /** The entries ended, every event was scanned and is in the accumulator. */
        DONE
    }

    /** The bytes a decoder turn may still inflate; reset by the decoder at each turn. */
    static final class Slice {
        long bytesLeft;
    }

    private final ForwardDecoderConfig config;
    private final EntriesScanner scanner;
    private final EntryParser parser;
    private final ByteBufAllocator alloc;
    private final Slice slice;
    private final IntConsumer onInputConsumed;
    private final LongSupplier connectionBytes;
    private GzipDecompressor gzip;
    private ZstdDecompressor zstd;
    private ByteBuf plain;

    /**
     * @param onInputConsumed told how many input bytes each step consumed (the decoder's byte count)
     * @param connectionBytes the connection's bytes consumed so far (for the error message)
     */
    CompressedEntriesReader(
            ForwardDecoderConfig config,
            EntryParser parser,
            EntriesAccumulator acc,
            RecordRewriter rewriter,
            byte[] metadataKey,
            ByteBufAllocator alloc,
            Slice slice,
            IntConsumer onInputConsumed,
            LongSupplier connectionBytes) {
        this.config = config;
        this.parser = parser;
        // decompressed bytes count neither towards the connection's bytes nor the declared entries length
        this.scanner = new EntriesScanner(config, parser, acc, rewriter, metadataKey, (m, n) -> {}, n -> false);
        this.alloc = alloc;
        this.slice = slice;
        this.onInputConsumed = onInputConsumed;
        this.connectionBytes = connectionBytes;
    }

    /**
     * Looks at the first bytes of PackedForward entries; when they are compressed, {@code msg} becomes
     * CompressedPackedForward with its decompressor set.
     */
    Sniff sniff(ByteBuf in, MessageInProgress msg) {
        int need = (int) Math.min(msg.entriesRemaining, 4);
        if (in.readableBytes() < need) {
            return Sniff.NEED_MORE;
        }
        int index = in.readerIndex();
        EntriesDecompressor d;
        if (need >= 2 && in.getUnsignedShort(index) == GZIP_MAGIC) {
            d = gzip == null ? gzip = new GzipDecompressor() : gzip;
        } else if (need == 4 && in.getInt(index) == ZSTD_MAGIC) {
            d = zstd == null ? zstd = new ZstdDecompressor() : zstd;
        } else {
            return Sniff.PLAIN;
        }
        d.reset();
        msg.decompressor = d;
        msg.decompressedBytes = 0;
        msg.sniffed = d.name();
        msg.mode = ForwardMode.COMPRESSED_PACKED_FORWARD;
        return Sniff.COMPRESSED;
    }

    /** Inflates and scans what {@code in} holds of {@code msg}'s compressed entries. */
    Result read(ByteBuf in, MessageInProgress msg, List<Object> out) {
        while (true) {
            if (plain != null) {
                scanner.scan(plain, msg, out);
            }
            if (msg.entriesRemaining == 0 && !msg.decompressor.hasPendingOutput()) {
                finish(msg);
                return Result.DONE;
            }
            int available = (int) Math.min(in.readableBytes(), msg.entriesRemaining);
            if (available == 0 && !msg.decompressor.hasPendingOutput()) {
                return Result.NEED_MORE;
            }
            if (slice.bytesLeft <= 0) {
                return Result.SLICE_SPENT;
            }
            long limit = config.decompressionSizeLimitBytes();
            // never inflate more than one byte past the limit, nor past this turn's slice
            int step = (int) Math.min(STEP_BYTES, Math.min(slice.bytesLeft, limit - msg.decompressedBytes + 1));
            preparePlain();
            int before = plain.writerIndex();
            int used = msg.decompressor.decompress(in, in.readerIndex(), available, plain, step);
            int produced = plain.writerIndex() - before;
            in.skipBytes(used);
            onInputConsumed.accept(used);
            msg.entriesRemaining -= used;
            msg.decompressedBytes += produced;
            slice.bytesLeft -= produced;
            if (msg.decompressedBytes > limit) {
                throw new ForwardProtocolException(
                        ErrorReason.DECOMPRESSION,
                        "entries: more than decompression_size_limit " + limit + " bytes (" + msg.decompressedBytes
                                + " decompressed so far, from " + (connectionBytes.getAsLong() - msg.start)
                                + " bytes on the wire) (expected: <= " + limit + " bytes decompressed)");
            }
            if (used == 0 && produced == 0) {
                if (available == msg.entriesRemaining && !msg.decompressor.hasPendingOutput()) {
                    // every byte of the entries is here and the decompressor cannot use them
                    throw truncated(msg);
                }
                return Result.NEED_MORE;
            }
        }
    }

    /** Drops the plain buffer (after an error); the decompressors are kept for reuse until {@link #close()}. */
    void releasePlain() {
        if (plain != null) {
            plain.release();
            plain = null;
        }
    }

    @Override
    public void close() {
        releasePlain();
        if (gzip != null) {
            gzip.close();
        }
        if (zstd != null) {
            zstd.close();
        }
    }

    private void finish(MessageInProgress msg) {
        if (!msg.decompressor.isAtEnd()) {
            throw truncated(msg);
        }
        int left = plain == null ? 0 : plain.readableBytes();
        if (!parser.isIdle() || msg.runBytes != left) {
            throw ForwardProtocolException.malformed(
                    "entries", "a truncated event at the end of the decompressed entries", "whole events");
        }
        if (plain != null) {
            scanner.flushRun(plain, msg);
        }
    }

    private static ForwardProtocolException truncated(MessageInProgress msg) {
        return new ForwardProtocolException(
                ErrorReason.DECOMPRESSION,
                "entries: truncated " + msg.decompressor.name() + " data (expected: complete "
                        + msg.decompressor.name()
                        + (msg.sniffed.equals("gzip") ? " members)" : " frames)"));
    }

    /** Makes room for one step after the bytes of {@code plain} not yet consumed. */
    private void preparePlain() {
        if (plain == null) {
            plain = alloc.buffer(2 * STEP_BYTES);
            return;
        }
        if (plain.writableBytes() >= STEP_BYTES) {
            return;
        }
        if (plain.refCnt() == 1) {
            plain.discardReadBytes();
            plain.ensureWritable(STEP_BYTES);
            return;
        }
        // pieces still share this buffer: move the unconsumed tail to a new one
        ByteBuf moved = alloc.buffer(Math.max(2 * STEP_BYTES, plain.readableBytes() + STEP_BYTES));
        moved.writeBytes(plain, plain.readerIndex(), plain.readableBytes());
        plain.release();
        plain = moved;
    }
}
