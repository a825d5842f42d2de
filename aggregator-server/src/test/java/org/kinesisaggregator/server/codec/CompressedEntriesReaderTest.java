package org.kinesisaggregator.server.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.kinesisaggregator.server.testing.Mp.concat;
import static org.kinesisaggregator.server.testing.Mp.entries;
import static org.kinesisaggregator.server.testing.Mp.map;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp;

/**
 * {@link CompressedEntriesReader} on its own, set up as {@link MsgpackForwardDecoder} sets it up: sniffing,
 * inflating in slices, its limits and errors, and the plain buffer it owns.
 */
@ExtendWith(LeakCheck.class)
class CompressedEntriesReaderTest {
    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");
    private static final ForwardDecoderConfig CONFIG = ForwardDecoderConfig.defaults(Clock.fixed(NOW, ZoneOffset.UTC));
    private static final String TAG = "z";
    private static final List<Function<byte[], byte[]>> COMPRESSIONS = List.of(Mp::gzip, Mp::zstd);

    /** An allocator that remembers what it handed out, to see that every buffer was released. */
    private static final class RecordingAllocator extends AbstractByteBufAllocator {
        final List<ByteBuf> allocated = new ArrayList<>();

        RecordingAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf buf = new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
            allocated.add(buf);
            return buf;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf buf = new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity);
            allocated.add(buf);
            return buf;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }

        long alive() {
            return allocated.stream().filter(b -> b.refCnt() > 0).count();
        }
    }

    /** A reader with the decoder's wiring: the input bytes it consumes are the connection's. */
    private static final class Reader implements AutoCloseable {
        final RecordingAllocator alloc = new RecordingAllocator();
        final EntryParser parser;
        final EntriesAccumulator acc = new EntriesAccumulator(alloc);
        final CompressedEntriesReader.Slice slice = new CompressedEntriesReader.Slice();
        final CompressedEntriesReader reader;
        final List<Object> out = new ArrayList<>();
        long wire;

        Reader(ForwardDecoderConfig config) {
            parser = new EntryParser(config.maxDepth(), config.maxEventBytes());
            reader = new CompressedEntriesReader(
                    config,
                    parser,
                    acc,
                    new RecordRewriter(config.maxDepth()),
                    null,
                    alloc,
                    slice,
                    n -> wire += n,
                    () -> wire);
            slice.bytesLeft = Long.MAX_VALUE;
        }

        /** A PackedForward message whose entries are {@code length} bytes, not sniffed yet. */
        MessageInProgress packed(long length) {
            MessageInProgress msg = new MessageInProgress(0);
            msg.tag = TAG;
            msg.mode = ForwardMode.PACKED_FORWARD;
            msg.entriesRemaining = length;
            parser.reset(false);
            return msg;
        }

        /** Sniffs {@code in} as compressed entries of {@code length} bytes. */
        MessageInProgress compressed(ByteBuf in, long length) {
            MessageInProgress msg = packed(length);
            assertThat(reader.sniff(in, msg)).isEqualTo(CompressedEntriesReader.Sniff.COMPRESSED);
            return msg;
        }

        /** The entries in the accumulator (and the pieces emitted before), as bytes. */
        byte[] entries() {
            byte[] all = new byte[0];
            for (Object o : out) {
                if (o instanceof StreamPiece p) {
                    all = concat(all, bytes(p.content()));
                }
            }
            ByteBuf taken = acc.take();
            try {
                return concat(all, bytes(taken));
            } finally {
                taken.release();
            }
        }

        @Override
        public void close() {
            acc.release();
            out.forEach(ReferenceCountUtil::release);
            out.clear();
            reader.close();
        }
    }

    private static byte[] bytes(ByteBuf buf) {
        byte[] b = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), b);
        return b;
    }

    /** {@code n} entries of about {@code pad} bytes each. */
    private static byte[] plainEntries(int n, int pad) {
        List<Object> pairs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            pairs.add(1_700_000_000L + i);
            pairs.add(map("i", (long) i, "pad", "x".repeat(pad + i % 13)));
        }
        return entries(pairs.toArray());
    }

    private static List<Event> events(byte[] entries, int count) {
        return Event.decode(TAG, ByteBuffer.wrap(entries), count);
    }

    @Test
    void sniffWaitsForFourBytesOrTheWholeEntries() {
        byte[] gzip = Mp.gzip(plainEntries(3, 1));
        byte[] zstd = Mp.zstd(plainEntries(3, 1));
        byte[] plain = plainEntries(3, 1);
        try (Reader r = new Reader(CONFIG)) {
            for (byte[] entries : List.of(gzip, zstd, plain)) {
                for (int n = 0; n < 4; n++) {
                    ByteBuf in = Unpooled.wrappedBuffer(entries, 0, n);
                    MessageInProgress msg = r.packed(entries.length);
                    assertThat(r.reader.sniff(in, msg))
                            .as("%d bytes", n)
                            .isEqualTo(CompressedEntriesReader.Sniff.NEED_MORE);
                    assertThat(msg.mode).isEqualTo(ForwardMode.PACKED_FORWARD);
                    assertThat(msg.sniffed).isNull();
                    assertThat(msg.decompressor).isNull();
                }
            }
            // entries of 2 bytes: the gzip magic needs both, zstd's cannot fit
            MessageInProgress two = r.packed(2);
            assertThat(r.reader.sniff(Unpooled.wrappedBuffer(gzip, 0, 1), two))
                    .isEqualTo(CompressedEntriesReader.Sniff.NEED_MORE);
            assertThat(r.reader.sniff(Unpooled.wrappedBuffer(gzip, 0, 2), two))
                    .isEqualTo(CompressedEntriesReader.Sniff.COMPRESSED);
            assertThat(two.sniffed).isEqualTo("gzip");
            MessageInProgress three = r.packed(3);
            assertThat(r.reader.sniff(Unpooled.wrappedBuffer(zstd, 0, 3), three))
                    .isEqualTo(CompressedEntriesReader.Sniff.PLAIN);
            assertThat(three.mode).isEqualTo(ForwardMode.PACKED_FORWARD);
        }
    }

    @Test
    void sniffTellsPlainFromGzipAndZstdWithoutConsuming() {
        byte[] plain = plainEntries(3, 1);
        try (Reader r = new Reader(CONFIG)) {
            ByteBuf in = Unpooled.wrappedBuffer(plain);
            MessageInProgress msg = r.packed(plain.length);
            assertThat(r.reader.sniff(in, msg)).isEqualTo(CompressedEntriesReader.Sniff.PLAIN);
            assertThat(msg.mode).isEqualTo(ForwardMode.PACKED_FORWARD);
            assertThat(msg.sniffed).isNull();
            assertThat(msg.decompressor).isNull();
            assertThat(in.readerIndex()).isZero();

            EntriesDecompressor firstGzip = null;
            for (int round = 0; round < 2; round++) {
                ByteBuf gz = Unpooled.wrappedBuffer(Mp.gzip(plain));
                MessageInProgress g = r.packed(gz.readableBytes());
                assertThat(r.reader.sniff(gz, g)).isEqualTo(CompressedEntriesReader.Sniff.COMPRESSED);
                assertThat(g.mode).isEqualTo(ForwardMode.COMPRESSED_PACKED_FORWARD);
                assertThat(g.sniffed).isEqualTo("gzip");
                assertThat(g.decompressor).isInstanceOf(GzipDecompressor.class);
                assertThat(g.decompressedBytes).isZero();
                assertThat(gz.readerIndex()).isZero();
                if (firstGzip == null) {
                    firstGzip = g.decompressor;
                } else {
                    // one decompressor per connection, reused by its messages
                    assertThat(g.decompressor).isSameAs(firstGzip);
                }
            }

            ByteBuf zs = Unpooled.wrappedBuffer(Mp.zstd(plain));
            MessageInProgress z = r.packed(zs.readableBytes());
            assertThat(r.reader.sniff(zs, z)).isEqualTo(CompressedEntriesReader.Sniff.COMPRESSED);
            assertThat(z.mode).isEqualTo(ForwardMode.COMPRESSED_PACKED_FORWARD);
            assertThat(z.sniffed).isEqualTo("zstd");
            assertThat(z.decompressor).isInstanceOf(ZstdDecompressor.class);
            assertThat(zs.readerIndex()).isZero();
        }
    }

    @Test
    void aSmallSliceIsSpentAndTheReadResumesToTheEnd() {
        int sliceBytes = 1000;
        byte[] plain = plainEntries(400, 20);
        for (Function<byte[], byte[]> compression : COMPRESSIONS) {
            byte[] compressed = compression.apply(plain);
            ByteBuf in = Unpooled.wrappedBuffer(compressed);
            try (Reader r = new Reader(CONFIG)) {
                MessageInProgress msg = r.compressed(in, compressed.length);
                int turns = 0;
                CompressedEntriesReader.Result result;
                while (true) {
                    long before = msg.decompressedBytes;
                    r.slice.bytesLeft = sliceBytes;
                    result = r.reader.read(in, msg, r.out);
                    assertThat(msg.decompressedBytes - before)
                            .as("%s turn %d", msg.sniffed, turns)
                            .isLessThanOrEqualTo(sliceBytes);
                    turns++;
                    if (result != CompressedEntriesReader.Result.SLICE_SPENT) {
                        break;
                    }
                    assertThat(r.slice.bytesLeft).isLessThanOrEqualTo(0);
                }

                assertThat(result).as(msg.sniffed).isEqualTo(CompressedEntriesReader.Result.DONE);
                assertThat(turns).as(msg.sniffed).isGreaterThanOrEqualTo(plain.length / sliceBytes);
                assertThat(msg.decompressedBytes).isEqualTo(plain.length);
                assertThat(msg.entriesRemaining).isZero();
                assertThat(msg.eventCount).isEqualTo(400);
                assertThat(r.wire).isEqualTo(compressed.length);
                assertThat(in.isReadable()).isFalse();
                assertThat(r.out).isEmpty();
                byte[] entries = r.entries();
                assertThat(entries).as(msg.sniffed).isEqualTo(plain);
                assertThat(events(entries, 400).get(399))
                        .isEqualTo(Event.of(TAG, 1_700_000_399L, 0, map("i", 399L, "pad", "x".repeat(20 + 399 % 13))));
            }
        }
    }

    @Test
    void compressedEntriesArrivingInPartsNeedMoreUntilTheirEnd() {
        byte[] plain = plainEntries(50, 5);
        for (Function<byte[], byte[]> compression : COMPRESSIONS) {
            byte[] compressed = compression.apply(plain);
            int cut = compressed.length / 2;
            ByteBuf in = Unpooled.buffer(compressed.length);
            in.writeBytes(compressed, 0, cut);
            try (Reader r = new Reader(CONFIG)) {
                MessageInProgress msg = r.compressed(in, compressed.length);

                assertThat(r.reader.read(in, msg, r.out)).isEqualTo(CompressedEntriesReader.Result.NEED_MORE);
                assertThat(r.wire).isEqualTo(cut);
                assertThat(msg.entriesRemaining).isEqualTo(compressed.length - cut);

                in.writeBytes(compressed, cut, compressed.length - cut);
                assertThat(r.reader.read(in, msg, r.out)).isEqualTo(CompressedEntriesReader.Result.DONE);
                assertThat(r.wire).isEqualTo(compressed.length);
                assertThat(r.entries()).as(msg.sniffed).isEqualTo(plain);
            } finally {
                in.release();
            }
        }
    }

    @Test
    void moreThanTheDecompressionSizeLimitFailsOneBytePastIt() {
        long limit = 1000;
        ForwardDecoderConfig config = CONFIG.toBuilder()
                .limits(0, limit, ForwardDecoderConfig.DEFAULT_MAX_EVENT_BYTES)
                .build();
        byte[] plain = plainEntries(200, 10);
        for (Function<byte[], byte[]> compression : COMPRESSIONS) {
            byte[] compressed = compression.apply(plain);
            ByteBuf in = Unpooled.wrappedBuffer(compressed);
            try (Reader r = new Reader(config)) {
                MessageInProgress msg = r.compressed(in, compressed.length);

                Throwable t = catchThrowable(() -> r.reader.read(in, msg, r.out));

                assertThat(t).isInstanceOf(ForwardProtocolException.class);
                assertThat(((ForwardProtocolException) t).reason()).isEqualTo(ErrorReason.DECOMPRESSION);
                assertThat(msg.decompressedBytes).isEqualTo(limit + 1);
                assertThat(r.wire).isPositive().isLessThanOrEqualTo(compressed.length);
                assertThat(t)
                        .as(msg.sniffed)
                        .hasMessage("entries: more than decompression_size_limit 1000 bytes (1001 decompressed so far,"
                                + " from " + r.wire + " bytes on the wire) (expected: <= 1000 bytes decompressed)");
            }
        }
    }

    private static final String TRUNCATED_GZIP = "entries: truncated gzip data (expected: complete gzip members)";
    private static final String TRUNCATED_ZSTD = "entries: truncated zstd data (expected: complete zstd frames)";

    /** Reads {@code entries}, all of the message's declared entries, and returns the failure. */
    private static ForwardProtocolException readFailure(byte[] entries) {
        ByteBuf in = Unpooled.wrappedBuffer(entries);
        try (Reader r = new Reader(CONFIG)) {
            MessageInProgress msg = r.compressed(in, entries.length);
            Throwable t = catchThrowable(() -> r.reader.read(in, msg, r.out));
            assertThat(t)
                    .as("%d bytes of %s", entries.length, msg.sniffed)
                    .isInstanceOf(ForwardProtocolException.class);
            return (ForwardProtocolException) t;
        }
    }

    @Test
    void compressedDataEndingInsideTheDataFailsAsTruncated() {
        byte[] plain = plainEntries(50, 5);
        byte[] gzip = Mp.gzip(plain);
        byte[] zstd = Mp.zstd(plain);
        // cut in the deflate data, right after the header, and where the whole 8-byte trailer is missing
        for (int length : new int[] {gzip.length / 2, 12, gzip.length - 8}) {
            ForwardProtocolException e = readFailure(Arrays.copyOf(gzip, length));
            assertThat(e).as("%d bytes", length).hasMessage(TRUNCATED_GZIP);
            assertThat(e.reason()).isEqualTo(ErrorReason.DECOMPRESSION);
        }
        for (int length : new int[] {zstd.length / 2, 6, zstd.length - 1}) {
            ForwardProtocolException e = readFailure(Arrays.copyOf(zstd, length));
            assertThat(e).as("%d bytes", length).hasMessage(TRUNCATED_ZSTD);
            assertThat(e.reason()).isEqualTo(ErrorReason.DECOMPRESSION);
        }
    }

    /**
     * FAILS on 4daf9d9 (and before it, in ForwardFrameDecoder): entries whose declared length ends
     * inside a gzip member's 8-byte trailer, or inside the 10-byte header of a next member, give
     * {@code used == 0 && produced == 0} from the gzip decompressor, which {@code read} answers with
     * NEED_MORE although every byte of the entries is there: the connection stalls (no error, the
     * next message is not decoded) until it closes (then TRUNCATED) or {@code message_timeout}.
     */
    @Test
    void entriesEndingInsideAGzipTrailerOrAMemberHeaderFailAsTruncated() {
        byte[] plain = plainEntries(50, 5);
        byte[] gzip = Mp.gzip(plain);
        for (byte[] entries : List.of(
                Arrays.copyOf(gzip, gzip.length - 4),
                Arrays.copyOf(gzip, gzip.length - 1),
                concat(gzip, Arrays.copyOf(gzip, 5)))) {
            ForwardProtocolException e = readFailure(entries);
            assertThat(e).as("%d bytes", entries.length).hasMessage(TRUNCATED_GZIP);
            assertThat(e.reason()).isEqualTo(ErrorReason.DECOMPRESSION);
        }

        // seen through the decoder: the whole message and the next one arrived, nothing is decoded or refused
        byte[] bytes = concat(
                Mp.packed(TAG, Arrays.copyOf(gzip, gzip.length - 4), map("compressed", "gzip")),
                Mp.message("next", 1L, map(), null));
        try (DecoderHarness h = new DecoderHarness(CONFIG)) {
            Throwable t = catchThrowable(() -> h.feed(bytes));
            assertThat(t).isInstanceOf(ForwardProtocolException.class).hasMessage(TRUNCATED_GZIP);
        }
    }

    @Test
    void aTruncatedEventAtTheEndOfTheDecompressedEntriesIsMalformed() {
        byte[] plain = plainEntries(20, 5);
        byte[] cutShort = Arrays.copyOf(plain, plain.length - 3);
        for (Function<byte[], byte[]> compression : COMPRESSIONS) {
            byte[] compressed = compression.apply(cutShort);
            ByteBuf in = Unpooled.wrappedBuffer(compressed);
            try (Reader r = new Reader(CONFIG)) {
                MessageInProgress msg = r.compressed(in, compressed.length);

                Throwable t = catchThrowable(() -> r.reader.read(in, msg, r.out));

                assertThat(t)
                        .as(msg.sniffed)
                        .isInstanceOf(ForwardProtocolException.class)
                        .hasMessage("entries: a truncated event at the end of the decompressed entries"
                                + " (expected: whole events)");
                assertThat(((ForwardProtocolException) t).reason()).isEqualTo(ErrorReason.MALFORMED);
                assertThat(msg.eventCount).isEqualTo(19);
            }
        }
    }

    @Test
    void concatenatedGzipMembersAndZstdFramesAreOneStreamOfEntries() {
        byte[] plain = plainEntries(30, 5);
        // the members split the entries inside an event, as a sender cutting its buffer anywhere would
        int at = plain.length / 2 + 1;
        byte[] head = Arrays.copyOfRange(plain, 0, at);
        byte[] middle = Arrays.copyOfRange(plain, at, at + 7);
        byte[] tail = Arrays.copyOfRange(plain, at + 7, plain.length);
        for (byte[] compressed : List.of(Mp.gzip(head, middle, tail), Mp.zstd(head, middle, tail))) {
            ByteBuf in = Unpooled.wrappedBuffer(compressed);
            try (Reader r = new Reader(CONFIG)) {
                MessageInProgress msg = r.compressed(in, compressed.length);

                assertThat(r.reader.read(in, msg, r.out)).isEqualTo(CompressedEntriesReader.Result.DONE);

                assertThat(msg.eventCount).isEqualTo(30);
                byte[] entries = r.entries();
                assertThat(entries).as(msg.sniffed).isEqualTo(plain);
                assertThat(events(entries, 30)).hasSize(30);
            }
        }
    }

    @Test
    void streamedPiecesSharingThePlainBufferSurviveItsMoves() {
        // far more than the plain buffer's first size (2 steps), streamed in pieces that share it
        byte[] plain = plainEntries(8000, 40);
        assertThat(plain.length).isGreaterThan(4 * CompressedEntriesReader.STEP_BYTES);
        ForwardDecoderConfig streaming =
                CONFIG.toBuilder().streaming(16 * 1024, 16 * 1024).build();
        for (Function<byte[], byte[]> compression : COMPRESSIONS) {
            byte[] compressed = compression.apply(plain);
            ByteBuf in = Unpooled.wrappedBuffer(compressed);
            try (Reader r = new Reader(streaming)) {
                MessageInProgress msg = r.compressed(in, compressed.length);

                assertThat(r.reader.read(in, msg, r.out)).isEqualTo(CompressedEntriesReader.Result.DONE);

                assertThat(r.out.get(0)).isEqualTo(new StreamStart(TAG, ForwardMode.COMPRESSED_PACKED_FORWARD));
                assertThat(r.out.size()).isGreaterThan(10);
                // every piece is still readable, and they are the entries in order
                assertThat(r.entries()).as(msg.sniffed).isEqualTo(plain);
            }
        }
    }

    @Test
    void closeReleasesThePlainBuffer() {
        byte[] plain = plainEntries(20, 5);
        byte[] compressed = Mp.gzip(plain);
        ByteBuf in = Unpooled.wrappedBuffer(compressed);
        Reader r = new Reader(CONFIG);
        try {
            MessageInProgress msg = r.compressed(in, compressed.length);
            assertThat(r.reader.read(in, msg, r.out)).isEqualTo(CompressedEntriesReader.Result.DONE);
            assertThat(r.entries()).isEqualTo(plain);
            // what was taken is released; the plain buffer stays for the connection's next message
            assertThat(r.alloc.allocated).isNotEmpty();
            assertThat(r.alloc.alive()).isEqualTo(1);
        } finally {
            r.close();
        }
        assertThat(r.alloc.alive()).isZero();

        // also after an error, releasePlain() drops it and close() is still safe
        ByteBuf bad = Unpooled.wrappedBuffer(Arrays.copyOf(compressed, compressed.length / 2));
        Reader failing = new Reader(CONFIG);
        try {
            MessageInProgress msg = failing.compressed(bad, bad.readableBytes());
            assertThat(catchThrowable(() -> failing.reader.read(bad, msg, failing.out)))
                    .isInstanceOf(ForwardProtocolException.class);
            failing.acc.release();
            failing.reader.releasePlain();
            assertThat(failing.alloc.alive()).isZero();
        } finally {
            failing.close();
        }
        assertThat(failing.alloc.alive()).isZero();
    }
}
