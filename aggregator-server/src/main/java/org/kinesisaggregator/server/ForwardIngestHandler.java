package org.kinesisaggregator.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.LogSafe;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.server.codec.AckEncoder;
import org.kinesisaggregator.server.codec.ErrorReason;
import org.kinesisaggregator.server.codec.ForwardDecoder;
import org.kinesisaggregator.server.codec.ForwardEvents;
import org.kinesisaggregator.server.codec.ForwardMode;
import org.kinesisaggregator.server.codec.ForwardOption;
import org.kinesisaggregator.server.codec.ForwardProtocolException;
import org.kinesisaggregator.server.codec.MessageDropped;
import org.kinesisaggregator.server.codec.PingRequest;
import org.kinesisaggregator.server.codec.ProtocolSniffer;
import org.kinesisaggregator.server.codec.StreamEnd;
import org.kinesisaggregator.server.codec.StreamPiece;
import org.kinesisaggregator.server.codec.StreamStart;
import org.kinesisaggregator.server.proxy.ProxyProtocolHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work of a forward connection: appends to the {@link org.kinesisaggregator.buffer.EventSink},
 * acks, back-pressure, drain, and what a failure does to the messages in flight. It comes after the
 * {@link HandshakeHandler} (which removes itself once the handshake succeeded) and before the
 * {@link ForwardErrorHandler}, which writes the log line and counts the metric of every failure this
 * handler acts on and passes on.
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
 * failed, closed; the transitions are methods of the enum); a {@link SourceKeyInjector} says whether
 * the source keys are known (ready, awaiting the PROXY header, resolving the hostname). Reading is a {@link ReadGate}: {@code updateReading()} sets its reasons from that
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
    private ConnectionPeer peer;
    private ConnectionState state = ConnectionState.NEW;

    private final SourceKeyInjector sourceKeys;
    private ReadGate gate;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private int inFlight;
    private long inFlightBytes;
    private StreamState stream;
    private final List<StreamState> uncommitted = new ArrayList<>(2);
    private ChannelFuture lastWrite;
    private ForwardDecoder decoder;
    private boolean resumeScheduled;

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
        this.sourceKeys = new SourceKeyInjector(deps.settings(), deps.resolver());
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        state = state.activate();
        gate = new ReadGate(ctx.channel());
        deps.metrics().connectionOpened();
        peer = ConnectionPeer.of(ctx.channel());
        if (sourceKeys.isNeeded()) {
            if (deps.settings().proxyProtocol()) {
                // keep reading until the PROXY header names the peer; hold decoded messages until then
                sourceKeys.awaitProxyHeader();
            } else {
                prepareSourceKeys();
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
                peer.update(proxied.address());
            }
            if (sourceKeys.isNeeded()) {
                prepareSourceKeys();
            }
        } else if (evt instanceof SslHandshakeCompletionEvent handshake) {
            if (!handshake.isSuccess()) {
                // the TLS handler closes the channel; the error handler logs why
                state = state.fail();
            }
        } else if (evt == HandshakeHandler.HANDSHAKE_FAILED) {
            // the handshake handler closes the channel once its failure PONG is out
            state = state.fail();
        } else if (evt instanceof ConnectionGuard.Timeout timeout) {
            ctx.fireUserEventTriggered(evt);
            timedOut(timeout);
            return;
        } else if (evt instanceof ChannelInputShutdownEvent) {
            // the forwarder half-closed: answer what it sent, then close
            state = state.closeWhenSettled();
        }
        updateReading();
        maybeClose();
        ctx.fireUserEventTriggered(evt);
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
                || sourceKeys.state() == SourceKeyInjector.State.READY
                        && inFlight < deps.maxInFlightAppends()
                        && inFlightBytes < deps.maxInFlightBytes();
    }

    private void dispatch(Object msg) {
        if (state.isFailed() || !state.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof PingRequest) {
            // the handshake handler took the first PING and removed itself; another is a protocol error
            protocolFailure(new ForwardProtocolException(ErrorReason.HANDSHAKE, "ping: unexpected (expected: events)"));
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
        long received = System.nanoTime();
        String tag = message.tag();
        ForwardOption option = message.option();
        ForwardMode mode = message.mode();
        int count = message.eventCount();
        long wireBytes = message.wireBytes();
        noteMessage(tag, mode, message.wireBytes(), message.skippedEvents(), message.firstSkipReason(), option, count);
        if (count == 0) {
            message.release();
            appended(mode, AppendResult.stored(0), option, wireBytes, received);
            afterMessage();
            return;
        }
        ByteBuf entries = sourceKeys.inject(ctx.alloc(), message.content(), count);
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
                        appended(mode, result, option, wireBytes, received);
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
        ByteBuf entries = sourceKeys.inject(ctx.alloc(), piece.content(), count);
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
        long received = System.nanoTime();
        CompletableFuture<AppendResult> future;
        try {
            future = st.append.commit(end.option().dedupKey());
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        future.whenComplete((result, error) -> onLoop(
                () -> {
                    if (error == null) {
                        appended(st.mode, result, end.option(), end.wireBytes(), received);
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

    private void appended(
            ForwardMode mode, AppendResult result, ForwardOption option, long wireBytes, long receivedNanos) {
        deps.metrics()
                .message(
                        mode,
                        result.isDuplicate() ? ForwardMetrics.Result.DUPLICATE : ForwardMetrics.Result.OK,
                        wireBytes);
        deps.metrics().events(result.storedEvents());
        if (option.wantsAck() && state.isActive()) {
            deps.metrics().ack(receivedNanos);
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

    // ---------------------------------------------------------------- errors

    /** A failure from any handler before this one: settle what it leaves in flight, then let the error handler log it. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!state.isActive()) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        state = state.fail();
        ctx.fireExceptionCaught(cause);
        if (ForwardErrorHandler.protocolError(cause) != null) {
            // the acks of the messages before the bad one go out, then the connection closes
            abandonCurrentAndCloseWhenSettled();
        }
        // any other failure: the error handler closes the channel at once
    }

    /** A protocol error found here: logged by the error handler, then the connection closes once settled. */
    private void protocolFailure(ForwardProtocolException e) {
        state = state.fail();
        ctx.fireExceptionCaught(e);
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

    // ---------------------------------------------------------------- connection limits

    /** Nothing in flight to the sink, nothing held, no streamed message open: closing loses no work. */
    boolean isSettled() {
        return inFlight == 0 && waiting.isEmpty() && stream == null && uncommitted.isEmpty();
    }

    /** A streamed message is being received (its end has not come yet). */
    boolean isReceivingStream() {
        return stream != null;
    }

    /** A limit of {@link ConnectionGuard} ran out (the error handler has logged it). */
    private void timedOut(ConnectionGuard.Timeout timeout) {
        if (!state.isActive()) {
            return;
        }
        state = state.fail();
        if (timeout.limit() == ConnectionGuard.Limit.MESSAGE_TIMEOUT) {
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
        if (sourceKeys.state() == SourceKeyInjector.State.RESOLVING_HOSTNAME) {
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

    private void prepareSourceKeys() {
        sourceKeys.prepare(peer.address().getAddress(), ctx.executor(), () -> {
            drainWaiting();
            updateReading();
            maybeClose();
        });
        drainWaiting();
        updateReading();
    }

    private void drainWaiting() {
        while (!waiting.isEmpty() && canDispatch()) {
            dispatch(waiting.poll());
        }
    }
}
