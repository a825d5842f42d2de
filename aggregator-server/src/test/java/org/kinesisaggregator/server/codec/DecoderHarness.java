package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.kinesisaggregator.server.testing.Event;

/**
 * Runs a connection's decoder ({@link ProtocolSniffer}, which installs the msgpack or JSON one) on an
 * {@link EmbeddedChannel}, feeds it bytes split as told,
 * resumes it while it has a backlog (as the ingest handler does), and turns what it emits into plain
 * values (releasing every buffer).
 */
final class DecoderHarness implements AutoCloseable {

    /** What the decoder emitted for one message. */
    sealed interface Result permits Whole, Streamed, Dropped, Ping {}

    record Whole(
            String tag,
            List<Event> events,
            ForwardOption option,
            ForwardMode mode,
            int skipped,
            String skipReason,
            byte[] entries)
            implements Result {}

    record Streamed(String tag, List<Event> events, int pieces, List<Integer> pieceBytes, StreamEnd end)
            implements Result {}

    record Dropped(MessageDropped dropped) implements Result {}

    record Ping(PingRequest ping) implements Result {}

    final EmbeddedChannel channel;
    private final List<Result> results = new ArrayList<>();
    private Streamed open;
    private List<Event> openEvents;
    private List<Integer> openPieceBytes;
    private int openPieces;
    private String openTag;

    DecoderHarness(ForwardDecoderConfig config) {
        this(config, ByteBufAllocator.DEFAULT);
    }

    DecoderHarness(ForwardDecoderConfig config, ByteBufAllocator alloc) {
        channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast("decoder", new ProtocolSniffer(config));
    }

    /** Feeds {@code bytes} in parts cut at {@code cuts} (ascending offsets) and collects results. */
    DecoderHarness feed(byte[] bytes, int... cuts) {
        int from = 0;
        for (int cut : cuts) {
            if (cut > from && cut < bytes.length) {
                write(bytes, from, cut);
                from = cut;
            }
        }
        write(bytes, from, bytes.length);
        return this;
    }

    private void write(byte[] bytes, int from, int to) {
        if (to > from) {
            ByteBuf buf = channel.alloc().buffer(to - from);
            buf.writeBytes(bytes, from, to - from);
            channel.writeInbound(buf);
            drain();
            resumeBacklog();
        }
    }

    /** Resumes the decoder until it has no backlog (the ingest handler does this on the loop). */
    private void resumeBacklog() {
        ForwardDecoder decoder = channel.pipeline().get(ForwardDecoder.class);
        while (decoder != null && decoder.hasBacklog()) {
            decoder.resume();
            drain();
            channel.checkException();
        }
    }

    /** Closes the input side (decodeLast runs) and collects the rest. */
    DecoderHarness finish() {
        try {
            channel.finish();
        } finally {
            drain();
        }
        return this;
    }

    List<Result> results() {
        return results;
    }

    /** All events of all whole and streamed messages, in order. */
    List<Event> events() {
        List<Event> all = new ArrayList<>();
        for (Result r : results) {
            if (r instanceof Whole w) {
                all.addAll(w.events());
            } else if (r instanceof Streamed s) {
                all.addAll(s.events());
            }
        }
        return all;
    }

    private void drain() {
        Object msg;
        while ((msg = channel.readInbound()) != null) {
            try {
                take(msg);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    private void take(Object msg) {
        if (msg instanceof ForwardEvents e) {
            ByteBuf content = e.content();
            byte[] bytes = new byte[content.readableBytes()];
            content.getBytes(content.readerIndex(), bytes);
            results.add(new Whole(
                    e.tag(),
                    Event.decode(e.tag(), content.nioBuffer(), e.eventCount()),
                    e.option(),
                    e.mode(),
                    e.skippedEvents(),
                    e.firstSkipReason(),
                    bytes));
        } else if (msg instanceof StreamStart s) {
            if (openTag != null) {
                throw new AssertionError("StreamStart while a stream is open");
            }
            openTag = s.tag();
            openEvents = new ArrayList<>();
            openPieceBytes = new ArrayList<>();
            openPieces = 0;
        } else if (msg instanceof StreamPiece p) {
            if (openTag == null) {
                throw new AssertionError("StreamPiece outside a stream");
            }
            openPieces++;
            openPieceBytes.add(p.content().readableBytes());
            openEvents.addAll(Event.decode(openTag, p.content().nioBuffer(), p.eventCount()));
        } else if (msg instanceof StreamEnd end) {
            results.add(new Streamed(openTag, openEvents, openPieces, openPieceBytes, end));
            if (end.eventCount() != openEvents.size()) {
                throw new AssertionError(
                        "StreamEnd says " + end.eventCount() + " events, pieces held " + openEvents.size());
            }
            openTag = null;
        } else if (msg instanceof MessageDropped d) {
            results.add(new Dropped(d));
            openTag = null;
        } else if (msg instanceof PingRequest p) {
            results.add(new Ping(p));
        } else {
            throw new AssertionError("unexpected " + msg);
        }
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
        drain();
    }

    static ByteBuf wrap(byte[] b) {
        return Unpooled.wrappedBuffer(b);
    }
}
