package org.kinesisaggregator.server.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.kinesisaggregator.server.testing.Mp.concat;
import static org.kinesisaggregator.server.testing.Mp.entries;
import static org.kinesisaggregator.server.testing.Mp.map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp.Time;

/**
 * {@link EntriesScanner} on its own, set up as {@link MsgpackForwardDecoder} sets up its input scanner:
 * what it consumes (and reports), what it keeps as slices of the source and what it rewrites.
 */
@ExtendWith(LeakCheck.class)
class EntriesScannerTest {
    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05.123456789Z");
    private static final ForwardDecoderConfig CONFIG = ForwardDecoderConfig.defaults(Clock.fixed(NOW, ZoneOffset.UTC));
    private static final String TAG = "scan";

    /** A scanner of the input with the decoder's onConsumed: the byte count, and PackedForward's entries length. */
    private static final class Input implements AutoCloseable {
        final EntryParser parser;
        final EntriesAccumulator acc = new EntriesAccumulator(ByteBufAllocator.DEFAULT);
        final EntriesScanner scanner;
        final List<Object> out = new ArrayList<>();
        long consumed;

        Input(ForwardDecoderConfig config) {
            this(config, n -> false);
        }

        Input(ForwardDecoderConfig config, LongPredicate overChunkSizeLimit) {
            parser = new EntryParser(config.maxDepth(), config.maxEventBytes());
            scanner = new EntriesScanner(
                    config,
                    parser,
                    acc,
                    new RecordRewriter(config.maxDepth()),
                    null,
                    (m, n) -> {
                        consumed += n;
                        if (m.mode == ForwardMode.PACKED_FORWARD) {
                            m.entriesRemaining -= n;
                        }
                    },
                    overChunkSizeLimit);
        }

        MessageInProgress packed(long entriesLength) {
            MessageInProgress msg = new MessageInProgress(0);
            msg.tag = TAG;
            msg.mode = ForwardMode.PACKED_FORWARD;
            msg.entriesRemaining = entriesLength;
            parser.reset(false);
            return msg;
        }

        MessageInProgress forward(long entries) {
            MessageInProgress msg = new MessageInProgress(0);
            msg.tag = TAG;
            msg.mode = ForwardMode.FORWARD;
            msg.entriesLeft = entries;
            parser.reset(false);
            return msg;
        }

        /** What the accumulator holds, as bytes (the accumulator is emptied). */
        byte[] take() {
            ByteBuf taken = acc.take();
            try {
                return bytes(taken);
            } finally {
                taken.release();
            }
        }

        @Override
        public void close() {
            acc.release();
            out.forEach(ReferenceCountUtil::release);
        }
    }

