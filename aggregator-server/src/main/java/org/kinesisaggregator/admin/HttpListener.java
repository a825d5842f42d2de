package org.kinesisaggregator.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpUtil;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One listening HTTP (or any TCP) socket with an event loop of its own: what the admin server, the
 * RPC endpoint and the http input share. A port that cannot be bound is a {@link BindException}
 * naming the address (epoll reports a taken port as a plain native I/O error), and nothing is left
 * running.
 *
 * <p>Thread-safe: {@link #bind} returns a started listener; {@link #close} may be called from any
 * thread, more than once.
 */
public final class HttpListener {
    private final EventLoopGroup group;
    private final Channel serverChannel;

    private HttpListener(EventLoopGroup group, Channel serverChannel) {
        this.group = group;
        this.serverChannel = serverChannel;
    }

    /**
     * Binds {@code host:port} with one daemon event-loop thread named {@code threadName}, whose
     * connections get the pipeline {@code init} sets up.
     *
     * @param what prefixes the bind error's message (e.g. {@code "rpc_endpoint "}, or {@code ""})
     */
    public static HttpListener bind(
            String what, String host, int port, String threadName, ChannelInitializer<SocketChannel> init)
            throws InterruptedException, BindException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(
                1,
                r -> {
                    Thread t = new Thread(r, threadName);
                    t.setDaemon(true);
                    return t;
                },
                NioIoHandler.newFactory());
        try {
            ChannelFuture bound = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(init)
                    .bind(host, port)
                    .await();
            if (!bound.isSuccess()) {
                BindException e = new BindException(
                        what + "TCP " + host + ":" + port + ": " + bound.cause().getMessage());
                e.initCause(bound.cause());
                throw e;
            }
            return new HttpListener(group, bound.channel());
        } catch (RuntimeException | InterruptedException | BindException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** The bound address. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Closes the listening socket: no new connection is accepted; open ones go on. */
    public void stopAccepting() {
        serverChannel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    /** Stops accepting, then shuts the event loop down (which closes every connection). */
    public void close() {
        stopAccepting();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /**
     * Writes {@code response} with its {@code Connection} and {@code Content-Length} headers set, and
     * closes the connection once it is written unless {@code keepAlive}.
     */
    public static ChannelFuture send(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        HttpUtil.setKeepAlive(response, keepAlive);
        response.headers()
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        ChannelFuture written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
        return written;
    }
}
