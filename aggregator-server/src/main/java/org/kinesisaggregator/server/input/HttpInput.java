package org.kinesisaggregator.server.input;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContentDecompressor;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.kinesisaggregator.admin.HttpListener;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.LogSafe;
import org.kinesisaggregator.server.Input;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <source> @type http}: Fluentd's in_http on Netty's HTTP codec. {@code POST /TAG} with a JSON or
 * msgpack body (see {@link HttpEvents}) appends its events to the sink and answers only once the append's
 * future completed: 200 (or 204, or a 1x1 GIF) when the sink stored them, 500 when it refused them, 400
 * for a bad body, tag or event (nothing of that request is appended), 413 for a body over
 * {@code body_size_limit}, 403 for an origin {@code cors_allow_origins} does not list.
 *
 * <p>Memory: a body is aggregated up to {@code body_size_limit}; a connection has one request appending
 * at a time and stops reading meanwhile, so it holds at most one body (plus what one socket read already
 * brought of the next, pipelined, requests).
 *
 * <p>Threads: one event loop ({@code input-http}) of its own. Requests are parsed on it; an append is
 * never waited for: its completion is handed back to the connection's loop, which answers.
 */
public final class HttpInput implements Input {
    private static final Logger log = LoggerFactory.getLogger(HttpInput.class);
    private static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** A transparent 1x1 GIF, in_http's {@code respond_with_empty_img} answer. */
    static final byte[] EMPTY_GIF = {
        'G',
        'I',
        'F',
        '8',
        '9',
        'a',
        1,
        0,
        1,
        0,
        (byte) 0x80,
        0,
        0,
        (byte) 0xff,
        (byte) 0xff,
        (byte) 0xff,
        0,
        0,
        0,
        '!',
        (byte) 0xf9,
        4,
        1,
        0,
        0,
        0,
        0,
        ',',
        0,
        0,
        0,
        0,
        1,
        0,
        1,
        0,
        0,
        2,
        2,
        'D',
        1,
        0,
        ';'
    };

