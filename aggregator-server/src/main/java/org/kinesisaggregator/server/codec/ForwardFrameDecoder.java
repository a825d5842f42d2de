package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Streaming decoder of the Fluentd forward protocol v1: an explicit state machine over the
 * cumulated input that copes with any split point and any number of messages per read.
 *
 * <p>Emits, in order: {@link ForwardEvents} (a whole message), or {@link StreamStart},
 * {@link StreamPiece}s and {@link StreamEnd} (a message whose entries exceed
 * {@link ForwardDecoderConfig#streamThresholdBytes()}: only the incomplete tail event is held in
 * memory), {@link MessageDropped} ({@code chunk_size_limit}), {@link PingRequest} (the first message
 * when a handshake is expected). A msgpack {@code nil} message is a no-op. The connection's first
 * byte decides its protocol: {@code {} or {@code [} (without a handshake) hands every byte to a
 * {@link JsonForwardDecoder}, anything else is msgpack, decoded here.
 *
 * <p>Entries are validated by {@link EntryParser} and kept exactly as received (PackedForward runs
 * are retained slices of the input); only entries whose time is nil/0, Fluent Bit
 * {@code [[time, metadata], record]} entries and Message-mode events are re-encoded.
 * CompressedPackedForward entries (gzip members, zstd frames; recognised by their magic bytes and
 * checked against the {@code compressed} option, which comes after them) are decompressed in
 * bounded steps.
 *
 * <p><b>Slices.</b> One turn (a read from the socket, or a {@link #resume()}) decompresses, and so
 * scans, at most {@link #DECOMPRESSION_SLICE_BYTES} bytes. When the bound is
 * reached with work left the decoder <i>yields</i>: it keeps the rest of the input, decodes nothing
 * more until {@link #resume()} is called, and {@link #hasBacklog()} says so. The owner of the read
 * gate (the ingest handler) stops reading from the socket while there is a backlog and calls
 * {@link #resume()} from a later pass of the event loop, after the loop has served its other
 * channels. A deflate bomb therefore costs its event loop one slice per pass, not seconds, and what
 * it inflates reaches the sink in pieces under the handler's back-pressure instead of piling up.
 *
 * <p><b>State.</b> What belongs to the message being decoded (its tag, mode, counters, the run of
 * verbatim entries, its decompressor) is one {@link MessageInProgress}, created at the message's
 * first byte and dropped once it is emitted; the decoder itself keeps only what spans messages
 * (the state, the connection's byte count, the accumulator, the decompressors and their output
 * buffer, the slice bookkeeping). The option map and the handshake PING are read by the stateless
 * {@link OptionParser} and {@link PingParser}.
 *
 * <p>Any violation throws {@link ForwardProtocolException}; the decoder then discards everything
 * until the connection closes (no re-synchronisation; the pipeline's last handler logs and closes).
 * Nothing is allocated from a declared length before the bytes arrive, and every state bounds what
 * it buffers.
 *
 * <p>Not thread-safe; one instance per channel, confined to its event loop.
 *
 * @see <a href="https://github.com/fluent/fluentd/wiki/Forward-Protocol-Specification-v1">Forward Protocol Specification v1</a>
 */
public final class ForwardFrameDecoder extends ByteToMessageDecoder {

    private enum State {
        FIRST_BYTE,
        MESSAGE,
        HANDSHAKE,
        TAG,
        MODE,
        MESSAGE_EVENT,
        FORWARD_ENTRIES,
        PACKED_SNIFF,
        PACKED_ENTRIES,
        COMPRESSED_ENTRIES,
        DISCARD_ENTRIES,
        OPTION,
        JSON,
        BAD
    }

    private static final long UNBOUNDED = Long.MAX_VALUE;
    private static final int DECOMPRESS_STEP = 64 * 1024;

    /**
     * Most bytes one turn decompresses (and so scans): about a millisecond of one core. Small enough
     * that a connection inflating a bomb delays its loop's other channels by little per pass, big
     * enough that an honest compressed stream needs few passes per MiB.
     */
    public static final int DECOMPRESSION_SLICE_BYTES = 256 * 1024;

    private static final int SCAN_NEED_MORE = 0;
    private static final int SCAN_DONE = 1;
    private static final int SCAN_SWITCHED = 2;
    private static final int GZIP_MAGIC = 0x1f8b;
    private static final int ZSTD_MAGIC = 0x28b52ffd;

    private final ForwardDecoderConfig config;
    private final int sliceBytes;
    private final EntryParser parser;
    private final MsgpackSkipper skipper;
    private final OptionParser optionParser;
    private final RecordRewriter rewriter;
    private final byte[] metadataKey;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    private EntriesAccumulator acc;
    private State state = State.FIRST_BYTE;
    private boolean handshakePending;
    private long consumedBytes;

    // the message being decoded: null between messages, kept after an error (decodeLast reads it)
    private MessageInProgress msg;

    private GzipDecompressor gzip;
    private ZstdDecompressor zstd;
    private ByteBuf plain;

    private JsonForwardDecoder json;
    private byte[] lastTagBytes;
    private String lastTag;

    // slices: what this turn may still decompress, and whether the decoder yielded with work left
    private ChannelHandlerContext ctx;
    private long sliceBytesLeft;
    private boolean yielded;
    private boolean inputShutdownPending;

    public ForwardFrameDecoder(ForwardDecoderConfig config) {
        this(config, DECOMPRESSION_SLICE_BYTES);
    }

    /** With another slice bound than {@link #DECOMPRESSION_SLICE_BYTES} (tests). */
    ForwardFrameDecoder(ForwardDecoderConfig config, int sliceBytes) {
        if (sliceBytes <= 0) {
            throw new IllegalArgumentException("sliceBytes: " + sliceBytes + " (expected: > 0)");
        }
        this.config = config;
        this.sliceBytes = sliceBytes;
        this.parser = new EntryParser(config.maxDepth(), config.maxEventBytes());
        this.skipper = new MsgpackSkipper(config.maxDepth());
        this.optionParser = new OptionParser(skipper);
        this.rewriter = new RecordRewriter(config.maxDepth());
        this.metadataKey = config.eventMetadataKey() == null
                ? null
                : config.eventMetadataKey().getBytes(StandardCharsets.UTF_8);
        this.handshakePending = config.expectHandshake();
        this.sliceBytesLeft = sliceBytes;
    }

    /**
     * Bytes the message being decoded (or the one that failed) has decompressed to so far; 0 if it
     * is not compressed or between messages.
     */
    long decompressedBytes() {
        return msg == null ? 0 : msg.decompressedBytes;
    }

    /**
     * The decoder stopped at the slice bound with input left to decode: it decodes nothing more
     * until {@link #resume()}, and reading more from the socket should wait.
     */
    public boolean hasBacklog() {
        return yielded && state != State.BAD;
    }

    /**
     * Decodes the next slice of the backlog and fires what it decodes down the pipeline (and then
     * the exception, if the input turns out bad). A no-op without a backlog. Call it on the
     * channel's event loop, from a later pass than the turn that yielded.
     */
    public void resume() {
        if (!hasBacklog() || ctx == null || ctx.isRemoved()) {
            return;
        }
        yielded = false;
        sliceBytesLeft = sliceBytes;
        List<Object> out = new ArrayList<>(4);
        RuntimeException failure = null;
        try {
            decode(ctx, internalBuffer(), out);
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Object msg : out) {
            ctx.fireChannelRead(msg);
        }
        if (failure != null) {
            ctx.fireExceptionCaught(failure instanceof DecoderException ? failure : new DecoderException(failure));
            return;
        }
        discardSomeReadBytes();
        if (!yielded && inputShutdownPending) {
            // the peer half-closed while the backlog waited: now run the end of input
            inputShutdownPending = false;
            try {
                super.userEventTriggered(ctx, ChannelInputShutdownEvent.INSTANCE);
            } catch (Exception e) {
                ctx.fireExceptionCaught(e);
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!yielded) {
            sliceBytesLeft = sliceBytes;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (hasBacklog() && !ctx.channel().config().isAutoRead()) {
            // not the ctx.read() that ByteToMessageDecoder issues for an incomplete message: the
            // backlog is decoded first, and the read gate downstream decides when to read again
            discardSomeReadBytes();
            ctx.fireChannelReadComplete();
            return;
        }
        super.channelReadComplete(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent && hasBacklog()) {
            // decode what the peer sent before its half-close first; resume() passes the event on
            inputShutdownPending = true;
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    /**
     * A message is being received (some of its bytes arrived), or a handshake is under way. Used by
     * drain: such a connection is given time to finish it.
     */
    public boolean isMidMessage() {
        if (actualReadableBytes() > 0) {
            return true;
        }
        return switch (state) {
            case FIRST_BYTE, MESSAGE, BAD -> false;
            case HANDSHAKE -> msg.scanned > 0;
            case JSON -> json != null && json.isMidValue();
            default -> true;
        };
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        acc = new EntriesAccumulator(ctx.alloc());
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (yielded) {
            // the rest waits for resume(); ByteToMessageDecoder stops calling as nothing is consumed
            return;
        }
        try {
            while (step(ctx, in, out)) {
                // each step made progress; go on until one needs more bytes
            }
        } catch (ForwardProtocolException e) {
            poison(in);
            throw e;
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            poison(in);
            throw new ForwardProtocolException(
                    ErrorReason.MALFORMED,
                    "message: " + e.getMessage() + " (expected: a well-formed forward message)",
                    e);
        } catch (RuntimeException e) {
            poison(in);
            throw e;
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.isReadable()) {
            decode(ctx, in, out);
        }
        if (state != State.BAD && (in.isReadable() || isMidMessage())) {
            long received;
            String tag;
            if (state == State.JSON) {
                received = json.bytesSinceLastRequest() + in.readableBytes();
                tag = json.lastRequestTag();
            } else {
                received = consumedBytes - msg.start + in.readableBytes();
                tag = msg.tag;
            }
            poison(in);
            throw new ForwardProtocolException(
                    ErrorReason.TRUNCATED,
                    "message: connection ended after " + received + " bytes of it"
                            + (tag != null ? " (tag " + tag + ")" : "") + " (expected: whole messages)");
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        releaseMessage();
        if (plain != null) {
            plain.release();
            plain = null;
        }
        if (gzip != null) {
            gzip.close();
        }
        if (zstd != null) {
            zstd.close();
        }
        if (json != null) {
            json.close();
        }
    }

    private boolean step(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        return switch (state) {
            case FIRST_BYTE -> decodeFirstByte(in);
            case MESSAGE -> decodeMessageStart(in);
            case HANDSHAKE -> decodeHandshake(in, out);
            case TAG -> decodeTag(in);
            case MODE -> decodeMode(in);
            case MESSAGE_EVENT, FORWARD_ENTRIES, PACKED_ENTRIES -> decodeEntries(in, out);
            case PACKED_SNIFF -> decodePackedSniff(in);
            case COMPRESSED_ENTRIES -> decodeCompressedEntries(ctx, in, out);
            case DISCARD_ENTRIES -> decodeDiscardEntries(in, out);
            case OPTION -> decodeOption(in, out);
            case JSON -> {
                json.decode(ctx.alloc(), in, out);
                yield false;
            }
            case BAD -> {
                in.skipBytes(in.readableBytes());
                yield false;
            }
        };
    }

    // ---------------------------------------------------------------- message framing

    private boolean decodeFirstByte(ByteBuf in) {
        if (!in.isReadable()) {
            return false;
        }
        int b = in.getUnsignedByte(in.readerIndex());
        if (!config.expectHandshake() && (b == '{' || b == '[')) {
            json = new JsonForwardDecoder(config);
            state = State.JSON;
        } else {
            state = State.MESSAGE;
        }
        return true;
    }

    private boolean decodeMessageStart(ByteBuf in) {
        if (!in.isReadable()) {
            return false;
        }
        startMessage();
        if (handshakePending) {
            skipper.begin(1);
            state = State.HANDSHAKE;
            return true;
        }
        int index = in.readerIndex();
        int b = in.getUnsignedByte(index);
        if (b == Msgpack.NIL) {
            skipInput(in, 1);
            msg = null;
            return true;
        }
        if (!Msgpack.isArray(b)) {
            throw ForwardProtocolException.malformed("message", Msgpack.typeName(b), "an array, or nil");
        }
        int header = Msgpack.headerLength(b);
        if (in.readableBytes() < header) {
            return false;
        }
        msg.arity = Msgpack.arrayCount(in, index, b);
        if (msg.arity < 2 || msg.arity > 4) {
            throw ForwardProtocolException.malformed(
                    "message", "array of " + msg.arity, "[tag, time, record, option?] or [tag, entries, option?]");
        }
        skipInput(in, header);
        state = State.TAG;
        return true;
    }

    private boolean decodeTag(ByteBuf in) {
        if (!in.isReadable()) {
            return false;
        }
        int index = in.readerIndex();
        int b = in.getUnsignedByte(index);
        if (!Msgpack.isStr(b)) {
            throw ForwardProtocolException.malformed("tag", Msgpack.typeName(b), "str");
        }
        int header = Msgpack.headerLength(b);
        if (in.readableBytes() < header) {
            return false;
        }
        long length = Msgpack.payloadLength(in, index, b);
        if (length > ForwardDecoderConfig.MAX_TAG_BYTES) {
            throw ForwardProtocolException.limit(
                    "tag", length + " bytes", "<= " + ForwardDecoderConfig.MAX_TAG_BYTES + " bytes");
        }
        if (in.readableBytes() < header + length) {
            return false;
        }
        msg.tag = tagString(in, index + header, (int) length);
        skipInput(in, header + (int) length);
        state = State.MODE;
        return true;
    }

    private boolean decodeMode(ByteBuf in) {
        if (!in.isReadable()) {
            return false;
        }
        int index = in.readerIndex();
        int b = in.getUnsignedByte(index);
        if (Msgpack.isArray(b) || Msgpack.isStr(b) || Msgpack.isBin(b)) {
            if (msg.arity > 3) {
                throw ForwardProtocolException.malformed(
                        "message", "array of 4 with " + Msgpack.typeName(b) + " entries", "[tag, entries, option?]");
            }
            int header = Msgpack.headerLength(b);
            if (in.readableBytes() < header) {
                return false;
            }
            if (Msgpack.isArray(b)) {
                msg.entriesLeft = Msgpack.arrayCount(in, index, b);
                skipInput(in, header);
                msg.mode = ForwardMode.FORWARD;
                parser.reset(false);
                state = State.FORWARD_ENTRIES;
            } else {
                msg.entriesRemaining = Msgpack.payloadLength(in, index, b);
                skipInput(in, header);
                msg.mode = ForwardMode.PACKED_FORWARD;
                if (exceedsChunkSizeLimit(msg.entriesRemaining)) {
                    msg.dropped = true;
                    state = State.DISCARD_ENTRIES;
                } else {
                    parser.reset(false);
                    state = State.PACKED_SNIFF;
                }
            }
            return true;
        }
        if (msg.arity < 3) {
            throw ForwardProtocolException.malformed(
                    "message",
                    "array of 2 with " + Msgpack.typeName(b) + " entries",
                    "[tag, entries, option?] with entries an array, bin or str");
        }
        msg.mode = ForwardMode.MESSAGE;
        msg.entriesLeft = 1;
        parser.reset(true);
        state = State.MESSAGE_EVENT;
        return true;
    }

    private boolean decodePackedSniff(ByteBuf in) {
        int need = (int) Math.min(msg.entriesRemaining, 4);
        if (in.readableBytes() < need) {
            return false;
        }
        int index = in.readerIndex();
        if (need >= 2 && in.getUnsignedShort(index) == GZIP_MAGIC) {
            if (gzip == null) {
                gzip = new GzipDecompressor();
            }
            startDecompression(gzip);
        } else if (need == 4 && in.getInt(index) == ZSTD_MAGIC) {
            if (zstd == null) {
                zstd = new ZstdDecompressor();
            }
            startDecompression(zstd);
        } else {
            state = State.PACKED_ENTRIES;
        }
        return true;
    }

    private void startDecompression(EntriesDecompressor d) {
        msg.decompressor = d;
        d.reset();
        msg.decompressedBytes = 0;
        msg.sniffed = d.name();
        msg.mode = ForwardMode.COMPRESSED_PACKED_FORWARD;
        state = State.COMPRESSED_ENTRIES;
    }

    // ---------------------------------------------------------------- entries

    private boolean decodeEntries(ByteBuf in, List<Object> out) {
        int result = scanEntries(in, true, out);
        if (result == SCAN_DONE) {
            finishEntries(in, true, out);
            return true;
        }
        return result == SCAN_SWITCHED;
    }

    private boolean decodeCompressedEntries(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (true) {
            if (plain != null) {
                int result = scanEntries(plain, false, out);
                if (result == SCAN_SWITCHED) {
                    return true;
                }
            }
            if (msg.entriesRemaining == 0 && !msg.decompressor.hasPendingOutput()) {
                if (!msg.decompressor.isAtEnd()) {
                    throw new ForwardProtocolException(
                            ErrorReason.DECOMPRESSION,
                            "entries: truncated " + msg.decompressor.name() + " data (expected: complete "
                                    + msg.decompressor.name()
                                    + (msg.sniffed.equals("gzip") ? " members)" : " frames)"));
                }
                int left = plain == null ? 0 : plain.readableBytes();
                if (!parser.isIdle() || msg.runBytes != left) {
                    throw ForwardProtocolException.malformed(
                            "entries", "a truncated event at the end of the decompressed entries", "whole events");
                }
                finishEntries(plain, false, out);
                return true;
            }
            int available = (int) Math.min(in.readableBytes(), msg.entriesRemaining);
            if (available == 0 && !msg.decompressor.hasPendingOutput()) {
                return false;
            }
            if (sliceBytesLeft <= 0) {
                // this turn's slice is spent: let the event loop serve its other channels first
                yielded = true;
                return false;
            }
            long limit = config.decompressionSizeLimitBytes();
            // never inflate more than one byte past the limit, nor past this turn's slice
            int step = (int) Math.min(DECOMPRESS_STEP, Math.min(sliceBytesLeft, limit - msg.decompressedBytes + 1));
            preparePlain(ctx);
            int before = plain.writerIndex();
            int used = msg.decompressor.decompress(in, in.readerIndex(), available, plain, step);
            int produced = plain.writerIndex() - before;
            skipInput(in, used);
            msg.entriesRemaining -= used;
            msg.decompressedBytes += produced;
            sliceBytesLeft -= produced;
            if (msg.decompressedBytes > limit) {
                throw new ForwardProtocolException(
                        ErrorReason.DECOMPRESSION,
                        "entries: more than decompression_size_limit " + limit + " bytes (" + msg.decompressedBytes
                                + " decompressed so far, from " + (consumedBytes - msg.start)
                                + " bytes on the wire) (expected: <= " + limit + " bytes decompressed)");
            }
            if (used == 0 && produced == 0) {
                return false;
            }
        }
    }

    /** Makes room for one decompression step after the bytes of {@code plain} not yet consumed. */
    private void preparePlain(ChannelHandlerContext ctx) {
        if (plain == null) {
            plain = ctx.alloc().buffer(2 * DECOMPRESS_STEP);
            return;
        }
        if (plain.writableBytes() >= DECOMPRESS_STEP) {
            return;
        }
        if (plain.refCnt() == 1) {
            plain.discardReadBytes();
            plain.ensureWritable(DECOMPRESS_STEP);
            return;
        }
        // pieces still share this buffer: move the unconsumed tail to a new one
        ByteBuf moved = ctx.alloc().buffer(Math.max(2 * DECOMPRESS_STEP, plain.readableBytes() + DECOMPRESS_STEP));
        moved.writeBytes(plain, plain.readerIndex(), plain.readableBytes());
        plain.release();
        plain = moved;
    }

    /**
     * Validates entries from {@code src} (the input, or decompressed bytes), growing the current run
     * of verbatim entries, rewriting or skipping the others, and emitting stream pieces.
     */
    private int scanEntries(ByteBuf src, boolean srcIsInput, List<Object> out) {
        while (true) {
            boolean counted = msg.mode == ForwardMode.FORWARD || msg.mode == ForwardMode.MESSAGE;
            if (counted && msg.entriesLeft == 0) {
                return SCAN_DONE;
            }
            long bytesLeft = msg.mode == ForwardMode.PACKED_FORWARD ? msg.entriesRemaining : UNBOUNDED;
            if (bytesLeft != UNBOUNDED && msg.runBytes == bytesLeft && parser.isIdle()) {
                return SCAN_DONE;
            }
            int base = src.readerIndex();
            long available = Math.min(src.readableBytes(), bytesLeft);
            int entryStart = base + msg.runBytes;
            int limit = (int) (base + available);
            long bound = bytesLeft == UNBOUNDED ? UNBOUNDED : base + bytesLeft;
            int result = parser.parse(src, entryStart, limit, bound);
            if (result == EntryParser.NEED_MORE) {
                if (!config.skipInvalidEvent() && parser.invalidReason() != null) {
                    refuse(parser.invalidReason());
                }
                if (parser.isDiscarding()) {
                    flushRun(src, srcIsInput);
                    int walked = parser.position();
                    if (walked > 0) {
                        consumeEntries(src, srcIsInput, walked);
                        parser.discarded(walked);
                        continue;
                    }
                    return SCAN_NEED_MORE;
                }
                if (bytesLeft != UNBOUNDED && available == bytesLeft) {
                    throw ForwardProtocolException.malformed(
                            "entries",
                            "a truncated event at the end of the entries",
                            "whole events inside the declared entries length");
                }
                return SCAN_NEED_MORE;
            }
            int length = parser.position();
            if (result == EntryParser.VALID) {
                if (parser.isVerbatim()) {
                    msg.runBytes += length;
                    msg.runEvents++;
                } else {
                    flushRun(src, srcIsInput);
                    writeRewritten(src, src.readerIndex(), length);
                    consumeEntries(src, srcIsInput, length);
                }
                msg.eventCount++;
            } else {
                if (!config.skipInvalidEvent()) {
                    refuse(parser.invalidReason());
                }
                flushRun(src, srcIsInput);
                consumeEntries(src, srcIsInput, length);
                msg.skippedEvents++;
                if (msg.firstSkipReason == null) {
                    msg.firstSkipReason =
                            "event " + (msg.eventCount + msg.skippedEvents) + ": " + parser.invalidReason();
                }
            }
            parser.reset(msg.mode == ForwardMode.MESSAGE);
            if (counted) {
                msg.entriesLeft--;
            }
            if (msg.mode == ForwardMode.FORWARD && exceedsChunkSizeLimit(msg.runBytes)) {
                // the rest of the message is read and dropped
                src.skipBytes(msg.runBytes);
                consumedBytes += msg.runBytes;
                msg.runBytes = 0;
                msg.runEvents = 0;
                acc.release();
                msg.dropped = true;
                skipper.begin(msg.entriesLeft);
                state = State.DISCARD_ENTRIES;
                return SCAN_SWITCHED;
            }
            maybeEmitPiece(src, srcIsInput, out);
        }
    }

    private void refuse(String reason) {
        throw new ForwardProtocolException(
                ErrorReason.INVALID_EVENT, "event " + (msg.eventCount + msg.skippedEvents + 1) + ": " + reason);
    }

    private void writeRewritten(ByteBuf src, int entryStart, int length) {
        ByteBuf out = acc.scratch(length + 16 + (metadataKey == null ? 0 : metadataKey.length + 16));
        int start = out.writerIndex();
        out.writeByte(0x92);
        if (parser.isTimeNow()) {
            Instant now = config.clock().instant();
            Msgpack.writeEventTime(out, now.getEpochSecond(), now.getNano());
        } else {
            out.writeBytes(src, entryStart + parser.timeStart(), parser.timeEnd() - parser.timeStart());
        }
        int recordStart = entryStart + parser.recordStart();
        int recordEnd = entryStart + length;
        if (parser.hasMetadata() && metadataKey != null) {
            rewriter.write(
                    src,
                    recordStart,
                    recordEnd,
                    List.of(),
                    metadataKey,
                    entryStart + parser.metaStart(),
                    entryStart + parser.metaEnd(),
                    out);
        } else {
            out.writeBytes(src, recordStart, recordEnd - recordStart);
        }
        acc.scratchWritten(out.writerIndex() - start);
    }

    private void flushRun(ByteBuf src, boolean srcIsInput) {
        if (msg.runBytes == 0) {
            return;
        }
        ByteBuf run = src.readRetainedSlice(msg.runBytes);
        account(srcIsInput, msg.runBytes);
        acc.addRun(run, msg.runEvents);
        msg.runBytes = 0;
        msg.runEvents = 0;
    }

    private void consumeEntries(ByteBuf src, boolean srcIsInput, int bytes) {
        src.skipBytes(bytes);
        account(srcIsInput, bytes);
    }

    private void account(boolean srcIsInput, int bytes) {
        if (srcIsInput) {
            consumedBytes += bytes;
            if (msg.mode == ForwardMode.PACKED_FORWARD) {
                msg.entriesRemaining -= bytes;
            }
        }
    }

    private void maybeEmitPiece(ByteBuf src, boolean srcIsInput, List<Object> out) {
        if (msg.mode == ForwardMode.MESSAGE) {
            return;
        }
        long pending = acc.bytes() + msg.runBytes;
        if (!msg.streaming) {
            if (pending >= config.streamThresholdBytes()) {
                msg.streaming = true;
                out.add(new StreamStart(msg.tag, msg.mode));
                emitPiece(src, srcIsInput, out);
            }
        } else if (pending >= config.pieceBytes()) {
            emitPiece(src, srcIsInput, out);
        }
    }

    private void emitPiece(ByteBuf src, boolean srcIsInput, List<Object> out) {
        flushRun(src, srcIsInput);
        int events = acc.events();
        if (events > 0) {
            out.add(new StreamPiece(acc.take(), events));
        }
    }

    private void finishEntries(ByteBuf src, boolean srcIsInput, List<Object> out) {
        flushRun(src, srcIsInput);
        long withOption = msg.mode == ForwardMode.MESSAGE ? 4 : 3;
        if (msg.arity == withOption) {
            state = State.OPTION;
        } else {
            complete(ForwardOption.NONE, out);
        }
    }

    private boolean decodeDiscardEntries(ByteBuf in, List<Object> out) {
        if (msg.mode == ForwardMode.PACKED_FORWARD) {
            int n = (int) Math.min(in.readableBytes(), msg.entriesRemaining);
            skipInput(in, n);
            msg.entriesRemaining -= n;
            if (msg.entriesRemaining > 0) {
                return false;
            }
        } else {
            int index = in.readerIndex();
            int reached = skipper.skip(in, index, in.writerIndex(), UNBOUNDED, 1);
            skipInput(in, reached - index);
            if (!skipper.isDone()) {
                return false;
            }
        }
        finishEntries(in, true, out);
        return true;
    }

    private boolean exceedsChunkSizeLimit(long pendingBytes) {
        return config.chunkSizeLimitBytes() > 0
                && consumedBytes - msg.start + pendingBytes > config.chunkSizeLimitBytes();
    }

    // ---------------------------------------------------------------- option and message end

    private boolean decodeOption(ByteBuf in, List<Object> out) {
        OptionParser.Parsed parsed = optionParser.parse(in, in.readerIndex());
        if (parsed == null) {
            return false;
        }
        skipInput(in, parsed.length());
        complete(parsed.option(), out);
        return true;
    }

    private void complete(ForwardOption option, List<Object> out) {
        long wireBytes = consumedBytes - msg.start;
        if (!msg.dropped && msg.mode == ForwardMode.MESSAGE && exceedsChunkSizeLimit(0)) {
            msg.dropped = true;
        }
        if (msg.dropped) {
            acc.release();
            out.add(new MessageDropped(msg.tag, msg.mode, option, wireBytes, config.chunkSizeLimitBytes()));
        } else {
            checkCompression(option);
            if (msg.streaming) {
                int events = acc.events();
                if (events > 0) {
                    out.add(new StreamPiece(acc.take(), events));
                }
                out.add(new StreamEnd(
                        msg.tag, msg.mode, option, msg.eventCount, wireBytes, msg.skippedEvents, msg.firstSkipReason));
            } else {
                int events = acc.events();
                out.add(new ForwardEvents(
                        msg.tag,
                        acc.take(),
                        events,
                        option,
                        msg.mode,
                        wireBytes,
                        msg.skippedEvents,
                        msg.firstSkipReason));
            }
        }
        msg = null;
        state = State.MESSAGE;
    }

    private void checkCompression(ForwardOption option) {
        String declared = option.compressed();
        boolean declaresCompression = declared != null && !declared.equals("text");
        if (declaresCompression && !declared.equals("gzip") && !declared.equals("zstd")) {
            throw ForwardProtocolException.malformed("compressed", declared, "gzip, zstd or text");
        }
        if (msg.mode != ForwardMode.PACKED_FORWARD && msg.mode != ForwardMode.COMPRESSED_PACKED_FORWARD) {
            return;
        }
        if (declaresCompression && !declared.equals(msg.sniffed)) {
            throw ForwardProtocolException.malformed(
                    "compressed",
                    declared,
                    (msg.sniffed == null
                            ? "text, as the entries are plain msgpack"
                            : msg.sniffed + ", as the entries are"));
        }
        if (!declaresCompression && msg.sniffed != null) {
            throw ForwardProtocolException.malformed(
                    "compressed",
                    declared == null ? "absent" : declared,
                    msg.sniffed + ", as the entries start with the " + msg.sniffed + " magic bytes");
        }
    }

    // ---------------------------------------------------------------- handshake

    private boolean decodeHandshake(ByteBuf in, List<Object> out) {
        int index = in.readerIndex();
        int max = ForwardDecoderConfig.MAX_OPTION_BYTES;
        int limit = index + Math.min(in.readableBytes(), max);
        int reached = skipper.skip(in, index + msg.scanned, limit, (long) index + max, 0);
        msg.scanned = reached - index;
        if (!skipper.isDone()) {
            if (skipper.isOverflow() || msg.scanned >= max) {
                throw new ForwardProtocolException(
                        ErrorReason.HANDSHAKE, "ping: more than " + max + " bytes (expected: <= " + max + " bytes)");
            }
            return false;
        }
        PingRequest ping = PingParser.parse(in, index, reached);
        skipInput(in, msg.scanned);
        msg = null;
        handshakePending = false;
        state = State.MESSAGE;
        out.add(ping);
        return true;
    }

    // ---------------------------------------------------------------- helpers

    private void startMessage() {
        releaseMessage();
        msg = new MessageInProgress(consumedBytes);
    }

    private void releaseMessage() {
        if (acc != null) {
            acc.release();
        }
    }

    private void skipInput(ByteBuf in, int bytes) {
        in.skipBytes(bytes);
        consumedBytes += bytes;
    }

    private void poison(ByteBuf in) {
        state = State.BAD;
        yielded = false;
        releaseMessage();
        parser.reset(false);
        skipper.reset();
        // msg is kept (its counters only) for decodeLast's message and decompressedBytes()
        if (plain != null) {
            plain.release();
            plain = null;
        }
        in.skipBytes(in.readableBytes());
    }

    private String tagString(ByteBuf in, int index, int length) {
        byte[] last = lastTagBytes;
        if (last != null && last.length == length) {
            boolean same = true;
            for (int i = 0; i < length; i++) {
                if (in.getByte(index + i) != last[i]) {
                    same = false;
                    break;
                }
            }
            if (same) {
                return lastTag;
            }
        }
        byte[] bytes = new byte[length];
        in.getBytes(index, bytes);
        String decoded;
        try {
            decoded = utf8.reset().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw ForwardProtocolException.malformed("tag", "invalid UTF-8 (" + e.getMessage() + ")", "a UTF-8 str");
        }
        lastTagBytes = bytes;
        lastTag = config.addTagPrefix() == null ? decoded : config.addTagPrefix() + "." + decoded;
        return lastTag;
    }
}
