package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import java.time.Instant;
import java.util.List;
import java.util.function.LongPredicate;
import java.util.function.ObjIntConsumer;

/**
 * Validates the entries of the message being decoded from one source of bytes, growing the run of
 * verbatim entries, rewriting or skipping the others, and emitting {@link StreamStart} and
 * {@link StreamPiece}s when the message grows past the stream threshold.
 *
 * <p>There is one scanner per source: {@link MsgpackForwardDecoder}'s input (the socket's bytes:
 * what it consumes counts towards the connection's bytes and, in PackedForward, the entries'
 * declared length) and {@link CompressedEntriesReader}'s decompressed bytes (which count towards
 * neither). The difference is only what happens when bytes are consumed ({@code onConsumed}) and
 * whether Forward mode's {@code chunk_size_limit} can be reached ({@code overChunkSizeLimit}), so
 * both are given at construction instead of being passed around as a flag.
 *
 * <p>The run of verbatim entries is counted in {@link MessageInProgress#runBytes} and stays in the
 * source until {@link #flushRun} moves it into the accumulator as one retained slice.
 *
 * <p>Not thread-safe; owned by the connection's decoder and confined to its event loop. Shares the
 * decoder's {@link EntryParser} and {@link EntriesAccumulator}: only one scanner works on a message
 * at a time.
 */
final class EntriesScanner {
    private static final long UNBOUNDED = Long.MAX_VALUE;

    /** What one {@link #scan} call ended with. */
    enum Result {
        /** The bytes available end inside an entry (or the entries go on past them). */
        NEED_MORE,
        /** Every entry of the message has been scanned. */
        DONE,
        /** Forward mode went over {@code chunk_size_limit}: the run was dropped, the rest must be discarded. */
        OVER_CHUNK_SIZE_LIMIT
    }

    private final ForwardDecoderConfig config;
    private final EntryParser parser;
    private final EntriesAccumulator acc;
    private final RecordRewriter rewriter;
    private final byte[] metadataKey;
    private final ObjIntConsumer<MessageInProgress> onConsumed;
    private final LongPredicate overChunkSizeLimit;

    EntriesScanner(
            ForwardDecoderConfig config,
            EntryParser parser,
            EntriesAccumulator acc,
            RecordRewriter rewriter,
            byte[] metadataKey,
            ObjIntConsumer<MessageInProgress> onConsumed,
            LongPredicate overChunkSizeLimit) {
        this.config = config;
        this.parser = parser;
        this.acc = acc;
        this.rewriter = rewriter;
        this.metadataKey = metadataKey;
        this.onConsumed = onConsumed;
        this.overChunkSizeLimit = overChunkSizeLimit;
    }

    /** Scans entries of {@code msg} from {@code src}'s reader index on, adding stream pieces to {@code out}. */
    Result scan(ByteBuf src, MessageInProgress msg, List<Object> out) {
        while (true) {
            boolean counted = msg.mode == ForwardMode.FORWARD || msg.mode == ForwardMode.MESSAGE;
            if (counted && msg.entriesLeft == 0) {
                return Result.DONE;
            }
            long bytesLeft = msg.mode == ForwardMode.PACKED_FORWARD ? msg.entriesRemaining : UNBOUNDED;
            if (bytesLeft != UNBOUNDED && msg.runBytes == bytesLeft && parser.isIdle()) {
                return Result.DONE;
            }
            int base = src.readerIndex();
            long available = Math.min(src.readableBytes(), bytesLeft);
            int entryStart = base + msg.runBytes;
            int limit = (int) (base + available);
            long bound = bytesLeft == UNBOUNDED ? UNBOUNDED : base + bytesLeft;
            int result = parser.parse(src, entryStart, limit, bound);
            if (result == EntryParser.NEED_MORE) {
                if (!config.skipInvalidEvent() && parser.invalidReason() != null) {
                    throw refusal(msg, parser.invalidReason());
                }
                if (parser.isDiscarding()) {
                    flushRun(src, msg);
                    int walked = parser.position();
                    if (walked > 0) {
                        consume(src, msg, walked);
                        parser.discarded(walked);
                        continue;
                    }
                    return Result.NEED_MORE;
                }
                if (bytesLeft != UNBOUNDED && available == bytesLeft) {
                    throw ForwardProtocolException.malformed(
                            "entries",
                            "a truncated event at the end of the entries",
                            "whole events inside the declared entries length");
                }
                return Result.NEED_MORE;
            }
            int length = parser.position();
            if (result == EntryParser.VALID) {
                if (parser.isVerbatim()) {
                    msg.runBytes += length;
                    msg.runEvents++;
                } else {
                    flushRun(src, msg);
                    writeRewritten(src, src.readerIndex(), length);
                    consume(src, msg, length);
                }
                msg.eventCount++;
            } else {
                if (!config.skipInvalidEvent()) {
                    throw refusal(msg, parser.invalidReason());
                }
                flushRun(src, msg);
                consume(src, msg, length);
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
            if (msg.mode == ForwardMode.FORWARD && overChunkSizeLimit.test(msg.runBytes)) {
                // the run goes; the caller reads the rest of the message and drops it
                consume(src, msg, msg.runBytes);
                msg.runBytes = 0;
                msg.runEvents = 0;
                acc.release();
                msg.dropped = true;
                return Result.OVER_CHUNK_SIZE_LIMIT;
            }
            maybeEmitPiece(src, msg, out);
        }
    }

    /** Moves the run of verbatim entries scanned so far into the accumulator (a retained slice of {@code src}). */
    void flushRun(ByteBuf src, MessageInProgress msg) {
        if (msg.runBytes == 0) {
            return;
        }
        int bytes = msg.runBytes;
        ByteBuf run = src.readRetainedSlice(bytes);
        onConsumed.accept(msg, bytes);
        acc.addRun(run, msg.runEvents);
        msg.runBytes = 0;
        msg.runEvents = 0;
    }

    private static ForwardProtocolException refusal(MessageInProgress msg, String reason) {
        return new ForwardProtocolException(
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

    private void consume(ByteBuf src, MessageInProgress msg, int bytes) {
        src.skipBytes(bytes);
        onConsumed.accept(msg, bytes);
    }

    private void maybeEmitPiece(ByteBuf src, MessageInProgress msg, List<Object> out) {
        if (msg.mode == ForwardMode.MESSAGE) {
            return;
        }
        long pending = acc.bytes() + msg.runBytes;
        if (!msg.streaming) {
            if (pending >= config.streamThresholdBytes()) {
                msg.streaming = true;
                out.add(new StreamStart(msg.tag, msg.mode));
                emitPiece(src, msg, out);
            }
        } else if (pending >= config.pieceBytes()) {
            emitPiece(src, msg, out);
        }
    }

    private void emitPiece(ByteBuf src, MessageInProgress msg, List<Object> out) {
        flushRun(src, msg);
        int events = acc.events();
        if (events > 0) {
            out.add(new StreamPiece(acc.take(), events));
        }
    }
}
