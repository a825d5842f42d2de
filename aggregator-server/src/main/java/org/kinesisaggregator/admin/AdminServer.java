package org.kinesisaggregator.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.kinesisaggregator.buffer.BufferStats;
import org.kinesisaggregator.buffer.LogSafe;
import org.kinesisaggregator.server.Input;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP endpoint: liveness and readiness for the load balancer, Prometheus metrics, and
 * Fluentd monitor_agent's plugin listing.
 *
 * <ul>
 *   <li>{@code GET /health/live}: 200 while the process serves HTTP.
 *   <li>{@code GET /health/ready}: 200 when {@link Readiness#problems()} is empty, else 503 with the
 *       problems as JSON (503 while draining, so an NLB stops sending new connections).
 *   <li>{@code GET /metrics}: the Prometheus text exposition of every meter.
 *   <li>{@code GET /api/plugins.json}: monitor_agent's JSON ({@code ?type=}, {@code ?@id=} filters).
 * </ul>
 *
 * <p>Threads: one event loop of its own, so a scrape never delays forward traffic. Handlers run on
 * it and only read thread-safe state.
 */
public final class AdminServer implements Input {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final int MAX_REQUEST_BYTES = 16 * 1024;
    private static final JsonFactory JSON = new JsonFactory();

    private final AdminSettings settings;
    private final Supplier<String> metricsText;
    private final Readiness readiness;
    private final Supplier<List<PluginInfo>> plugins;
    private EventLoopGroup group;
    private Channel serverChannel;

    /**
     * No I/O here; {@link #start()} binds.
     *
     * @param metricsText the Prometheus text exposition of the meters (e.g. {@code PrometheusMeterRegistry::scrape})
     */
    public AdminServer(
            AdminSettings settings,
            Supplier<String> metricsText,
            Readiness readiness,
            Supplier<List<PluginInfo>> plugins) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.metricsText = Objects.requireNonNull(metricsText, "metricsText");
        this.readiness = Objects.requireNonNull(readiness, "readiness");
        this.plugins = Objects.requireNonNull(plugins, "plugins");
    }

    @Override
    public String type() {
        return "monitor_agent";
    }

    @Override
    public synchronized void start() throws InterruptedException, BindException {
        if (group != null) {
            throw new IllegalStateException("admin server already started");
        }
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ChannelHandler handler = new AdminHandler();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast("http", new HttpServerCodec())
                                .addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast("admin", handler);
                    }
                });
        try {
            ChannelFuture bind =
                    bootstrap.bind(settings.bind(), settings.port()).await();
            if (!bind.isSuccess()) {
                // epoll reports a taken port as a plain native I/O error: say it is a bind failure
                BindException e = new BindException("TCP " + settings.bind() + ":" + settings.port() + ": "
                        + bind.cause().getMessage());
                e.initCause(bind.cause());
                throw e;
            }
            serverChannel = bind.channel();
        } catch (RuntimeException | InterruptedException | BindException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            group = null;
            throw e;
        }
        log.info(
                "Admin HTTP listening on {} (/health/live, /health/ready, /metrics, /api/plugins.json)",
                localAddress());
    }

    /** The bound address; valid after {@link #start()}. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** The admin endpoint keeps answering while the node drains: that is when /health/ready says 503. */
    @Override
    public void drain(Duration timeout) {
        // Nothing to drain: requests are answered at once.
    }

    @Override
    public synchronized void close() {
        if (group == null) {
            return;
        }
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        group = null;
        log.info("Admin HTTP closed");
    }

    @ChannelHandler.Sharable
    private final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response;
            try {
                response = respond(request);
            } catch (RuntimeException | IOException e) {
                log.warn(
                        "Admin request {} {} from {} failed: {}",
                        LogSafe.escape(request.method().name()),
                        LogSafe.escape(request.uri()),
                        ctx.channel().remoteAddress(),
                        LogSafe.escape(e.toString()));
                response = text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error\n");
            }
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
            response.headers()
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            var future = ctx.writeAndFlush(response);
            if (!keepAlive) {
                future.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("Admin connection from {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    private FullHttpResponse respond(FullHttpRequest request) throws IOException {
        if (!request.decoderResult().isSuccess()) {
            return text(HttpResponseStatus.BAD_REQUEST, "bad request\n");
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        if (!HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method())) {
            FullHttpResponse response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET\n");
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            return response;
        }
        return switch (uri.path()) {
            case "/health/live" -> text(HttpResponseStatus.OK, "ok\n");
            case "/health/ready" -> ready();
            case "/metrics" -> metrics();
            case "/api/plugins.json" -> pluginsJson(uri.parameters());
            default ->
                text(
                        HttpResponseStatus.NOT_FOUND,
                        "not found; try /health/live, /health/ready, /metrics, /api/plugins.json\n");
        };
    }

    private FullHttpResponse ready() throws IOException {
        List<String> problems = readiness.problems();
        HttpResponseStatus status = problems.isEmpty() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE;
        ByteBuf body = Unpooled.buffer();
        try (JsonGenerator json = JSON.createGenerator((OutputStream) new ByteBufOutputStream(body))) {
            json.writeStartObject();
            json.writeStringField("status", problems.isEmpty() ? "ready" : "not ready");
            json.writeArrayFieldStart("problems");
            for (String problem : problems) {
                json.writeString(problem);
            }
            json.writeEndArray();
            json.writeEndObject();
        }
        body.writeByte('\n');
        return response(status, body, HttpHeaderValues.APPLICATION_JSON.toString());
    }

    private FullHttpResponse metrics() {
        byte[] scrape = metricsText.get().getBytes(StandardCharsets.UTF_8);
        return response(
                HttpResponseStatus.OK, Unpooled.wrappedBuffer(scrape), "text/plain; version=0.0.4; charset=utf-8");
    }

    private FullHttpResponse pluginsJson(Map<String, List<String>> query) throws IOException {
        String typeFilter = first(query, "type");
        String idFilter = first(query, "@id");
        ByteBuf body = Unpooled.buffer();
        try (JsonGenerator json = JSON.createGenerator((OutputStream) new ByteBufOutputStream(body))) {
            json.writeStartObject();
            json.writeArrayFieldStart("plugins");
            for (PluginInfo plugin : plugins.get()) {
                if ((typeFilter != null && !typeFilter.equals(plugin.type()))
                        || (idFilter != null && !idFilter.equals(plugin.pluginId()))) {
                    continue;
                }
                writePlugin(json, plugin);
            }
            json.writeEndArray();
            json.writeEndObject();
        }
        body.writeByte('\n');
        return response(HttpResponseStatus.OK, body, HttpHeaderValues.APPLICATION_JSON.toString());
    }

    /** Field names as Fluentd's monitor_agent writes them, so existing dashboards keep working. */
    private static void writePlugin(JsonGenerator json, PluginInfo plugin) throws IOException {
        json.writeStartObject();
        json.writeStringField("plugin_id", plugin.pluginId());
        json.writeStringField("plugin_category", plugin.category());
        json.writeStringField("type", plugin.type());
        json.writeObjectFieldStart("config");
        for (Map.Entry<String, String> e : plugin.config().entrySet()) {
            json.writeStringField(e.getKey(), e.getValue());
        }
        json.writeEndObject();
        boolean buffered = plugin.bufferStats() != null;
        json.writeBooleanField("output_plugin", "output".equals(plugin.category()));
        if (buffered) {
            BufferStats stats = plugin.bufferStats().get();
            json.writeNumberField("buffer_queue_length", stats.queuedChunks());
            json.writeNumberField("buffer_stage_length", stats.stagedChunks());
            json.writeNumberField("buffer_total_queued_size", stats.totalBytes());
            json.writeNumberField("buffer_total_events", stats.totalEvents());
            json.writeNumberField("retry_count", stats.retryCount());
            json.writeNumberField("buffer_oldest_chunk_age_seconds", stats.oldestChunkAgeMillis() / 1000.0);
        } else {
            json.writeNullField("retry_count");
        }
        json.writeEndObject();
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        return response(status, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), "text/plain; charset=utf-8");
    }

    private static FullHttpResponse response(HttpResponseStatus status, ByteBuf body, String contentType) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return response;
    }
}
