package org.kinesisaggregator.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.kinesisaggregator.server.codec.ForwardDecoder;

/**
 * The timeouts of one forward connection ({@link ConnectionLimits}), in the pipeline as Netty's
 * {@code IdleStateHandler} is: first in the pipeline (it sees the raw bytes read and every write),
 * driven by a task on the channel's event loop (no extra thread). When a limit is reached it fires
 * one {@link Timeout} event down the pipeline; {@link ForwardIngestHandler} logs, counts and closes.
 *
 * <ul>
 *   <li>{@code idle_timeout}: nothing read or written for that long while no message is in progress
 *       and nothing waits for the sink (a connection waiting for its buffer is not idle).</li>
 *   <li>{@code message_timeout}: a message in progress (the decoder holds part of it) delivers less
 *       than {@link ConnectionLimits#PROGRESS_BYTES} in that time. Time the server is not reading
 *       (back-pressure: reading paused) does not count.</li>
 *   <li>{@code unread_ack_timeout}: the channel stays unwritable (our acks pile up above the write
 *       buffer's high-water mark because the peer does not read) for that long.</li>
 * </ul>
 *
 * <p>Checks run every quarter of the shortest enabled timeout (between 10 ms and 5 s), so a limit
 * acts within that much after it is reached. Confined to the channel's event loop.
 */
final class ConnectionGuard extends ChannelDuplexHandler {

    /** Which limit closed or refused a connection: the {@code reason} tag of the metrics. */
    enum Limit {
        IDLE_TIMEOUT,
        MESSAGE_TIMEOUT,
        UNREAD_ACK_TIMEOUT,
        MAX_CONNECTIONS;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Fired (once) when a limit is reached. */
    record Timeout(Limit limit, Duration after) {}

    private final ConnectionLimits limits;
    private final long tickNanos;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> tick;
    private long lastIoNanos;
    private long bytesRead;
    private long progressDeadlineNanos;
    private long progressBaseBytes;
    private long unwritableSinceNanos;
    private boolean fired;

    ConnectionGuard(ConnectionLimits limits) {
        this.limits = limits;
        long shortest = Long.MAX_VALUE;
        for (Duration d : new Duration[] {limits.idleTimeout(), limits.messageTimeout(), limits.unreadAckTimeout()}) {
            if (!d.isZero()) {
                shortest = Math.min(shortest, d.toNanos());
            }
        }
        this.tickNanos = shortest == Long.MAX_VALUE
                ? 0
                : Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(TimeUnit.SECONDS.toNanos(5), shortest / 4));
    }

    /** True when at least one timeout is on (else the handler need not be in the pipeline). */
    static boolean isNeeded(ConnectionLimits limits) {
        return !limits.idleTimeout().isZero()
                || !limits.messageTimeout().isZero()
                || !limits.unreadAckTimeout().isZero();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            schedule();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        schedule();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            bytesRead += buf.readableBytes();
        }
        lastIoNanos = System.nanoTime();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        lastIoNanos = System.nanoTime();
        ctx.write(msg, promise);
    }

    private void schedule() {
        if (tick != null || tickNanos == 0) {
            return;
        }
        lastIoNanos = System.nanoTime();
        tick = ctx.executor().scheduleAtFixedRate(this::check, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (tick != null) {
            tick.cancel(false);
            tick = null;
        }
    }

    private void check() {
        if (fired || !ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        ForwardDecoder decoder = ctx.pipeline().get(ForwardDecoder.class);
        ForwardIngestHandler ingest = ctx.pipeline().get(ForwardIngestHandler.class);
        boolean midMessage = decoder != null && decoder.isMidMessage() || ingest != null && ingest.isReceivingStream();
        boolean settled = ingest == null || ingest.isSettled();
        boolean reading = ctx.channel().config().isAutoRead();

        Duration unreadAck = limits.unreadAckTimeout();
        if (ctx.channel().isWritable()) {
            unwritableSinceNanos = 0;
        } else if (unwritableSinceNanos == 0) {
            unwritableSinceNanos = now;
        } else if (!unreadAck.isZero() && now - unwritableSinceNanos >= unreadAck.toNanos()) {
            fire(Limit.UNREAD_ACK_TIMEOUT, unreadAck);
            return;
        }

        Duration message = limits.messageTimeout();
        if (!message.isZero() && midMessage && reading) {
            if (progressDeadlineNanos == 0 || bytesRead - progressBaseBytes >= ConnectionLimits.PROGRESS_BYTES) {
                progressDeadlineNanos = now + message.toNanos();
                progressBaseBytes = bytesRead;
            } else if (now - progressDeadlineNanos >= 0) {
                fire(Limit.MESSAGE_TIMEOUT, message);
                return;
            }
        } else {
            progressDeadlineNanos = 0;
        }

        Duration idle = limits.idleTimeout();
        if (!idle.isZero() && !midMessage && settled && now - lastIoNanos >= idle.toNanos()) {
            fire(Limit.IDLE_TIMEOUT, idle);
        }
    }

    private void fire(Limit limit, Duration after) {
        fired = true;
        cancel();
        ctx.fireUserEventTriggered(new Timeout(limit, after));
    }
}
