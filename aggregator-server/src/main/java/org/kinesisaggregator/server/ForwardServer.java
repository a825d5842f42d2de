package org.kinesisaggregator.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelGroupFuture;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.server.codec.ForwardDecoderConfig;
import org.kinesisaggregator.server.heartbeat.HeartbeatHandler;
import org.kinesisaggregator.server.security.HandshakeAuthenticator;
import org.kinesisaggregator.server.tls.TlsContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <source> @type forward}: a Netty server speaking the Fluentd forward protocol v1 on TCP
 * (optionally TLS, optionally behind a PROXY-protocol load balancer) and answering UDP heartbeats
 * on the same port. Decoded events go to the {@link EventSink}; a forwarder's {@code chunk} is acked
 * only once the sink's future for it completed.
 *
 * <p>Lifecycle: the constructor does no I/O; {@link #start()} binds (port 0 picks a free port, see
 * {@link #localAddress()}); {@link #drain(Duration)} stops accepting and lets connections finish
 * the message they are receiving (appended and acked) before closing them; {@link #close()} closes
 * everything and stops the event loops, bounded in time. Native epoll is used when available
 * (else NIO): one boss loop and {@code workers} worker loops (0: one per processor).
 *
 * <p>Thread-safe: the lifecycle methods are synchronized; connections run on the worker loops.
 */
public final class ForwardServer implements Input {
    private static final Logger log = LoggerFactory.getLogger(ForwardServer.class);

    /** Lines a peer can repeat (failed handshakes, refusals, timeouts) are logged at most once per key per this. */
    static final Duration LOG_INTERVAL = Duration.ofSeconds(60);
    /** Most keys (client addresses, reasons) whose log lines are throttled separately. */
    private static final int LOG_THROTTLE_KEYS = 4096;

    /**
     * The channel of a bind, or a {@link BindException} naming what could not be bound (epoll reports a
     * taken port as a plain native I/O error; the conf layer names the {@code port} parameter for a
     * BindException).
     */
    private Channel bound(ChannelFuture bind, String what, int port) throws BindException, InterruptedException {
        bind.await();
        if (!bind.isSuccess()) {
            BindException e = new BindException(what + " " + settings.bind() + ":" + port + ": "
                    + bind.cause().getMessage());
            e.initCause(bind.cause());
            throw e;
        }
        return bind.channel();
    }

    /**
     * Internal sizes, with defaults that bound memory per connection (see docs/forward-protocol.md).
     *
     * @param maxInFlightAppends appends/pieces a connection may leave waiting for the sink
     * @param maxInFlightBytes bytes a connection may leave waiting for the sink
     * @param streamThresholdBytes entries above this are streamed to the sink in pieces
     * @param pieceBytes size of a stream piece
     * @param maxEventBytes largest single event
     */
    public record Tuning(
            int maxInFlightAppends,
            long maxInFlightBytes,
            int streamThresholdBytes,
            int pieceBytes,
            int maxEventBytes) {
        public static final Tuning DEFAULT = new Tuning(
                64,
                2L * 1024 * 1024,
                ForwardDecoderConfig.DEFAULT_STREAM_THRESHOLD_BYTES,
                ForwardDecoderConfig.DEFAULT_PIECE_BYTES,
                ForwardDecoderConfig.DEFAULT_MAX_EVENT_BYTES);

        public Tuning {
            if (maxInFlightAppends < 1
                    || maxInFlightBytes < 1
                    || streamThresholdBytes < 1
                    || pieceBytes < 1
                    || maxEventBytes < 1) {
                throw new IllegalArgumentException("tuning: " + maxInFlightAppends + ", " + maxInFlightBytes + ", "
                        + streamThresholdBytes + ", " + pieceBytes + ", " + maxEventBytes + " (expected: all >= 1)");
            }
        }
    }

    private final ForwardSettings settings;
    private final EventSink sink;
    private final MeterRegistry registry;
    private final Clock clock;
    private final Tuning tuning;

    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private ThreadPoolExecutor resolver;
    private Channel serverChannel;
    private Channel heartbeatChannel;
    private ChannelGroup connections;
    private ForwardMetrics metrics;
    private boolean started;
    private boolean drained;
    private boolean closed;

    public ForwardServer(ForwardSettings settings, EventSink sink, MeterRegistry registry) {
        this(settings, sink, registry, Clock.systemUTC(), Tuning.DEFAULT);
    }

    public ForwardServer(ForwardSettings settings, EventSink sink, MeterRegistry registry, Clock clock, Tuning tuning) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.tuning = Objects.requireNonNull(tuning, "tuning");
        if (settings.sendKeepalivePacket() && settings.denyKeepalive()) {
            throw new IllegalArgumentException(
                    "send_keepalive_packet: true (expected: false when deny_keepalive is true; they contradict)");
        }
        if (settings.sourceHostnameKey() != null && settings.sourceHostnameKey().isEmpty()
                || settings.sourceAddressKey() != null
                        && settings.sourceAddressKey().isEmpty()) {
            throw new IllegalArgumentException("source_hostname_key/source_address_key: \"\" (expected: a record key)");
        }
    }

    @Override
    public String type() {
        return "forward";
    }

    @Override
    public synchronized void start() throws Exception {
        if (started) {
            throw new IllegalStateException("forward input already started");
        }
        started = true;
        boolean epoll = Epoll.isAvailable() && !Boolean.getBoolean("kinesisaggregator.forward.nio");
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> serverClass =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        Class<? extends Channel> datagramClass = epoll ? EpollDatagramChannel.class : NioDatagramChannel.class;
        int workerCount = settings.workers() > 0
                ? settings.workers()
                : Runtime.getRuntime().availableProcessors();
        try {
            SslContext ssl = settings.tls() == null ? null : TlsContextFactory.serverContext(settings.tls());
            HandshakeAuthenticator auth = settings.security() == null
                    ? null
                    : HandshakeAuthenticator.create(settings.security(), settings.denyKeepalive());
            if (settings.sourceHostnameKey() != null) {
                resolver = new ThreadPoolExecutor(
                        0,
                        4,
                        30,
                        TimeUnit.SECONDS,
                        new LinkedBlockingQueue<>(),
                        new DefaultThreadFactory("forward-resolver", true));
            }
            boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("forward-boss"), io);
            workers = new MultiThreadIoEventLoopGroup(workerCount, new DefaultThreadFactory("forward-worker"), io);
            connections = new DefaultChannelGroup("forward", GlobalEventExecutor.INSTANCE);
            ForwardDecoderConfig decoderConfig = ForwardDecoderConfig.builder(clock)
                    .skipInvalidEvent(settings.skipInvalidEvent())
                    .addTagPrefix(settings.addTagPrefix())
                    .eventMetadataKey(settings.eventMetadataKey())
                    .chunkSizeLimitBytes(settings.chunkSizeLimitBytes())
                    .decompressionSizeLimitBytes(settings.decompressionSizeLimitBytes())
                    .expectHandshake(auth != null)
                    .maxEventBytes(tuning.maxEventBytes())
                    .streaming(tuning.streamThresholdBytes(), tuning.pieceBytes())
                    .build();
            // everything a connection needs exists before the port accepts: no connection can meet a half-built
            // pipeline
            metrics = new ForwardMetrics(registry, settings.port());
            IngestContext deps = new IngestContext(
                    settings,
                    sink,
                    metrics,
                    auth,
                    resolver,
                    tuning.maxInFlightAppends(),
                    tuning.maxInFlightBytes(),
                    new LogThrottle(LOG_INTERVAL, LOG_THROTTLE_KEYS, clock));
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(serverClass)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, settings.sendKeepalivePacket())
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 256 * 1024))
                    .childHandler(new ForwardChannelInitializer(deps, decoderConfig, ssl, connections));
            if (!settings.lingerTimeout().isZero()) {
                bootstrap.childOption(ChannelOption.SO_LINGER, (int)
                        Math.min(Integer.MAX_VALUE, settings.lingerTimeout().toSeconds()));
            }
            serverChannel = bound(bootstrap.bind(settings.bind(), settings.port()), "TCP", settings.port());
            InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
            heartbeatChannel = bound(
                    new Bootstrap()
                            .group(workers)
                            .channel(datagramClass)
                            .handler(new HeartbeatHandler(metrics.heartbeats()))
                            .bind(settings.bind(), bound.getPort()),
                    "UDP",
                    bound.getPort());
            log.info(
                    "Forward input listening on {}:{} (tcp{}{}{} and udp heartbeat; {} worker loops, {})",
                    bound.getAddress().getHostAddress(),
                    bound.getPort(),
                    ssl != null ? "+tls" : "",
                    settings.proxyProtocol() ? ", PROXY protocol" : "",
                    auth != null ? ", shared-key handshake" : "",
                    workerCount,
                    epoll ? "epoll" : "nio");
        } catch (Exception e) {
            log.error("Forward input failed to start on {}:{}: {}", settings.bind(), settings.port(), e.toString());
            close();
            throw e;
        }
    }

    /** The bound TCP address (also the UDP heartbeat port). */
    public synchronized InetSocketAddress localAddress() {
        if (serverChannel == null) {
            throw new IllegalStateException("forward input not started");
        }
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Open connections right now. */
    public int activeConnections() {
        return metrics == null ? 0 : metrics.activeConnections();
    }

    @Override
    public synchronized void drain(Duration timeout) {
        if (!started || drained || closed || serverChannel == null) {
            return;
        }
        drained = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        serverChannel.close().awaitUninterruptibly();
        if (heartbeatChannel != null) {
            heartbeatChannel.close().awaitUninterruptibly();
        }
        int open = connections.size();
        ChannelGroupFuture closing = connections.newCloseFuture();
        for (Channel ch : connections) {
            ch.pipeline().fireUserEventTriggered(ForwardIngestHandler.DRAIN);
        }
        boolean finished =
                closing.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        int forced = 0;
        if (!finished) {
            forced = connections.size();
            connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        log.info(
                "Forward input drained: stopped accepting; {} connection(s) finished their messages, {} closed at the "
                        + "{} ms timeout",
                open - forced,
                forced,
                timeout.toMillis());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (heartbeatChannel != null) {
            heartbeatChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (connections != null) {
            connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        Future<?> b = boss == null ? null : boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        Future<?> w = workers == null ? null : workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        if (b != null) {
            b.awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
        if (w != null) {
            w.awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
        if (resolver != null) {
            resolver.shutdownNow();
        }
        if (serverChannel != null) {
            log.info("Forward input on port {} closed", ((InetSocketAddress) serverChannel.localAddress()).getPort());
        }
    }
}
