package org.kinesisaggregator.server.output.forward;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.server.output.forward.ForwardOutputSettings.Heartbeat;
import org.kinesisaggregator.server.tls.PemFiles;
import org.kinesisaggregator.server.tls.TlsContextFactory;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code @type forward} as an output: relays chunks to other forward servers (another aggregator
 * tier, Fluentd's in_forward). Each write sends the chunk's pending events as PackedForward
 * messages (one per run of events with the same tag, at most {@link #MAX_MESSAGE_ENTRY_BYTES} of
 * entries each; CompressedPackedForward with {@code compress gzip}) over one connection to one
 * server, chosen at random by {@code weight} among the available non-standby servers, then the
 * standby ones. A server that cannot be connected to is marked down and the next one is tried in the
 * same write. With {@code require_ack_response} each message carries a {@code chunk} id derived from
 * the buffer chunk's id and the message's first event (the same on every retry, so the receiver's
 * dedup window recognises a re-send) and counts as delivered only when acked; without it, once
 * written and flushed.
 *
 * <p>Threads: one event loop group (one thread) per output, created in {@link #start} and shut down
 * in {@link #close}; connections, acks and heartbeats run on it. {@link #write} builds the messages
 * on the calling flush thread and never blocks on the network.
 */
public final class ForwardOutput implements Output {
    private static final Logger log = LoggerFactory.getLogger(ForwardOutput.class);
    /** Entries per message are split at this size (whole events), bounding the receiver's work per message. */
    static final int MAX_MESSAGE_ENTRY_BYTES = 8 * 1024 * 1024;

    private final String outputId;
    private final ForwardOutputSettings settings;
    private final List<ServerNode> nodes = new ArrayList<>();
    private final Random random;
    private EventLoopGroup group;
    private Bootstrap bootstrap;
    private SslContext ssl;
    private ScheduledFuture<?> heartbeatTask;
    private Channel udp;
    private volatile boolean closed;

    public ForwardOutput(String outputId, ForwardOutputSettings settings, MeterRegistry registry, Random random) {
        this.outputId = outputId;
        this.settings = settings;
        this.random = random;
        for (ForwardOutputSettings.Server s : settings.servers()) {
            nodes.add(new ServerNode(outputId, s, settings.hardTimeout(), registry));
        }
    }

    @Override
    public String type() {
        return "forward";
    }

    @Override
    public void start() throws IOException, GeneralSecurityException, InterruptedException {
        if (settings.tls() != null) {
            ssl = clientContext(settings.tls());
        }
        group = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("output-forward-" + outputId, true), NioIoHandler.newFactory());
        bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
        if (settings.heartbeat() == Heartbeat.UDP) {
            udp = new Bootstrap()
                    .group(group)
                    .channel(NioDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                            for (ServerNode n : nodes) {
                                InetSocketAddress a = p.sender();
                                if (a.getPort() == n.server.port() && matches(a, n.server.host())) {
                                    n.markUp();
                                }
                            }
                        }
                    })
                    .bind(0)
                    .sync()
                    .channel();
        }
        if (settings.heartbeat() != Heartbeat.NONE) {
            long ms = settings.heartbeatInterval().toMillis();
            heartbeatTask = group.next().scheduleAtFixedRate(this::heartbeat, ms, ms, TimeUnit.MILLISECONDS);
        }
        log.info(
                "forward output {}: {} server(s) ({}), require_ack_response {}, heartbeat {}",
                outputId,
                nodes.size(),
                String.join(", ", nodes.stream().map(n -> n.server.label()).toList()),
                settings.requireAckResponse(),
                settings.heartbeat().name().toLowerCase(Locale.ROOT));
    }

    private static boolean matches(InetSocketAddress a, String host) {
        if (a.getHostString().equals(host)) {
            return true;
        }
        return a.getAddress() != null
                && (a.getAddress().getHostAddress().equals(host)
                        || (a.getAddress().isLoopbackAddress() && host.equals("localhost")));
    }

    /** Builds the client {@link SslContext} of {@code transport tls}; reads files. */
    static SslContext clientContext(ForwardOutputSettings.Tls tls) throws IOException, GeneralSecurityException {
        SslContextBuilder b = SslContextBuilder.forClient()
                .sslProvider(SslProvider.JDK)
                .protocols(TlsContextFactory.protocols(tls.minVersion(), tls.maxVersion()));
        if (tls.insecure()) {
            b.trustManager(InsecureTrustManagerFactory.INSTANCE);
        } else if (!tls.caPaths().isEmpty()) {
            List<X509Certificate> cas = new ArrayList<>();
            for (var p : tls.caPaths()) {
                cas.addAll(List.of(PemFiles.certificates(p)));
            }
            b.trustManager(cas.toArray(new X509Certificate[0]));
        }
        if (tls.clientCertPath() != null) {
            b.keyManager(
                    PemFiles.privateKey(tls.clientKeyPath(), tls.clientKeyPassphrase()),
                    PemFiles.certificates(tls.clientCertPath()));
        }
        if (!tls.ciphers().isEmpty()) {
            b.ciphers(tls.ciphers());
        }
        return b.build();
    }

    private void heartbeat() {
        for (ServerNode n : nodes) {
            if (settings.heartbeat() == Heartbeat.UDP) {
                if (System.nanoTime() - n.lastHeartbeatNanos
                        > settings.hardTimeout().toNanos()) {
                    n.markDown("no UDP heartbeat reply for hard_timeout " + settings.hardTimeout());
                }
                udp.writeAndFlush(new DatagramPacket(
                        Unpooled.wrappedBuffer(new byte[] {0}),
                        new InetSocketAddress(n.server.host(), n.server.port())));
            } else {
                bootstrap
                        .clone()
                        .handler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {}
                        })
                        .connect(n.server.host(), n.server.port())
                        .addListener((ChannelFuture f) -> {
                            if (f.isSuccess()) {
                                n.markUp();
                                f.channel().close();
                            } else {
                                n.markDown("heartbeat: " + describe(f.cause()));
                            }
                        });
            }
        }
    }

    /** One message ready to send, and the chunk event indexes it carries. */
    private record Message(byte[] bytes, String ackChunk, int[] indexes) {}

    @Override
    public CompletableFuture<WriteResult> write(Chunk chunk) {
        if (closed) {
            return CompletableFuture.completedFuture(WriteResult.failed("forward output " + outputId + " is closed"));
        }
        List<Message> messages;
        try {
            messages = messages(chunk);
        } catch (IOException e) {
            return CompletableFuture.completedFuture(WriteResult.failed("reading chunk " + chunk.id() + ": " + e));
        }
        if (messages.isEmpty()) {
            return CompletableFuture.completedFuture(WriteResult.allDelivered());
        }
        CompletableFuture<WriteResult> result = new CompletableFuture<>();
        attempt(messages, order(), 0, new StringBuilder(), result);
        return result;
    }

    /** Available primaries in weighted random order, then available standbys in weighted random order. */
    private List<ServerNode> order() {
        List<ServerNode> out = new ArrayList<>();
        for (boolean standby : new boolean[] {false, true}) {
            List<ServerNode> pool = new ArrayList<>();
            for (ServerNode n : nodes) {
                if (n.server.standby() == standby && n.isAvailable() && n.server.weight() > 0) {
                    pool.add(n);
                }
            }
            while (!pool.isEmpty()) {
                int total = pool.stream().mapToInt(n -> n.server.weight()).sum();
                int pick;
                synchronized (random) {
                    pick = random.nextInt(total);
                }
                for (int i = 0; i < pool.size(); i++) {
                    pick -= pool.get(i).server.weight();
                    if (pick < 0) {
                        out.add(pool.remove(i));
                        break;
                    }
                }
            }
        }
        return out;
    }

    private void attempt(
            List<Message> messages,
            List<ServerNode> order,
            int at,
            StringBuilder why,
            CompletableFuture<WriteResult> result) {
        if (at >= order.size()) {
            result.complete(WriteResult.failed(
                    order.isEmpty()
                            ? "no forward server available (all down for hard_timeout " + settings.hardTimeout() + ")"
                            : "no forward server accepted the connection: " + why));
            return;
        }
        ServerNode node = order.get(at);
        acquire(node).whenComplete((conn, e) -> {
            if (e != null) {
                Throwable cause = unwrap(e);
                node.connectionsFailed.increment();
                node.markDown(describe(cause));
                why.append(why.isEmpty() ? "" : "; ")
                        .append(node.server.label())
                        .append(": ")
                        .append(describe(cause));
                attempt(messages, order, at + 1, why, result);
                return;
            }
            send(node, conn, messages, result);
        });
    }

    private CompletableFuture<ForwardConnection> acquire(ServerNode node) {
        ForwardConnection c;
        while ((c = node.idle.poll()) != null) {
            boolean expired = settings.keepaliveTimeout() != null
                    && c.ageNanos() > settings.keepaliveTimeout().toNanos();
            if (c.isReusable() && !expired) {
                return CompletableFuture.completedFuture(c);
            }
            c.close();
        }
        ForwardOutputSettings.Security sec = settings.security();
        ClientHandshake handshake = sec == null
                ? null
                : new ClientHandshake(
                        sec.selfHostname(),
                        node.server.sharedKey() != null ? node.server.sharedKey() : sec.sharedKey(),
                        node.server.username(),
                        node.server.password());
        CompletableFuture<ForwardConnection> ready = new CompletableFuture<>();
        ChannelFuture connect = bootstrap
                .clone()
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ForwardConnection conn = new ForwardConnection(ch, handshake, settings.sendTimeout());
                        if (ssl != null) {
                            SSLEngine engine = ssl.newEngine(ch.alloc(), node.server.host(), node.server.port());
                            if (settings.tls().verifyHostname()
                                    && !settings.tls().insecure()) {
                                SSLParameters p = engine.getSSLParameters();
                                p.setEndpointIdentificationAlgorithm("HTTPS");
                                engine.setSSLParameters(p);
                            }
                            ch.pipeline().addLast("tls", new SslHandler(engine));
                        }
                        ch.pipeline().addLast("responses", new ResponseDecoder());
                        ch.pipeline().addLast("connection", conn.handler());
                        conn.ready().whenComplete((r, e) -> {
                            if (e != null) {
                                ready.completeExceptionally(e);
                            } else {
                                ready.complete(r);
                            }
                        });
                    }
                })
                .connect(node.server.host(), node.server.port());
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                ready.completeExceptionally(f.cause());
            }
        });
        return ready.thenApply(conn -> {
            node.connectionsOk.increment();
            node.markUp();
            return conn;
        });
    }

    private void send(
            ServerNode node, ForwardConnection conn, List<Message> messages, CompletableFuture<WriteResult> result) {
        List<CompletableFuture<Void>> sends = new ArrayList<>(messages.size());
        for (Message m : messages) {
            sends.add(conn.send(m.bytes(), m.ackChunk(), settings.ackResponseTimeout()));
        }
        CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0])).whenComplete((v, e) -> {
            BitSet delivered = new BitSet();
            String failure = null;
            boolean ackTimeout = false;
            for (int i = 0; i < messages.size(); i++) {
                CompletableFuture<Void> s = sends.get(i);
                if (!s.isCompletedExceptionally()) {
                    node.messages.increment();
                    for (int index : messages.get(i).indexes()) {
                        delivered.set(index);
                    }
                } else {
                    Throwable cause = unwrap(s.handle((x, t) -> t).join());
                    if (cause instanceof ForwardConnection.AckTimeoutException) {
                        node.ackTimeouts.increment();
                        ackTimeout = true;
                    }
                    if (failure == null) {
                        failure = node.server.label() + ": " + describe(cause);
                    }
                }
            }
            if (ackTimeout) {
                log.warn(
                        "forward output {}: no ack from server {} within {} (ack_response_timeout); the"
                                + " unacked events are retried",
                        outputId,
                        node.server.label(),
                        settings.ackResponseTimeout());
                node.markDown("no ack within ack_response_timeout " + settings.ackResponseTimeout());
            }
            if (failure == null && settings.keepalive() && conn.isReusable() && !closed) {
                node.idle.push(conn);
            } else {
                conn.close();
            }
            if (failure == null) {
                result.complete(WriteResult.allDelivered());
            } else {
                result.complete(WriteResult.partial(delivered, Map.of(), failure));
            }
        });
    }

    /** The chunk's pending events as encoded messages. */
    private List<Message> messages(Chunk chunk) throws IOException {
        List<Message> out = new ArrayList<>();
        try (EventCursor c = chunk.events()) {
            String tag = null;
            ByteArrayOutputStream entries = new ByteArrayOutputStream();
            List<Integer> indexes = new ArrayList<>();
            while (c.next()) {
                if (tag != null && (!tag.equals(c.tag()) || entries.size() >= MAX_MESSAGE_ENTRY_BYTES)) {
                    out.add(encode(chunk, tag, entries.toByteArray(), indexes));
                    entries.reset();
                    indexes.clear();
                }
                tag = c.tag();
                ByteBuffer e = c.entry().duplicate();
                byte[] b = new byte[e.remaining()];
                e.get(b);
                entries.write(b);
                indexes.add(c.index());
            }
            if (tag != null) {
                out.add(encode(chunk, tag, entries.toByteArray(), indexes));
            }
        }
        return out;
    }

    private Message encode(Chunk chunk, String tag, byte[] entries, List<Integer> indexes) throws IOException {
        byte[] payload = entries;
        if (settings.gzip()) {
            ByteArrayOutputStream z = new ByteArrayOutputStream(entries.length / 4 + 64);
            try (GZIPOutputStream gz = new GZIPOutputStream(z)) {
                gz.write(entries);
            }
            payload = z.toByteArray();
        }
        String ackChunk = settings.requireAckResponse() ? chunkId(chunk.id(), indexes.get(0)) : null;
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(3)
                    .packString(tag)
                    .packBinaryHeader(payload.length)
                    .writePayload(payload);
            p.packMapHeader(1 + (ackChunk != null ? 1 : 0) + (settings.gzip() ? 1 : 0));
            p.packString("size").packInt(indexes.size());
            if (ackChunk != null) {
                p.packString("chunk").packString(ackChunk);
            }
            if (settings.gzip()) {
                p.packString("compressed").packString("gzip");
            }
            int[] ix = indexes.stream().mapToInt(Integer::intValue).toArray();
            return new Message(p.toByteArray(), ackChunk, ix);
        }
    }

    /**
     * The {@code chunk} option of a message: base64 of 16 bytes of SHA-256 over the output id, the
     * buffer chunk id and the first event index. The same on every attempt of the same events, so a
     * re-send after a lost ack is recognised by the receiver's dedup window (which also compares the
     * tag and the entries).
     */
    static String chunkId(String outputId, String chunkId, int firstIndex) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((outputId + "\0" + chunkId + "\0" + firstIndex).getBytes(StandardCharsets.UTF_8));
            byte[] id = new byte[16];
            System.arraycopy(md.digest(), 0, id, 0, id.length);
            return Base64.getEncoder().encodeToString(id);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    private String chunkId(String chunkId, int firstIndex) {
        return chunkId(outputId, chunkId, firstIndex);
    }

    private static Throwable unwrap(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (heartbeatTask != null) {
            heartbeatTask.cancel(false);
        }
        for (ServerNode n : nodes) {
            ForwardConnection c;
            while ((c = n.idle.poll()) != null) {
                c.close();
            }
        }
        if (udp != null) {
            udp.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
