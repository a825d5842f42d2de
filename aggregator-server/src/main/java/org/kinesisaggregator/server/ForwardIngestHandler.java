package org.kinesisaggregator.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.LogSafe;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.server.codec.AckEncoder;
import org.kinesisaggregator.server.codec.ErrorReason;
import org.kinesisaggregator.server.codec.ForwardDecoder;
import org.kinesisaggregator.server.codec.ForwardDecoderConfig;
import org.kinesisaggregator.server.codec.ForwardEvents;
import org.kinesisaggregator.server.codec.ForwardMode;
import org.kinesisaggregator.server.codec.ForwardOption;
import org.kinesisaggregator.server.codec.ForwardProtocolException;
import org.kinesisaggregator.server.codec.MessageDropped;
import org.kinesisaggregator.server.codec.PingRequest;
import org.kinesisaggregator.server.codec.ProtocolSniffer;
import org.kinesisaggregator.server.codec.RecordRewriter;
import org.kinesisaggregator.server.codec.StreamEnd;
import org.kinesisaggregator.server.codec.StreamPiece;
import org.kinesisaggregator.server.codec.StreamStart;
import org.kinesisaggregator.server.proxy.ProxyProtocolHandler;
import org.kinesisaggregator.server.security.HandshakeAuthenticator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a forward connection: the handshake, appends to the
 * {@link org.kinesisaggregator.buffer.EventSink}, acks, back-pressure, drain, and the log line and
 * metric for everything that goes wrong.
 *
 * <p><b>Invariants.</b> An ack ({@code {"ack": chunk}}) is written only after the sink's future for
 * that message (an append, or a streamed append's commit after all its pieces) completed normally;
 * on failure nothing is sent and the connection is closed once the other in-flight appends have
 * settled, so the forwarder retries. Acks may go out in another order than the messages came.
 * Reading stops (TCP back-pressure) while more than {@link IngestContext#maxInFlightAppends()}
 * appends/pieces or {@link IngestContext#maxInFlightBytes()} bytes are waiting for the sink, while
 * the peer does not read our acks, while the peer's hostname is being resolved, and while the
 * decoder has a backlog (it stopped at its slice bound, see {@link ForwardDecoder}); the backlog
 * is resumed one slice per pass of the event loop, and only while nothing else holds reading.
 *
 * <p><b>State.</b> The lifecycle is one {@link ConnectionState} (open, draining, closing once settled,
 * failed, closed; the transitions are methods of the enum); the handshake is pending while
 * {@code pendingChallenge} is set; the source keys are ready, awaiting the PROXY header, or resolving
 * the hostname. Reading is a {@link ReadGate}: {@code updateReading()} sets its reasons from that
 * state, the messages held, the appends in flight, the channel's writability and the decoder's
 * backlog, all at once, so the gate opens only when none holds; a backlog that is the only reason is
 * resumed by a scheduled task.
 *
 * <p><b>Ownership.</b> It owns every decoded message it receives and releases the entries when the
 * sink's future completes (on the event loop, or right away if the loop is gone). It owns the
 * channel's auto-read, through its read gate; no other handler of the pipeline changes it.
 *
 * <p><b>Threads.</b> One instance per channel; every field is confined to the channel's event loop.
 * Sink futures complete on any thread and hop back to the loop. Never blocks.
 */
final class ForwardIngestHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ForwardServer.class);

    /** Fired by {@link ForwardServer#drain}: finish the message being received, then close. */
    static final Object DRAIN = new Object() {
        @Override
        public String toString() {
            return "DRAIN";
        }
    };

    private final IngestContext deps;
    private ChannelHandlerContext ctx;
    private InetSocketAddress peerAddress;
    private String peer = "?";
    private ConnectionState state = ConnectionState.NEW;
    /** The HELO's challenge while the handshake is pending; {@code null} once established (or without auth). */
    private HandshakeAuthenticator.Challenge pendingChallenge;

    private SourceKeys sourceKeys = SourceKeys.READY;
    private ReadGate gate;
    private boolean tlsFailureLogged;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private int inFlight;
    private long inFlightBytes;
    private StreamState stream;
    private final List<StreamState> uncommitted = new ArrayList<>(2);
    private List<RecordRewriter.Pair> injectedPairs;
    private RecordRewriter rewriter;
    private ChannelFuture lastWrite;
    private ForwardDecoder decoder;
    private boolean resumeScheduled;

    /** Whether the {@code source_address_key} / {@code source_hostname_key} values are known. */
    private enum SourceKeys {
        /** Known (or not configured): messages are dispatched. */
        READY,
        /** {@code proxy_protocol}: messages are held until the PROXY header names the peer; reading goes on. */
        AWAITING_PROXY_HEADER,
        /** The peer's hostname is being resolved: messages are held and reading is paused. */
        RESOLVING_HOSTNAME
    }

    /** One streamed message on its way into a {@link StreamedAppend}. */
    private static final class StreamState {
        final String tag;
        final ForwardMode mode;
        StreamedAppend append;
        int pendingPieces;
        Throwable failure;
        StreamEnd end;
        boolean committing;
        boolean abandoned;

        StreamState(String tag, ForwardMode mode) {
            this.tag = tag;
            this.mode = mode;
        }
    }

    ForwardIngestHandler(IngestContext deps) {
        this.deps = deps;
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        state = state.activate();
        gate = new ReadGate(ctx.channel());
        deps.metrics().connectionOpened();
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress address) {
            setPeer(address);
        }
        if (deps.auth() != null) {
            pendingChallenge = deps.auth().challenge();
            write(Unpooled.wrappedBuffer(pendingChallenge.helo()));
        }
        if (needsInjection()) {
            if (deps.settings().proxyProtocol()) {
                // keep reading until the PROXY header names the peer; hold decoded messages until then
                sourceKeys = SourceKeys.AWAITING_PROXY_HEADER;
            } else {
                prepareInjection();
            }
        }
        updateReading();
        log.debug("Accepted forward connection from {}", peer);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!state.isActive()) {
            return;
        }
        state = state.close();
        deps.metrics().connectionClosed();
        if (stream != null) {
            stream = null;
        }
        for (StreamState st : uncommitted) {
            abandon(st);
        }
        uncommitted.clear();
        releaseWaiting();
        log.debug("Closed forward connection from {}", peer);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseWaiting();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DRAIN) {
            if (state.isActive()) {
                state = state.drain();
                if (drainCanFinish()) {
                    state = state.closeWhenSettled();
                }
            }
        } else if (evt instanceof ProxyProtocolHandler.ProxiedPeer proxied) {
            if (proxied.address() != null) {
                setPeer(proxied.address());
            }
            if (needsInjection()) {
                prepareInjection();
            }
        } else if (evt instanceof SslHandshakeCompletionEvent handshake) {
            if (!handshake.isSuccess() && handshake.cause() instanceof ClosedChannelException) {
                // the peer closed before a handshake (an NLB health check: connect + close): as on the plain port
                log.debug("Forward connection from {} closed before the TLS handshake", peer);
            } else if (!handshake.isSuccess()) {
                tlsFailed(handshake.cause());
            } else {
                log.debug("TLS session established with {}", peer);
            }
        } else if (evt instanceof ConnectionGuard.Timeout timeout) {
            timedOut(timeout);
        } else if (evt instanceof ChannelInputShutdownEvent) {
            // the forwarder half-closed: answer what it sent, then close
            state = state.closeWhenSettled();
        }
        updateReading();
        maybeClose();
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateReading();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // the decoder may have stopped at its slice bound during this read
        updateReading();
        ctx.fireChannelReadComplete();
    }

    // ---------------------------------------------------------------- messages

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!waiting.isEmpty() || !canDispatch()) {
            // over the in-flight bound (or resolving the peer): hold it, in order, until the sink catches up
            waiting.add(msg);
            updateReading();
            return;
        }
        dispatch(msg);
    }

    private boolean canDispatch() {
        return state.isFailed()
                || !state.isActive()
                || sourceKeys == SourceKeys.READY
                        && inFlight < deps.maxInFlightAppends()
                        && inFlightBytes < deps.maxInFlightBytes();
    }

    private void dispatch(Object msg) {
        if (state.isFailed() || !state.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof PingRequest ping) {
            onPing(ping);
            return;
        }
        if (pendingChallenge != null) {
            ReferenceCountUtil.release(msg);
            protocolFailure(new ForwardProtocolException(
                    ErrorReason.HANDSHAKE, "message: events before the handshake (expected: PING)"));
            return;
        }
        try {
            if (msg instanceof ForwardEvents events) {
                onEvents(events);
            } else if (msg instanceof StreamStart start) {
                onStreamStart(start);
            } else if (msg instanceof StreamPiece piece) {
                onStreamPiece(piece);
            } else if (msg instanceof StreamEnd end) {
                onStreamEnd(end);
            } else if (msg instanceof MessageDropped dropped) {
                onDropped(dropped);
            } else {
                ReferenceCountUtil.release(msg);
            }
        } catch (ForwardProtocolException e) {
            protocolFailure(e);
        }
    }

    private void onEvents(ForwardEvents message) {
        String tag = message.tag();
        ForwardOption option = message.option();
        ForwardMode mode = message.mode();
        int count = message.eventCount();
        long wireBytes = message.wireBytes();
        noteMessage(tag, mode, message.wireBytes(), message.skippedEvents(), message.firstSkipReason(), option, count);
        if (count == 0) {
            message.release();
            appended(mode, AppendResult.stored(0), option, wireBytes);
            afterMessage();
            return;
        }
        ByteBuf entries = inject(message.content(), count);
        long bytes = entries.readableBytes();
        track(1, bytes);
        CompletableFuture<AppendResult> future;
        try {
            future = deps.sink().append(tag, entries.nioBuffer(), count, option.dedupKey());
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        future.whenComplete((result, error) -> onLoop(
                () -> {
                    entries.release();
                    if (error == null) {
                        appended(mode, result, option, wireBytes);
                    } else {
                        appendFailed(tag, mode, count, wireBytes, error);
                    }
                    track(-1, -bytes);
                    maybeClose();
                },
                entries::release));
        afterMessage();
    }

    private void onStreamStart(StreamStart start) {
        StreamState st = new StreamState(start.tag(), start.mode());
        try {
            st.append = deps.sink().openStream(start.tag());
        } catch (RuntimeException e) {
            st.failure = e;
        }
        stream = st;
        uncommitted.add(st);
    }

    private void onStreamPiece(StreamPiece piece) {
        StreamState st = stream;
        if (st == null || st.failure != null) {
            piece.release();
            return;
        }
        int count = piece.eventCount();
        ByteBuf entries = inject(piece.content(), count);
        long bytes = entries.readableBytes();
        st.pendingPieces++;
        track(1, bytes);
        CompletableFuture<Void> future;
        try {
            future = st.append.write(entries.nioBuffer(), count);
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        future.whenComplete((ignored, error) -> onLoop(
                () -> {
                    entries.release();
                    st.pendingPieces--;
                    if (error != null && st.failure == null) {
                        st.failure = error;
                        abandon(st);
                    }
                    maybeCommit(st);
                    track(-1, -bytes);
                    maybeClose();
                },
                entries::release));
    }

    private void onStreamEnd(StreamEnd end) {
        StreamState st = stream;
        stream = null;
        if (st == null) {
            return;
        }
        st.end = end;
        noteMessage(
                end.tag(),
                end.mode(),
                end.wireBytes(),
                end.skippedEvents(),
                end.firstSkipReason(),
                end.option(),
                end.eventCount());
        maybeCommit(st);
        afterMessage();
    }

    private void maybeCommit(StreamState st) {
        if (st.end == null || st.pendingPieces > 0 || st.committing || st.abandoned && st.failure == null) {
            return;
        }
        st.committing = true;
        uncommitted.remove(st);
        StreamEnd end = st.end;
        if (st.failure != null) {
            appendFailed(st.tag, st.mode, end.eventCount(), end.wireBytes(), st.failure);
            return;
        }
        track(1, 0);
        CompletableFuture<AppendResult> future;
        try {
            future = st.append.commit(end.option().dedupKey());
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        future.whenComplete((result, error) -> onLoop(
                () -> {
                    if (error == null) {
                        appended(st.mode, result, end.option(), end.wireBytes());
                    } else {
                        appendFailed(st.tag, st.mode, end.eventCount(), end.wireBytes(), error);
                    }
                    track(-1, 0);
                    maybeClose();
                },
                () -> {}));
    }

    private void onDropped(MessageDropped dropped) {
        if (stream != null) {
            abandon(stream);
            uncommitted.remove(stream);
            stream = null;
        }
        deps.metrics().message(dropped.mode(), ForwardMetrics.Result.DROPPED, dropped.wireBytes());
        deps.metrics().error(ErrorReason.CHUNK_SIZE_LIMIT);
        log.warn(
                "Dropped a message from {} larger than chunk_size_limit, no ack sent (tag={}, size={}, limit={})",
                peer,
                LogSafe.escape(dropped.tag()),
                dropped.wireBytes(),
                dropped.limitBytes());
        afterMessage();
    }

    private void noteMessage(
            String tag,
            ForwardMode mode,
            long wireBytes,
            int skipped,
            String skipReason,
            ForwardOption option,
            long events) {
        if (skipped > 0) {
            deps.metrics().skipped(skipped);
            log.warn(
                    "Skipped {} invalid event(s) from {} (tag={}, skip_invalid_event true): {}",
                    skipped,
                    peer,
                    LogSafe.escape(tag),
                    LogSafe.escape(skipReason));
        }
        long warnLimit = deps.settings().chunkSizeWarnLimitBytes();
        if (warnLimit > 0 && wireBytes > warnLimit) {
            log.warn(
                    "Message from {} is larger than chunk_size_warn_limit (tag={}, size={}, limit={})",
                    peer,
                    LogSafe.escape(tag),
                    wireBytes,
                    warnLimit);
        }
        if (option.sizeHint() >= 0 && option.sizeHint() != events + skipped && log.isDebugEnabled()) {
            log.debug(
                    "Message from {} says size {} but holds {} events (tag={}, mode={}); size is only a hint",
                    peer,
                    option.sizeHint(),
                    events + skipped,
                    LogSafe.escape(tag),
                    mode.tag());
        }
    }

    private void appended(ForwardMode mode, AppendResult result, ForwardOption option, long wireBytes) {
        deps.metrics()
                .message(
                        mode,
                        result.isDuplicate() ? ForwardMetrics.Result.DUPLICATE : ForwardMetrics.Result.OK,
                        wireBytes);
        deps.metrics().events(result.storedEvents());
        if (option.wantsAck() && state.isActive()) {
            deps.metrics().ack();
            write(AckEncoder.encode(ctx.alloc(), option, mode == ForwardMode.JSON));
        }
    }

    private void appendFailed(String tag, ForwardMode mode, long events, long wireBytes, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        deps.metrics().message(mode, ForwardMetrics.Result.FAILED, wireBytes);
        deps.metrics().error(ErrorReason.APPEND_FAILED);
        log.warn(
                "Append of {} event(s) from {} failed (tag={}); no ack sent, closing the connection so that the "
                        + "forwarder retries: {}",
                events,
                peer,
                LogSafe.escape(tag),
                LogSafe.escape(cause.toString()));
        state = state.fail().closeWhenSettled();
        updateReading();
    }

    private void afterMessage() {
        if (deps.settings().denyKeepalive()) {
            state = state.closeWhenSettled();
        }
        if (state == ConnectionState.DRAINING && drainCanFinish()) {
            state = state.closeWhenSettled();
        }
        updateReading();
        maybeClose();
    }

    // ---------------------------------------------------------------- handshake

    private void onPing(PingRequest ping) {
        if (pendingChallenge == null) {
            protocolFailure(new ForwardProtocolException(ErrorReason.HANDSHAKE, "ping: unexpected (expected: events)"));
            return;
        }
        InetAddress address = peerAddress == null ? null : peerAddress.getAddress();
        HandshakeAuthenticator.Outcome outcome = deps.auth().check(ping, address, pendingChallenge);
        ChannelFuture written = write(Unpooled.wrappedBuffer(outcome.pong()));
        String hostname = ping.hostname() == null ? "?" : LogSafe.escape(ping.hostname());
        if (outcome.success()) {
            pendingChallenge = null;
            log.debug("Handshake with {} (client hostname {}) succeeded", peer, hostname);
            return;
        }
        deps.metrics().handshakeFailure();
        deps.metrics().error(ErrorReason.HANDSHAKE);
        long notLogged = deps.logThrottle().admit(handshakeKey());
        if (notLogged >= 0) {
            log.warn(
                    "Handshake with {} failed (client hostname {}): {}; sent the failure PONG and closing the "
                            + "connection{}",
                    peer,
                    hostname,
                    LogSafe.escape(outcome.reason()),
                    notLoggedNote(notLogged, "handshake failure(s) from this address"));
        }
        state = state.fail();
        updateReading();
        written.addListener(ChannelFutureListener.CLOSE);
    }

    // ---------------------------------------------------------------- errors

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause;
        if (root instanceof DecoderException
                && !(root instanceof ForwardProtocolException)
                && root.getCause() != null) {
            root = root.getCause();
        }
        if (root instanceof ForwardProtocolException e) {
            protocolFailure(e);
        } else if (root instanceof NotSslRecordException || root instanceof SSLException) {
            tlsFailed(root);
            ctx.close();
        } else if (root instanceof HAProxyProtocolException) {
            deps.metrics().error(ErrorReason.PROXY);
            log.warn(
                    "Closing forward connection from {}: PROXY protocol header: {} (expected: a PROXY v1 or v2 header, "
                            + "proxy_protocol is on)",
                    peer,
                    LogSafe.escape(root.getMessage()));
            state = state.fail();
            ctx.close();
        } else if (root instanceof IOException) {
            if (!(root instanceof ClosedChannelException)) {
                log.debug("Forward connection from {} failed: {}", peer, LogSafe.escape(root.toString()));
                deps.metrics().error(ErrorReason.IO);
            }
            state = state.fail();
            ctx.close();
        } else {
            log.error("Unexpected error on the forward connection from {}; closing it", peer, cause);
            deps.metrics().error(ErrorReason.MALFORMED);
            state = state.fail();
            ctx.close();
        }
    }

    private void protocolFailure(ForwardProtocolException e) {
        deps.metrics().error(e.reason());
        switch (e.reason()) {
            case INVALID_EVENT ->
                log.warn(
                        "Refused a message from {} (skip_invalid_event false): {}; no ack sent, closing "
                                + "the connection",
                        peer,
                        LogSafe.escape(e.getMessage()));
            case TRUNCATED ->
                log.warn(
                        "Forward connection from {} ended in the middle of a message; nothing of it was "
                                + "stored or acked: {}",
                        peer,
                        LogSafe.escape(e.getMessage()));
            case HANDSHAKE -> {
                deps.metrics().handshakeFailure();
                long notLogged = deps.logThrottle().admit(handshakeKey());
                if (notLogged >= 0) {
                    log.warn(
                            "Closing forward connection from {}: {}{}",
                            peer,
                            LogSafe.escape(e.getMessage()),
                            notLoggedNote(notLogged, "handshake failure(s) from this address"));
                }
            }
            default -> log.warn("Closing forward connection from {}: {}", peer, LogSafe.escape(e.getMessage()));
        }
        state = state.fail();
        abandonCurrentAndCloseWhenSettled();
    }

    /**
     * Drops the message in progress (nothing of it was stored or is acked) and closes the connection once
     * the acks of the messages before it have gone out.
     */
    private void abandonCurrentAndCloseWhenSettled() {
        if (stream != null) {
            abandon(stream);
            uncommitted.remove(stream);
            stream = null;
        }
        state = state.closeWhenSettled();
        updateReading();
        maybeClose();
    }

    private void tlsFailed(Throwable cause) {
        if (tlsFailureLogged) {
            return;
        }
        tlsFailureLogged = true;
        state = state.fail();
        deps.metrics().error(ErrorReason.TLS);
        if (cause instanceof NotSslRecordException
                || cause != null && cause.getCause() instanceof NotSslRecordException) {
            log.warn(
                    "Closing forward connection from {}: not a TLS record (expected: a TLS handshake; is the forwarder "
                            + "sending plain TCP to a TLS port?)",
                    peer);
        } else {
            log.warn(
                    "TLS handshake with {} failed, closing the connection: {}",
                    peer,
                    cause == null
                            ? "unknown"
                            : LogSafe.escape(cause.getMessage() != null ? cause.getMessage() : cause.toString()));
        }
    }

    // ---------------------------------------------------------------- connection limits

    /** Nothing in flight to the sink, nothing held, no streamed message open: closing loses no work. */
    boolean isSettled() {
        return inFlight == 0 && waiting.isEmpty() && stream == null && uncommitted.isEmpty();
    }

    /** A streamed message is being received (its end has not come yet). */
    boolean isReceivingStream() {
        return stream != null;
    }

    private void timedOut(ConnectionGuard.Timeout timeout) {
        ConnectionGuard.Limit limit = timeout.limit();
        deps.metrics().limited(limit);
        long notLogged = deps.logThrottle().admit(limit.tag());
        String why = switch (limit) {
            case IDLE_TIMEOUT -> "no message and no traffic";
            case MESSAGE_TIMEOUT ->
                "a message in progress delivered less than " + ConnectionLimits.PROGRESS_BYTES / 1024
                        + " KiB; nothing of it was stored or acked";
            case UNREAD_ACK_TIMEOUT ->
                "the peer does not read its acks, over the write buffer's bound; the events acked so far "
                        + "are stored, the acks not yet sent are dropped and the forwarder re-sends";
            case MAX_CONNECTIONS -> "too many connections";
        };
        if (notLogged >= 0) {
            String line = "Closing forward connection from {}: {} {} s ({}){}";
            Object[] args = {
                peer,
                limit.tag(),
                timeout.after().toMillis() / 1000.0,
                why,
                notLoggedNote(notLogged, "connection(s) closed by " + limit.tag())
            };
            if (limit == ConnectionGuard.Limit.IDLE_TIMEOUT) {
                log.info(line, args);
            } else {
                log.warn(line, args);
            }
        }
        state = state.fail();
        if (limit == ConnectionGuard.Limit.MESSAGE_TIMEOUT) {
            abandonCurrentAndCloseWhenSettled();
        } else {
            ctx.close();
        }
    }

    // ---------------------------------------------------------------- flow control

    private void track(int appends, long bytes) {
        inFlight += appends;
        inFlightBytes += bytes;
        if (appends < 0) {
            drainWaiting();
        }
        updateReading();
    }

    /** Sets the read gate's reasons from the state of the connection, then resumes a lone decoder backlog. */
    private void updateReading() {
        if (!state.isActive()) {
            return;
        }
        EnumSet<ReadGate.Reason> reasons = EnumSet.noneOf(ReadGate.Reason.class);
        if (sourceKeys == SourceKeys.RESOLVING_HOSTNAME) {
            reasons.add(ReadGate.Reason.RESOLVING_HOSTNAME);
        }
        if (state.stopsReading()) {
            reasons.add(ReadGate.Reason.CLOSING);
        }
        if (!waiting.isEmpty()) {
            reasons.add(ReadGate.Reason.HELD_MESSAGES);
        }
        if (inFlight >= deps.maxInFlightAppends() || inFlightBytes >= deps.maxInFlightBytes()) {
            reasons.add(ReadGate.Reason.IN_FLIGHT_LIMIT);
        }
        if (!ctx.channel().isWritable()) {
            reasons.add(ReadGate.Reason.UNREAD_ACKS);
        }
        if (decoderHasBacklog()) {
            reasons.add(ReadGate.Reason.DECODER_BACKLOG);
        }
        gate.update(reasons);
        if (gate.isPausedOnlyBy(ReadGate.Reason.DECODER_BACKLOG) && !resumeScheduled) {
            scheduleResume();
        }
    }

    private boolean decoderHasBacklog() {
        if (decoder == null || decoder instanceof ProtocolSniffer) {
            // the sniffer replaces itself with the protocol's decoder at the first byte
            decoder = ctx.pipeline().get(ForwardDecoder.class);
        }
        return decoder != null && decoder.hasBacklog();
    }

    /**
     * The decoder's next slice, on a later pass of the loop. schedule(), not execute(): Netty runs
     * tasks that execute() adds while it runs tasks in the same batch (for up to a second), so a
     * task that re-submits itself would hold the loop; a scheduled task is picked up only after
     * the loop has polled its sockets again, which gives every other channel its turn in between.
     */
    private void scheduleResume() {
        resumeScheduled = true;
        try {
            ctx.executor().schedule(this::resumeDecoder, 0, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            resumeScheduled = false;
        }
    }

    private void resumeDecoder() {
        resumeScheduled = false;
        if (!state.isActive()) {
            return;
        }
        // fires what the slice decoded into channelRead (and a failure into exceptionCaught)
        decoder.resume();
        updateReading();
    }

    /** A drain may close now: no message is half received or held. */
    private boolean drainCanFinish() {
        return stream == null && waiting.isEmpty() && !decoderMidMessage();
    }

    private boolean decoderMidMessage() {
        ForwardDecoder decoder = ctx.pipeline().get(ForwardDecoder.class);
        return decoder != null && decoder.isMidMessage();
    }

    private void maybeClose() {
        if (!state.closesWhenSettled()
                || inFlight > 0
                || !state.isActive()
                || !waiting.isEmpty() && !state.isFailed()) {
            return;
        }
        if (lastWrite != null && !lastWrite.isDone()) {
            lastWrite.addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private ChannelFuture write(ByteBuf buf) {
        lastWrite = ctx.writeAndFlush(buf);
        return lastWrite;
    }

    /** Runs {@code task} on the channel's event loop; {@code ifGone} when the loop no longer runs tasks. */
    private void onLoop(Runnable task, Runnable ifGone) {
        try {
            ctx.executor().execute(task);
        } catch (RejectedExecutionException e) {
            ifGone.run();
        }
    }

    private void abandon(StreamState st) {
        if (st.abandoned || st.append == null) {
            st.abandoned = true;
            return;
        }
        st.abandoned = true;
        try {
            st.append.abandon();
        } catch (RuntimeException e) {
            log.warn(
                    "Abandoning a streamed append from {} failed (tag={}): {}",
                    peer,
                    LogSafe.escape(st.tag),
                    LogSafe.escape(e.toString()));
        }
    }

    private void releaseWaiting() {
        Object msg;
        while ((msg = waiting.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    // ---------------------------------------------------------------- source_address_key / source_hostname_key

    private boolean needsInjection() {
        return deps.settings().sourceAddressKey() != null || deps.settings().sourceHostnameKey() != null;
    }

    private void prepareInjection() {
        ForwardSettings settings = deps.settings();
        InetAddress address = peerAddress.getAddress();
        List<RecordRewriter.Pair> pairs = new ArrayList<>(2);
        if (settings.sourceAddressKey() != null) {
            pairs.add(RecordRewriter.Pair.ofString(settings.sourceAddressKey(), address.getHostAddress()));
        }
        rewriter = new RecordRewriter(ForwardDecoderConfig.DEFAULT_MAX_DEPTH);
        if (settings.sourceHostnameKey() == null) {
            injectedPairs = pairs;
            sourceKeys = SourceKeys.READY;
            drainWaiting();
            return;
        }
        sourceKeys = SourceKeys.RESOLVING_HOSTNAME;
        updateReading();
        CompletableFuture.supplyAsync(address::getHostName, deps.resolver())
                .whenComplete((name, error) -> onLoop(
                        () -> {
                            pairs.add(RecordRewriter.Pair.ofString(
                                    settings.sourceHostnameKey(), name != null ? name : address.getHostAddress()));
                            injectedPairs = pairs;
                            sourceKeys = SourceKeys.READY;
                            drainWaiting();
                            updateReading();
                            maybeClose();
                        },
                        () -> {}));
    }

    private void drainWaiting() {
        while (!waiting.isEmpty() && canDispatch()) {
            dispatch(waiting.poll());
        }
    }

    /** Takes ownership of {@code entries}; returns them, or a rewritten copy with the source keys added. */
    private ByteBuf inject(ByteBuf entries, int count) {
        if (injectedPairs == null || injectedPairs.isEmpty()) {
            return entries;
        }
        try {
            return rewriter.addToEveryRecord(ctx.alloc(), entries, count, injectedPairs);
        } finally {
            entries.release();
        }
    }

    private void setPeer(InetSocketAddress address) {
        peerAddress = address;
        peer = address.getAddress() == null
                ? LogSafe.escape(address.getHostString()) + ":" + address.getPort()
                : address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /** The throttle key of handshake failures: the peer's address without the port (one per client host). */
    private String handshakeKey() {
        String host = peerAddress == null
                ? peer
                : peerAddress.getAddress() == null
                        ? peerAddress.getHostString()
                        : peerAddress.getAddress().getHostAddress();
        return "handshake " + host;
    }

    /** {@code ""}, or {@code " (N more WHAT since the last such line, not logged: one line per 60 s)"}. */
    private String notLoggedNote(long notLogged, String what) {
        return notLogged <= 0
                ? ""
                : " (" + notLogged + " more " + what + " since the last such line, not logged: one line per "
                        + deps.logThrottle().interval().toSeconds() + " s)";
    }
}