    private static byte[] bytes(ByteBuf buf) {
        byte[] b = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), b);
        return b;
    }

    /** {@code prefix}, then {@code body}, then {@code suffix} in a heap buffer whose reader index is at {@code body}. */
    private static ByteBuf source(byte[] prefix, byte[] body, byte[] suffix) {
        ByteBuf src = Unpooled.buffer(prefix.length + body.length + suffix.length);
        src.writeBytes(prefix).writeBytes(body).writeBytes(suffix);
        src.readerIndex(prefix.length);
        return src;
    }

    private static Map<String, Object> rec(Object... kv) {
        return map(kv);
    }

    private static final byte[] PREFIX = {(byte) 0x92, (byte) 0xa1, 't'};
    // bytes after the entries (the option, the next message): never consumed by the scanner
    private static final byte[] SUFFIX = {(byte) 0x81, (byte) 0xa1, 'k', 1};

    @Test
    void aRunOfVerbatimEntriesIsOneRetainedSliceOfTheSourceAndEveryConsumedByteIsReported() {
        byte[] entries =
                entries(1_700_000_000L, rec("a", 1L), new Time(1_700_000_001L, 5), rec("b", "x"), 12.5d, rec());
        ByteBuf src = source(PREFIX, entries, SUFFIX);
        try (Input input = new Input(CONFIG)) {
            MessageInProgress msg = input.packed(entries.length);

            assertThat(input.scanner.scan(src, msg, input.out)).isEqualTo(EntriesScanner.Result.DONE);
            // the run stays in the source until flushed
            assertThat(src.readerIndex()).isEqualTo(PREFIX.length);
            assertThat(msg.runBytes).isEqualTo(entries.length);
            assertThat(msg.runEvents).isEqualTo(3);
            assertThat(input.consumed).isZero();
            input.scanner.flushRun(src, msg);

            assertThat(src.readerIndex() - PREFIX.length).isEqualTo(entries.length);
            assertThat(input.consumed).isEqualTo(entries.length);
            assertThat(msg.entriesRemaining).isZero();
            assertThat(msg.runBytes).isZero();
            assertThat(msg.eventCount).isEqualTo(3);
            assertThat(input.acc.events()).isEqualTo(3);
            assertThat(input.out).isEmpty();
            ByteBuf taken = input.acc.take();
            try {
                // no copy: the very bytes of the source, which the slice keeps alive
                assertThat(taken.hasArray()).isTrue();
                assertThat(taken.array()).isSameAs(src.array());
                assertThat(taken.arrayOffset()).isEqualTo(src.arrayOffset() + PREFIX.length);
                assertThat(src.refCnt()).isEqualTo(2);
                assertThat(bytes(taken)).isEqualTo(entries);
            } finally {
                taken.release();
            }
            assertThat(src.refCnt()).isEqualTo(1);
        } finally {
            src.release();
        }
    }

    @Test
    void anEntryWithANilTimeIsRewrittenIntoTheScratchBetweenSlicesOfItsNeighbours() {
        byte[] first = entries(1L, rec("a", 1L));
        byte[] nil = entries(null, rec("b", 2L));
        byte[] last = entries(3L, rec("c", 3L));
        byte[] body = concat(first, nil, last);
        ByteBuf src = source(PREFIX, body, SUFFIX);
        try (Input input = new Input(CONFIG)) {
            MessageInProgress msg = input.packed(body.length);

            assertThat(input.scanner.scan(src, msg, input.out)).isEqualTo(EntriesScanner.Result.DONE);
            input.scanner.flushRun(src, msg);

            assertThat(src.readerIndex() - PREFIX.length).isEqualTo(body.length);
            assertThat(input.consumed).isEqualTo(body.length);
            assertThat(msg.entriesRemaining).isZero();
            // the neighbours are two retained slices of the source; the rewritten entry is not
            assertThat(src.refCnt()).isEqualTo(3);
            assertThat(input.acc.events()).isEqualTo(3);
            byte[] rewritten = entries(new Time(NOW.getEpochSecond(), NOW.getNano()), rec("b", 2L));
            // nil (1 byte) became an EventTime (10 bytes)
            assertThat(input.acc.bytes()).isEqualTo(body.length + 9);
            assertThat(input.take()).isEqualTo(concat(first, rewritten, last));
            assertThat(src.refCnt()).isEqualTo(1);
        } finally {
            src.release();
        }
    }

    @Test
    void anInvalidEntryIsSkippedAndCountedWithItsNeighboursKept() {
        byte[] first = entries(1L, rec("a", 1L));
        byte[] bad = entries(2L, "not a map");
        byte[] alsoBad = entries("not a time", rec());
        byte[] last = entries(3L, rec("c", 3L));
        byte[] body = concat(first, bad, last, alsoBad);
        ByteBuf src = source(PREFIX, body, SUFFIX);
        try (Input input = new Input(CONFIG)) {
            MessageInProgress msg = input.packed(body.length);

            assertThat(input.scanner.scan(src, msg, input.out)).isEqualTo(EntriesScanner.Result.DONE);
            input.scanner.flushRun(src, msg);

            assertThat(msg.eventCount).isEqualTo(2);
            assertThat(msg.skippedEvents).isEqualTo(2);
            assertThat(msg.firstSkipReason).isEqualTo("event 2: record: str (expected: map)");
            assertThat(src.readerIndex() - PREFIX.length).isEqualTo(body.length);
            assertThat(input.consumed).isEqualTo(body.length);
            assertThat(input.take()).isEqualTo(concat(first, last));
        } finally {
            src.release();
        }
    }

    @Test
    void anInvalidEntryRefusesTheMessageWithoutSkipInvalidEvent() {
        byte[] body = concat(entries(1L, rec("a", 1L), 2L, rec("b", 2L)), entries(3L, List.of(1L)));
        ByteBuf src = source(PREFIX, body, SUFFIX);
        try (Input input = new Input(CONFIG.toBuilder().skipInvalidEvent(false).build())) {
            MessageInProgress msg = input.packed(body.length);

            Throwable t = catchThrowable(() -> input.scanner.scan(src, msg, input.out));

            assertThat(t)
                    .isInstanceOf(ForwardProtocolException.class)
                    .hasMessage("event 3: record: array (expected: map)");
            assertThat(((ForwardProtocolException) t).reason()).isEqualTo(ErrorReason.INVALID_EVENT);
            assertThat(msg.skippedEvents).isZero();
        } finally {
            src.release();
        }
    }

    @Test
    void pastTheStreamThresholdAStreamStartIsFollowedByPiecesOfWholeEvents() {
        int threshold = 100;
        int pieceBytes = 150;
        List<byte[]> each = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            each.add(entries(1_700_000_000L + i, rec("i", (long) i, "pad", "p".repeat(i % 7))));
        }
        byte[] body = concat(each.toArray(byte[][]::new));
        Set<Integer> boundaries = new HashSet<>();
        int at = 0;
        for (byte[] e : each) {
            at += e.length;
            boundaries.add(at);
        }
        ByteBuf src = source(PREFIX, body, SUFFIX);
        try (Input input =
                new Input(CONFIG.toBuilder().streaming(threshold, pieceBytes).build())) {
            MessageInProgress msg = input.packed(body.length);

            assertThat(input.scanner.scan(src, msg, input.out)).isEqualTo(EntriesScanner.Result.DONE);
            input.scanner.flushRun(src, msg);

            assertThat(msg.streaming).isTrue();
            assertThat(input.out.get(0)).isEqualTo(new StreamStart(TAG, ForwardMode.PACKED_FORWARD));
            List<Object> pieces = input.out.subList(1, input.out.size());
            assertThat(pieces)
                    .hasSizeGreaterThan(1)
                    .allSatisfy(p -> assertThat(p).isInstanceOf(StreamPiece.class));
            List<Event> events = new ArrayList<>();
            byte[] streamed = new byte[0];
            for (int i = 0; i < pieces.size(); i++) {
                StreamPiece piece = (StreamPiece) pieces.get(i);
                // every piece is emitted once it reached the threshold (the first) or the piece size
                assertThat(piece.content().readableBytes()).isGreaterThanOrEqualTo(i == 0 ? threshold : pieceBytes);
                events.addAll(Event.decode(TAG, piece.content().nioBuffer(), piece.eventCount()));
                streamed = concat(streamed, bytes(piece.content()));
                assertThat(boundaries).as("piece %d ends at an entry's end", i).contains(streamed.length);
            }
            int rest = input.acc.events();
            byte[] tail = input.take();
            events.addAll(Event.decode(TAG, ByteBuffer.wrap(tail), rest));
            assertThat(concat(streamed, tail)).isEqualTo(body);
            assertThat(events).hasSize(20);
            assertThat(events.get(19)).isEqualTo(Event.of(TAG, 1_700_000_019L, 0, rec("i", 19L, "pad", "ppppp")));
            assertThat(input.consumed).isEqualTo(body.length);
        } finally {
            src.release();
        }
    }

    @Test
    void forwardModeOverChunkSizeLimitReleasesTheAccumulatorAndConsumesTheRun() {
        byte[] first = entries(1L, rec("a", 1L));
        byte[] nil = entries(null, rec("b", 2L));
        byte[] third = entries(3L, rec("c", "ccc"));
        byte[] fourth = entries(4L, rec("d", 4L));
        byte[] body = concat(first, nil, third, fourth);
        long limit = first.length + nil.length + third.length - 1;
        ByteBuf src = source(PREFIX, body, SUFFIX);
        Input[] self = new Input[1];
        // as the decoder's: the message's bytes consumed so far plus the run not yet consumed
        try (Input input = new Input(CONFIG, run -> self[0].consumed + run > limit)) {
            self[0] = input;
            MessageInProgress msg = input.forward(4);

            EntriesScanner.Result result = input.scanner.scan(src, msg, input.out);

            assertThat(result).isEqualTo(EntriesScanner.Result.OVER_CHUNK_SIZE_LIMIT);
            assertThat(msg.dropped).isTrue();
            assertThat(msg.runBytes).isZero();
            assertThat(msg.runEvents).isZero();
            // the fourth entry is left for the decoder to discard
            assertThat(msg.entriesLeft).isEqualTo(1);
            assertThat(input.acc.isEmpty()).isTrue();
            assertThat(input.acc.bytes()).isZero();
            assertThat(input.acc.events()).isZero();
            // the slice of the first entry went with the rewritten second one
            assertThat(src.refCnt()).isEqualTo(1);
            int moved = src.readerIndex() - PREFIX.length;
            assertThat(moved).isEqualTo(first.length + nil.length + third.length);
            assertThat(input.consumed).isEqualTo(moved);
            assertThat(input.out).isEmpty();
        } finally {
            src.release();
        }
    }

    @Test
    void aSplitEntryNeedsMoreAndTheScanResumesWhereItStoppedAtEverySplitPoint() {
        byte[] first = entries(1L, rec("a", 1L));
        byte[] nil = entries(null, rec("b", "two"));
        byte[] last = entries(new Time(3, 4), rec("c", List.of(1L, 2L)));
        byte[] body = concat(first, nil, last);
        byte[] rewritten = entries(new Time(NOW.getEpochSecond(), NOW.getNano()), rec("b", "two"));
        for (int cut = 1; cut < body.length; cut++) {
            ByteBuf src = Unpooled.buffer(body.length + SUFFIX.length);
            src.writeBytes(body, 0, cut);
            try (Input input = new Input(CONFIG)) {
                MessageInProgress msg = input.packed(body.length);

                assertThat(input.scanner.scan(src, msg, input.out))
                        .as("cut at %d", cut)
                        .isEqualTo(EntriesScanner.Result.NEED_MORE);
                assertThat(input.consumed).as("cut at %d", cut).isEqualTo(src.readerIndex());
                assertThat(src.readerIndex() + msg.runBytes)
                        .as("cut at %d", cut)
                        .isLessThanOrEqualTo(cut);

                src.writeBytes(body, cut, body.length - cut).writeBytes(SUFFIX);
                assertThat(input.scanner.scan(src, msg, input.out))
                        .as("cut at %d", cut)
                        .isEqualTo(EntriesScanner.Result.DONE);
                input.scanner.flushRun(src, msg);

                assertThat(src.readerIndex()).isEqualTo(body.length);
                assertThat(input.consumed).isEqualTo(body.length);
                assertThat(msg.eventCount).isEqualTo(3);
                assertThat(input.take()).as("cut at %d", cut).isEqualTo(concat(first, rewritten, last));
            } finally {
                src.release();
            }
        }
    }

    @Test
    void forwardModeNeedsMoreOnASplitEntryAndEndsAfterItsCountOfEntries() {
        byte[] body = entries(1L, rec("a", 1L), 2L, rec("b", 2L));
        int cut = body.length - 3;
        ByteBuf src = Unpooled.buffer();
        src.writeBytes(body, 0, cut);
        try (Input input = new Input(CONFIG)) {
            MessageInProgress msg = input.forward(2);

            assertThat(input.scanner.scan(src, msg, input.out)).isEqualTo(EntriesScanner.Result.NEED_MORE);
            assertThat(msg.entriesLeft).isEqualTo(1);

            // the entries are followed by more bytes, which the count of entries leaves alone
            src.writeBytes(body, cut, body.length - cut).writeBytes(SUFFIX);
            assertThat(input.scanner.scan(src, msg, input.out)).isEqualTo(EntriesScanner.Result.DONE);
            input.scanner.flushRun(src, msg);

            assertThat(msg.entriesLeft).isZero();
            assertThat(src.readerIndex()).isEqualTo(body.length);
            assertThat(input.consumed).isEqualTo(body.length);
            assertThat(input.take()).isEqualTo(body);
        } finally {
            src.release();
        }
    }

    @Test
    void entriesWhoseDeclaredLengthEndsInsideAnEntryAreMalformed() {
        byte[] first = entries(1L, rec("a", 1L));
        byte[] second = entries(2L, rec("b", 2L));
        byte[] body = concat(first, second);
        // the declared length ends after the second entry's array header
        ByteBuf src = source(PREFIX, body, SUFFIX);
        try (Input input = new Input(CONFIG)) {
            MessageInProgress msg = input.packed(first.length + 1);

            Throwable t = catchThrowable(() -> input.scanner.scan(src, msg, input.out));

            assertThat(t)
                    .isInstanceOf(ForwardProtocolException.class)
                    .hasMessage("entries: a truncated event at the end of the entries"
                            + " (expected: whole events inside the declared entries length)");
            assertThat(((ForwardProtocolException) t).reason()).isEqualTo(ErrorReason.MALFORMED);
        } finally {
            src.release();
        }
    }
}
