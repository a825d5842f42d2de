package org.kinesisaggregator.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.kinesisaggregator.buffer.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fluentd's HTTP RPC ({@code <system> rpc_endpoint}): each path names an action; a request (any
 * method, as Fluentd's server takes any) runs it and answers {@code 200 {"ok":true}} as JSON. The
 * actions only queue the work (a reload takes seconds): like Fluentd, which sends itself the signal
 * and answers at once, the answer says the request was taken, not that the work is done. A failing
 * action answers 500 with {@code {"message":"Internal Server Error","error":…,"ok":false}}; an
 * unknown path 404 with {@code "ok":false} and the known paths.
 *
 * <p>Threads: one event loop of its own; the actions run on it and must not block. Lifecycle:
 * construct (no I/O), {@link #start()} binds, {@link #close()} (idempotent, bounded).
 */
public final class RpcServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RpcServer.class);
    private static final int MAX_REQUEST_BYTES = 16 * 1024;

    private final String bind;
    private final int port;
    private final Map<String, Runnable> actions;
    private HttpListener listener;

    /** @param actions path (e.g. {@code /api/plugins.flushBuffers}) → what a request runs; non-blocking */
    public RpcServer(String bind, int port, Map<String, Runnable> actions) {
        this.bind = Objects.requireNonNull(bind, "bind");
        this.port = port;
        this.actions = Collections.unmodifiableMap(new LinkedHashMap<>(actions));
    }

    /** Binds and starts answering. */
    public synchronized void start() throws InterruptedException, BindException {
        if (listener != null) {
            throw new IllegalStateException("RPC server already started");
        }
        ChannelHandler handler = new RpcHandler();
        listener = HttpListener.bind("rpc_endpoint ", bind, port, "rpc-http", new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline()
                        .addLast("http", new HttpServerCodec())
                        .addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST_BYTES))
                        .addLast("rpc", handler);
            }
        });
        log.info("RPC endpoint listening on {} ({})", localAddress(), String.join(", ", actions.keySet()));
    }

    /** The bound address; valid after {@link #start()}. */
    public InetSocketAddress localAddress() {
        return listener.localAddress();
    }

    @Override
    public synchronized void close() {
        if (listener == null) {
            return;
        }
        listener.close();
        listener = null;
        log.info("RPC endpoint closed");
    }

    @ChannelHandler.Sharable
    private final class RpcHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response = respond(request, ctx);
            HttpListener.send(ctx, response, HttpUtil.isKeepAlive(request));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("RPC connection from {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    private FullHttpResponse respond(FullHttpRequest request, ChannelHandlerContext ctx) {
        if (!request.decoderResult().isSuccess()) {
            return json(HttpResponseStatus.BAD_REQUEST, fields("message", "Bad Request", "ok", false));
        }
        String path = new QueryStringDecoder(request.uri()).path();
        Runnable action = actions.get(path);
        if (action == null) {
            return json(
                    HttpResponseStatus.NOT_FOUND,
                    fields("message", "Not Found", "paths", List.copyOf(actions.keySet()), "ok", false));
        }
        log.debug("RPC {} from {}", path, ctx.channel().remoteAddress());
        try {
            action.run();
        } catch (RuntimeException e) {
            log.warn("RPC {} from {} failed: {}", path, ctx.channel().remoteAddress(), LogSafe.escape(e.toString()));
            return json(
                    HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    fields("message", "Internal Server Error", "error", e.toString(), "ok", false));
        }
        return json(HttpResponseStatus.OK, fields("ok", true));
    }

    /** {@code kv} (key, value, key, value...) as an ordered map. */
    private static Map<String, Object> fields(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** {@code fields} as a JSON object. */
    private static FullHttpResponse json(HttpResponseStatus status, Map<String, Object> fields) {
        FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(MonitorInfo.toJson(fields)));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        return response;
    }
}
