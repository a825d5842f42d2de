package org.kinesisaggregator.server.output.forward;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One TCP (or TLS) connection to a forward server: the optional handshake, then messages and, with
 * {@code require_ack_response}, their acks matched by chunk id. {@link #ready()} completes once
 * messages may be sent. Every failure (closed by the server, a bad response, a timeout) fails what
 * is pending and closes the channel; a closed connection is never reused.
 *
 * <p>State is confined to the channel's event loop; {@link #send} may be called from any thread
 * and hops onto it.
 */
final class ForwardConnection {
    /** Why a message failed: an ack timeout is counted apart (and marks the server down). */
    static final class AckTimeoutException extends IOException {
        private static final long serialVersionUID = 1L;

        AckTimeoutException(String message) {
            super(message);
        }
    }

    private record Pending(CompletableFuture<Void> done, ScheduledFuture<?> timer) {}

    private final Channel channel;
    private final ClientHandshake handshake;
    private final Duration sendTimeout;
    private final long createdNanos = System.nanoTime();
    private final CompletableFuture<ForwardConnection> ready = new CompletableFuture<>();
    private final Map<String, Pending> pending = new HashMap<>();
    private volatile boolean serverKeepalive = true;
    private volatile boolean broken;

    ForwardConnection(Channel channel, ClientHandshake handshake, Duration sendTimeout) {
        this.channel = channel;
        this.handshake = handshake;
        this.sendTimeout = sendTimeout;
    }

    /** The handler to put last in the channel's pipeline. */
    SimpleChannelInboundHandler<Response> handler() {
        return new Handler();
    }

    CompletableFuture<ForwardConnection> ready() {
        return ready;
    }

    /** True while the connection may carry another write (open, nothing failed, the server allows keepalive). */
    boolean isReusable() {
        return channel.isActive() && !broken && serverKeepalive;
    }

    long ageNanos() {
        return System.nanoTime() - createdNanos;
    }

    void close() {
        channel.close();
    }

    /**
     * Sends one encoded message. Completes when it is written and flushed, or, when {@code ackChunk}
     * is not null, when the server acked it; fails after {@code sendTimeout} without the write, or
     * {@code ackTimeout} without the ack ({@link AckTimeoutException}).
     */
    CompletableFuture<Void> send(byte[] message, String ackChunk, Duration ackTimeout) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            if (!channel.isActive() || broken) {
                done.completeExceptionally(new IOException("connection closed before the message was sent"));
                return;
            }
            ScheduledFuture<?> writeTimer = channel.eventLoop()
                    .schedule(
                            () -> fail(new IOException("send_timeout " + sendTimeout + " reached writing a message")),
                            sendTimeout.toMillis(),
                            TimeUnit.MILLISECONDS);
            if (ackChunk != null) {
                ScheduledFuture<?> ackTimer = channel.eventLoop()
                        .schedule(
                                () -> {
                                    Pending p = pending.remove(ackChunk);
                                    if (p != null) {
                                        p.done.completeExceptionally(new AckTimeoutException(
                                                "no ack within ack_response_timeout " + ackTimeout));
                                        fail(new IOException("an earlier message got no ack"));
                                    }
                                },
                                ackTimeout.toMillis(),
                                TimeUnit.MILLISECONDS);
                pending.put(ackChunk, new Pending(done, ackTimer));
            }
            channel.writeAndFlush(Unpooled.wrappedBuffer(message)).addListener(f -> {
                writeTimer.cancel(false);
                if (!f.isSuccess()) {
                    fail(new IOException("write failed: " + f.cause(), f.cause()));
                    done.completeExceptionally(f.cause());
                } else if (ackChunk == null) {
                    done.complete(null);
                }
            });
        });
        return done;
    }

    /** Fails everything pending and closes; event loop only. */
    private void fail(Throwable cause) {
        broken = true;
        ready.completeExceptionally(cause);
        List<Pending> all = new ArrayList<>(pending.values());
        pending.clear();
        for (Pending p : all) {
            p.timer.cancel(false);
            p.done.completeExceptionally(cause);
        }
        channel.close();
    }

    private final class Handler extends SimpleChannelInboundHandler<Response> {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ScheduledFuture<?> timer = ctx.executor()
                    .schedule(
                            () -> fail(new IOException("send_timeout " + sendTimeout
                                    + " reached before the connection was ready (TLS or <security> handshake)")),
                            sendTimeout.toMillis(),
                            TimeUnit.MILLISECONDS);
            ready.whenComplete((c, e) -> timer.cancel(false));
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            if (ssl != null) {
                ssl.handshakeFuture().addListener(f -> {
                    if (!f.isSuccess()) {
                        fail(new IOException(
                                "TLS handshake failed: " + f.cause().getMessage(), f.cause()));
                    } else if (handshake == null) {
                        ready.complete(ForwardConnection.this);
                    }
                });
            } else if (handshake == null) {
                ready.complete(ForwardConnection.this);
            }
            ctx.fireChannelActive();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Response r) {
            if (r instanceof Response.Helo helo) {
                if (handshake == null || ready.isDone()) {
                    fail(new IOException("the server sent HELO: it has <security> (expected: a <security>"
                            + " section with its shared_key here)"));
                    return;
                }
                serverKeepalive = helo.keepalive();
                ctx.writeAndFlush(Unpooled.wrappedBuffer(handshake.ping(helo)));
            } else if (r instanceof Response.Pong pong) {
                String problem = handshake == null ? "PONG without a handshake" : handshake.check(pong);
                if (problem != null) {
                    fail(new HandshakeException(problem));
                } else {
                    ready.complete(ForwardConnection.this);
                }
            } else if (r instanceof Response.Ack ack) {
                Pending p = pending.remove(ack.chunk());
                if (p != null) {
                    p.timer.cancel(false);
                    p.done.complete(null);
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(new IOException("connection closed by the server"));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause instanceof IOException ? cause : new IOException(cause.getMessage(), cause));
        }
    }

    /** A handshake refused by either side (wrong shared key, user or password). */
    static final class HandshakeException extends IOException {
        private static final long serialVersionUID = 1L;

        HandshakeException(String message) {
            super(message);
        }
    }
}
