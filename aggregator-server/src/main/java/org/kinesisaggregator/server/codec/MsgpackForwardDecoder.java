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
import java.util.ArrayList;
import java.util.List;

/**
 * Streaming decoder of the Fluentd forward protocol v1 in msgpack: an explicit state machine over
 * the cumulated input that copes with any split point and any number of messages per read.
 * {@link ProtocolSniffer} installs it when a connection's first byte is not JSON.
 *
 * <p>Emits, in order: {@link ForwardEvents} (a whole message), or {@link StreamStart},
 * {@link StreamPiece}s and {@link StreamEnd} (a message whose entries exceed
 * {@link ForwardDecoderConfig#streamThresholdBytes()}: only the incomplete tail event is held in
 * memory), {@link MessageDropped} ({@code chunk_size_limit}), {@link PingRequest} (the first message
 * when a handshake is expected). A msgpack {@code nil} message is a no-op.
 *
 * <p>This class frames messages (array header, tag, mode, option) and the handshake PING. Entries
 * are scanned by an {@link EntriesScanner} of the input and kept exactly as received (PackedForward
 * runs are retained slices of the input); only entries whose time is nil/0, Fluent Bit
 * {@code [[time, metadata], record]} entries and Message-mode events are re-encoded.
 * CompressedPackedForward entries (gzip members, zstd frames; recognised by their magic bytes and
 * checked against the {@code compressed} option, which comes after them) are inflated in bounded
 * steps and scanned by the {@link CompressedEntriesReader}.
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
 * (the state, the connection's byte count, the accumulator, the compressed-entries reader, the
 * slice bookkeeping). The option map and the handshake PING are read by the stateless
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
public final class MsgpackForwardDecoder extends ByteToMessageDecoder implements ForwardDecoder {

    private enum State {
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
        BAD
    }

    private static final long UNBOUNDED = Long.MAX_VALUE;

    /**
     * Most bytes one turn decompresses (and so scans): about a millisecond of one core. Small enough
     * that a connection inflating a bomb delays its loop's other channels by little per pass, big
     * enough that an honest compressed stream needs few passes per MiB.
     */
    public static final int DECOMPRESSION_SLICE_BYTES = 256 * 1024;

    private final ForwardDecoderConfig config;
    private final int sliceBytes;
    private final EntryParser parser;
    private final MsgpackSkipper skipper;
    private final OptionParser optionParser;
    private final RecordRewriter rewriter;
    private final byte[] metadataKey;
    private final CompressedEntriesReader.Slice slice = new CompressedEntriesReader.Slice();
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    private EntriesAccumulator acc;
    private EntriesScanner inputScanner;
    private CompressedEntriesReader compressed;
    private State state = State.MESSAGE;
    private boolean handshakePending;
    private long consumedBytes;

    // the message being decoded: null between messages, kept after an error (decodeLast reads it)
    private MessageInProgress msg;

    private byte[] lastTagBytes;
    private String lastTag;

    // slices: what this turn may still decompress, and whether the decoder yielded with work left
    private ChannelHandlerContext ctx;
    private boolean yielded;
    private boolean inputShutdownPending;

    public MsgpackForwardDecoder(ForwardDecoderConfig config) {
        this(config, DECOMPRESSION_SLICE_BYTES);
    }

    /** With another slice bound than {@link #DECOMPRESSION_SLICE_BYTES} (tests). */
    MsgpackForwardDecoder(ForwardDecoderConfig config, int sliceBytes) {
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
        this.slice.bytesLeft = sliceBytes;
    }

    /**
     * Bytes the message being decoded (or the one that failed) has decompressed to so far; 0 if it
     * is not compressed or between messages.
     */
    long decompressedBytes() {
        return msg == null ? 0 : msg.decompressedBytes;
    }

    @Override
    public boolean hasBacklog() {
        return yielded && state != State.BAD;
    }

    @Override
    public void resume() {
        if (!hasBacklog() || ctx == null || ctx.isRemoved()) {
            return;
        }
        yielded = false;
        slice.bytesLeft = sliceBytes;
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
            slice.bytesLeft = sliceBytes;
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

    @Override
    public boolean isMidMessage() {
        if (actualReadableBytes() > 0) {
            return true;
        }
        return switch (state) {
            case MESSAGE, BAD -> false;
            case HANDSHAKE -> msg.scanned > 0;
            default -> true;
        };
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        acc = new EntriesAccumulator(ctx.alloc());
        inputScanner = new EntriesScanner(
                config, parser, acc, rewriter, metadataKey, this::inputEntriesConsumed, this::exceedsChunkSizeLimit);
        compressed = new CompressedEntriesReader(
                config,
                parser,
                acc,
                rewriter,
                metadataKey,
                ctx.alloc(),
                slice,
                n -> consumedBytes += n,
                () -> consumedBytes);
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
        } catch (RuntimeException e) {
            poison(in);
            throw ForwardProtocolException.of(e);
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.isReadable()) {
            decode(ctx, in, out);
        }
        if (state != State.BAD && (in.isReadable() || isMidMessage())) {
            long received = consumedBytes - msg.start + in.readableBytes();
            String tag = msg.tag;
            poison(in);
            throw ForwardProtocolException.truncated(received, tag);
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        releaseMessage();
        if (compressed != null) {
            compressed.close();
        }
    }

    private boolean step(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        return switch (state) {
            case MESSAGE -> decodeMessageStart(in);
            case HANDSHAKE -> decodeHandshake(in, out);
            case TAG -> decodeTag(in);
            case MODE -> decodeMode(in);
            case MESSAGE_EVENT, FORWARD_ENTRIES, PACKED_ENTRIES -> decodeEntries(in, out);
            case PACKED_SNIFF -> decodePackedSniff(in);
            case COMPRESSED_ENTRIES -> decodeCompressedEntries(in, out);
            case DISCARD_ENTRIES -> decodeDiscardEntries(in, out);
            case OPTION -> decodeOption(in, out);
            case BAD -> {
                in.skipBytes(in.readableBytes());
                yield false;
            }
        };
    }

    // ---------------------------------------------------------------- message framing

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
        switch (compressed.sniff(in, msg)) {
            case NEED_MORE -> {
                return false;
            }
            case COMPRESSED -> state = State.COMPRESSED_ENTRIES;
            case PLAIN -> state = State.PACKED_ENTRIES;
        }
        return true;
    }

    // ---------------------------------------------------------------- entries

    private boolean decodeEntries(ByteBuf in, List<Object> out) {
        return switch (inputScanner.scan(in, msg, out)) {
            case NEED_MORE -> false;
            case DONE -> {
                inputScanner.flushRun(in, msg);
                finishEntries(out);
                yield true;
            }
            case OVER_CHUNK_SIZE_LIMIT -> {
                // the rest of the message is read and dropped
                skipper.begin(msg.entriesLeft);
                state = State.DISCARD_ENTRIES;
                yield true;
            }
        };
    }

    private boolean decodeCompressedEntries(ByteBuf in, List<Object> out) {
        return switch (compressed.read(in, msg, out)) {
            case NEED_MORE -> false;
            case SLICE_SPENT -> {
                // this turn's slice is spent: let the event loop serve its other channels first
                yielded = true;
                yield false;
            }
            case DONE -> {
                finishEntries(out);
                yield true;
            }
        };
    }

    /** What the input's entries scanner consumed: the connection's bytes, and PackedForward's declared length. */
    private void inputEntriesConsumed(MessageInProgress m, int bytes) {
        consumedBytes += bytes;
        if (m.mode == ForwardMode.PACKED_FORWARD) {
            m.entriesRemaining -= bytes;
        }
    }

    /** Every entry is in the accumulator: the option comes next, or the message is complete. */
    private void finishEntries(List<Object> out) {
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
        finishEntries(out);
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
        if (compressed != null) {
            compressed.releasePlain();
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
