package org.kinesisaggregator.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
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
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.kinesisaggregator.buffer.LogSafe;
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
 *   <li>{@code GET /api/plugins.json}: monitor_agent's JSON ({@code ?type=}, {@code ?@type=},
 *       {@code ?@id=}, {@code ?id=} filters); {@code GET /api/plugins}: the same as LTSV, one line a plugin.
 *   <li>{@code GET /api/config.json}, {@code GET /api/config}: the process (monitor_agent's {@code pid},
 *       {@code ppid} and supervisor options), as JSON and as one LTSV line.
 * </ul>
 *
 * <p>The application wraps it as one of its inputs (it depends on nothing of the server).
 *
 * <p>Threads: one event loop of its own, so a scrape never delays forward traffic. Handlers run on
 * it and only read thread-safe state.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final int MAX_REQUEST_BYTES = 16 * 1024;
    private static final JsonFactory JSON = new JsonFactory();

    private final AdminSettings settings;
    private final Supplier<String> metricsText;
    private final Readiness readiness;
    private final Supplier<List<PluginInfo>> plugins;
    private final Supplier<Map<String, Object>> processInfo;
    private final ZoneId zone;
    private HttpListener listener;

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
        this(settings, metricsText, readiness, plugins, Map::of, ZoneId.systemDefault());
    }

    /**
     * No I/O here; {@link #start()} binds.
     *
     * @param processInfo what {@code /api/config.json} shows after {@code pid} and {@code ppid}
     * @param zone the zone of the retry times in {@code /api/plugins.json}
     */
    public AdminServer(
            AdminSettings settings,
            Supplier<String> metricsText,
            Readiness readiness,
            Supplier<List<PluginInfo>> plugins,
            Supplier<Map<String, Object>> processInfo,
            ZoneId zone) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.metricsText = Objects.requireNonNull(metricsText, "metricsText");
        this.readiness = Objects.requireNonNull(readiness, "readiness");
        this.plugins = Objects.requireNonNull(plugins, "plugins");
        this.processInfo = Objects.requireNonNull(processInfo, "processInfo");
        this.zone = Objects.requireNonNull(zone, "zone");
    }

    /** monitor_agent, whatever the source's type (both serve the same paths). */
    public String type() {
        return "monitor_agent";
    }

    /** Binds and starts answering. */
    public synchronized void start() throws InterruptedException, BindException {
        if (listener != null) {
            throw new IllegalStateException("admin server already started");
        }
        ChannelHandler handler = new AdminHandler();
        listener = HttpListener.bind(
                "", settings.bind(), settings.port(), "admin-http", new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast("http", new HttpServerCodec())
                                .addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast("admin", handler);
                    }
                });
        log.info(
                "Admin HTTP listening on {} (/health/live, /health/ready, /metrics, /api/plugins.json, /api/config.json)",
                localAddress());
    }

    /** The bound address; valid after {@link #start()}. */
    public InetSocketAddress localAddress() {
        return listener.localAddress();
    }

    /** The admin endpoint keeps answering while the node drains: that is when /health/ready says 503. */
    public void drain(Duration timeout) {
        // Nothing to drain: requests are answered at once.
    }

    @Override
    public synchronized void close() {
        if (listener == null) {
            return;
        }
        listener.close();
        listener = null;
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
            HttpListener.send(ctx, response, HttpUtil.isKeepAlive(request));
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
            case "/api/plugins" -> pluginsLtsv(uri.parameters());
            case "/api/config.json" -> configJson();
            case "/api/config" -> text(HttpResponseStatus.OK, MonitorInfo.ltsv(config(), false));
            default ->
                text(
                        HttpResponseStatus.NOT_FOUND,
                        "not found; try /health/live, /health/ready, /metrics, /api/plugins.json, /api/plugins,"
                                + " /api/config.json\n");
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
                MonitorInfo.writeJson(json, problem);
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
        ByteBuf body = Unpooled.buffer();
        try (JsonGenerator json = JSON.createGenerator((OutputStream) new ByteBufOutputStream(body))) {
            json.writeStartObject();
            json.writeFieldName("plugins");
            MonitorInfo.writeJson(json, selected(query));
            json.writeEndObject();
        }
        return response(HttpResponseStatus.OK, body, HttpHeaderValues.APPLICATION_JSON.toString());
    }

    private FullHttpResponse pluginsLtsv(Map<String, List<String>> query) {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> plugin : selected(query)) {
            sb.append(MonitorInfo.ltsv(plugin, true)).append('\n');
        }
        return text(HttpResponseStatus.OK, sb.toString());
    }

    /** The plugins the query asks for, as monitor_agent's filters pick them (the first filter given wins). */
    private List<Map<String, Object>> selected(Map<String, List<String>> query) {
        String idFilter = first(query, "@id") != null ? first(query, "@id") : first(query, "id");
        String typeFilter = first(query, "@type") != null ? first(query, "@type") : first(query, "type");
        List<Map<String, Object>> list = new ArrayList<>();
        for (PluginInfo plugin : plugins.get()) {
            if ((idFilter != null && !idFilter.equals(plugin.pluginId()))
                    || (idFilter == null && typeFilter != null && !typeFilter.equals(plugin.type()))) {
                continue;
            }
            list.add(MonitorInfo.of(plugin, settings.includeConfig(), settings.includeRetry(), zone));
        }
        return list;
    }

    private Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        ProcessHandle self = ProcessHandle.current();
        m.put("pid", self.pid());
        m.put("ppid", self.parent().map(ProcessHandle::pid).orElse(null));
        m.putAll(processInfo.get());
        return m;
    }

    private FullHttpResponse configJson() throws IOException {
        ByteBuf body = Unpooled.buffer();
        try (JsonGenerator json = JSON.createGenerator((OutputStream) new ByteBufOutputStream(body))) {
            MonitorInfo.writeJson(json, config());
        }
        return response(HttpResponseStatus.OK, body, HttpHeaderValues.APPLICATION_JSON.toString());
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