    private final HttpSettings settings;
    private final EventSink sink;
    private final Clock clock;
    private final MeterRegistry registry;
    private final ConcurrentHashMap<Integer, Counter> requests = new ConcurrentHashMap<>();
    private final AtomicInteger appending = new AtomicInteger();
    private final AtomicLong lastWarn = new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS);
    private final AtomicLong warnsSuppressed = new AtomicLong();
    private volatile HttpListener listener;
    private ChannelGroup channels;

    public HttpInput(HttpSettings settings, EventSink sink, Clock clock, MeterRegistry registry) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    @Override
    public String type() {
        return "http";
    }

    @Override
    public synchronized void start() throws InterruptedException, BindException {
        if (listener != null) {
            throw new IllegalStateException("http input already started");
        }
        channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        long idleMillis = Math.max(1, settings.keepaliveTimeout().toMillis());
        listener = HttpListener.bind(
                "", settings.bind(), settings.port(), "input-http", new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ch.pipeline()
                                .addLast("idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS))
                                .addLast("http", new HttpServerCodec())
                                // before the aggregator: body_size_limit bounds the decoded body
                                .addLast("inflate", new HttpContentDecompressor(0))
                                .addLast("aggregator", new LimitedAggregator(settings.bodySizeLimit()))
                                .addLast("in_http", new RequestHandler());
                    }
                });
        log.info("HTTP input listening on {} (POST /TAG)", localAddress());
    }

    /** The bound address; valid after {@link #start()}. */
    public InetSocketAddress localAddress() {
        return listener.localAddress();
    }

    /** Requests answered with {@code code} so far (the meter {@code http.input.requests{code}}). */
    public double requests(int code) {
        return counter(code).count();
    }

    private int boundPort() {
        HttpListener l = listener;
        return l != null ? l.localAddress().getPort() : settings.port();
    }

    private Counter counter(int code) {
        return requests.computeIfAbsent(
                code,
                c -> Counter.builder("http.input.requests")
                        .description("Requests the in_http source answered, by status code")
                        .tag("code", Integer.toString(c))
                        .tag("port", Integer.toString(boundPort()))
                        .register(registry));
    }

    /** Stops accepting, waits (at most {@code timeout}) for appends still running to be answered. */
    @Override
    public void drain(Duration timeout) {
        HttpListener l;
        synchronized (this) {
            l = listener;
        }
        if (l == null) {
            return;
        }
        l.stopAccepting();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (appending.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    @Override
    public synchronized void close() {
        if (listener == null) {
            return;
        }
        listener.stopAccepting();
        channels.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        listener.close();
        listener = null;
        log.info("HTTP input on port {} closed", boundPort());
    }

    /** Counts the 413s Netty's aggregator answers for bodies over the limit. */
    private final class LimitedAggregator extends HttpObjectAggregator {
        LimitedAggregator(int maxContentLength) {
            super(maxContentLength);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
            counter(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code()).increment();
            super.handleOversizedMessage(ctx, oversized);
        }
    }

    /** One per connection, on its loop: requests are answered one at a time, in order. */
    private final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ArrayDeque<FullHttpRequest> pending = new ArrayDeque<>();
        private boolean busy;

        RequestHandler() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            pending.add(request);
            ctx.channel().config().setAutoRead(false);
            if (!busy) {
                next(ctx);
            }
        }

        private void next(ChannelHandlerContext ctx) {
            FullHttpRequest request = pending.poll();
            if (request == null) {
                busy = false;
                ctx.channel().config().setAutoRead(true);
                return;
            }
            busy = true;
            boolean keepAlive =
                    HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
            HttpHeaders headers = request.headers();
            String allowOrigin = allowOrigin(headers.get(HttpHeaderNames.ORIGIN));
            if (!request.decoderResult().isSuccess()) {
                request.release();
                answer(ctx, text(HttpResponseStatus.BAD_REQUEST, "bad HTTP request"), allowOrigin, false);
                return;
            }
            if (HttpMethod.OPTIONS.equals(request.method())) {
                // a browser's preflight: answered only when CORS is configured and allows it, as in_http
                boolean allowed = allowOrigin != null
                        && "POST".equals(headers.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD));
                FullHttpResponse response = status(allowed ? HttpResponseStatus.OK : HttpResponseStatus.FORBIDDEN, "");
                if (allowed) {
                    response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "POST");
                    response.headers()
                            .set(
                                    HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS,
                                    headers.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS, ""));
                }
                request.release();
                answer(ctx, response, allowed ? allowOrigin : null, allowed && keepAlive);
                return;
            }
            if (HttpMethod.GET.equals(request.method())) {
                // in_http answers a GET 200 and stores nothing (load balancers' health checks)
                request.release();
                answer(ctx, status(HttpResponseStatus.OK, ""), null, false);
                return;
            }
            if (!settings.corsAllowOrigins().isEmpty() && allowOrigin == null) {
                // in_http refuses a request whose Origin is not listed, a missing one included
                request.release();
                answer(ctx, status(HttpResponseStatus.FORBIDDEN, ""), null, false);
                return;
            }
            HttpEvents.Batch batch;
            try {
                byte[] body = ByteBufUtil.getBytes(request.content());
                batch = HttpEvents.read(settings, request.uri(), headers, body, peer(ctx.channel()), clock);
            } catch (HttpEvents.BadRequest e) {
                warnBadRequest(request, ctx.channel(), e.getMessage());
                answer(ctx, text(HttpResponseStatus.BAD_REQUEST, e.getMessage()), allowOrigin, keepAlive);
                return;
            } finally {
                request.release();
            }
            if (batch.count() == 0) {
                answer(ctx, success(), allowOrigin, keepAlive);
                return;
            }
            appending.incrementAndGet();
            CompletableFuture<AppendResult> f;
            try {
                f = sink.append(batch.tag(), batch.entries(), batch.count(), null);
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((r, error) -> {
                appending.decrementAndGet();
                ctx.executor().execute(() -> appended(ctx, batch, error, allowOrigin, keepAlive));
            });
        }

        private void appended(
                ChannelHandlerContext ctx,
                HttpEvents.Batch batch,
                Throwable error,
                String allowOrigin,
                boolean keepAlive) {
            if (error == null) {
                answer(ctx, success(), allowOrigin, keepAlive);
                return;
            }
            Throwable cause =
                    error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            warnAppendFailed(batch, ctx.channel(), cause);
            answer(ctx, text(HttpResponseStatus.INTERNAL_SERVER_ERROR, cause.toString()), allowOrigin, keepAlive);
        }

        private void answer(
                ChannelHandlerContext ctx, FullHttpResponse response, String allowOrigin, boolean keepAlive) {
            counter(response.status().code()).increment();
            if (allowOrigin != null) {
                response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, allowOrigin);
                if (settings.corsAllowCredentials()) {
                    response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
                }
            }
            HttpListener.send(ctx, response, keepAlive);
            if (!keepAlive) {
                pending.forEach(FullHttpRequest::release);
                pending.clear();
                busy = false;
                return;
            }
            next(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof IdleStateEvent) {
                if (!busy) {
                    ctx.close();
                }
                return;
            }
            super.userEventTriggered(ctx, event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            pending.forEach(FullHttpRequest::release);
            pending.clear();
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof DecoderException && !busy && ctx.channel().isActive()) {
                // a body whose Content-Encoding does not decode: in_http answers 400
                FullHttpResponse response = text(HttpResponseStatus.BAD_REQUEST, "body could not be decoded");
                counter(response.status().code()).increment();
                HttpListener.send(ctx, response, false);
                return;
            }
            log.debug("HTTP input connection from {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /** The {@code Access-Control-Allow-Origin} to send, or null (no CORS, no origin, or not allowed). */
    private String allowOrigin(String origin) {
        if (settings.corsAllowOrigins().isEmpty()) {
            return null;
        }
        if (settings.corsAllowOrigins().contains("*")) {
            return "*";
        }
        if (origin == null) {
            return null;
        }
        for (String allowed : settings.corsAllowOrigins()) {
            int star = allowed.indexOf('*');
            boolean matches = star < 0
                    ? allowed.equals(origin)
                    : origin.length() >= allowed.length() - 1
                            && origin.startsWith(allowed.substring(0, star))
                            && origin.endsWith(allowed.substring(star + 1));
            if (matches) {
                return origin;
            }
        }
        return null;
    }

    /** Whether to log a WARN now: {@code dump_error_log}, and at most one a 10 s (the others are counted). */
    private boolean warnNow() {
        if (!settings.dumpErrorLog()) {
            return false;
        }
        long now = System.nanoTime();
        long last = lastWarn.get();
        if (now - last < WARN_INTERVAL_NANOS || !lastWarn.compareAndSet(last, now)) {
            warnsSuppressed.incrementAndGet();
            return false;
        }
        return true;
    }

    private void warnBadRequest(FullHttpRequest request, Channel channel, String reason) {
        if (!warnNow()) {
            log.debug(
                    "HTTP input: 400 for {} {} from {}: {}",
                    LogSafe.escape(request.method().name()),
                    LogSafe.escape(request.uri()),
                    channel.remoteAddress(),
                    LogSafe.escape(reason));
            return;
        }
        log.warn(
                "HTTP input: answered 400 to {} {} from {} ({} more 400/500 in the last 10 s): {}",
                LogSafe.escape(request.method().name()),
                LogSafe.escape(request.uri()),
                channel.remoteAddress(),
                warnsSuppressed.getAndSet(0),
                LogSafe.escape(reason));
    }

    private void warnAppendFailed(HttpEvents.Batch batch, Channel channel, Throwable cause) {
        if (!warnNow()) {
            log.debug(
                    "HTTP input: {} events of tag {} from {} not stored, answered 500: {}",
                    batch.count(),
                    LogSafe.escape(batch.tag()),
                    channel.remoteAddress(),
                    LogSafe.escape(cause.toString()));
            return;
        }
        log.warn(
                "HTTP input: {} events of tag {} from {} not stored, answered 500 ({} more 400/500 in the last 10 s): {}",
                batch.count(),
                LogSafe.escape(batch.tag()),
                channel.remoteAddress(),
                warnsSuppressed.getAndSet(0),
                LogSafe.escape(cause.toString()));
    }

    private static String peer(Channel channel) {
        SocketAddress a = channel.remoteAddress();
        if (a instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(a);
    }

    private FullHttpResponse success() {
        if (settings.use204Response()) {
            return status(HttpResponseStatus.NO_CONTENT, "");
        }
        if (settings.respondWithEmptyImg()) {
            FullHttpResponse r = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(EMPTY_GIF));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "image/gif");
            return r;
        }
        return status(HttpResponseStatus.OK, "");
    }

    /** in_http's error body: the status line, then the reason. */
    private static FullHttpResponse text(HttpResponseStatus status, String reason) {
        return status(status, status + "\n" + reason + "\n");
    }

    private static FullHttpResponse status(HttpResponseStatus status, String body) {
        FullHttpResponse r = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        return r;
    }
}
