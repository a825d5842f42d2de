package org.kinesisaggregator.server;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import org.kinesisaggregator.buffer.LogSafe;

/**
 * Who is on the other end of a forward connection, as its log lines name it: the socket's remote
 * address, replaced by the client's address when a PROXY header names it. Shared by the handlers of
 * one pipeline through a channel attribute, so that every line about a connection names the peer
 * the same way.
 *
 * <p>Confined to the channel's event loop (created and updated there, read there).
 */
final class ConnectionPeer {
    private static final AttributeKey<ConnectionPeer> KEY = AttributeKey.valueOf(ConnectionPeer.class, "peer");

    private InetSocketAddress address;
    private String display = "?";

    private ConnectionPeer() {}

    /** The channel's peer, created from its remote address at first use. */
    static ConnectionPeer of(Channel channel) {
        ConnectionPeer peer = channel.attr(KEY).get();
        if (peer == null) {
            peer = new ConnectionPeer();
            if (channel.remoteAddress() instanceof InetSocketAddress a) {
                peer.update(a);
            }
            channel.attr(KEY).set(peer);
        }
        return peer;
    }

    /** The client's address as a PROXY header gives it (or the socket's). */
    void update(InetSocketAddress address) {
        this.address = address;
        display = address.getAddress() == null
                ? LogSafe.escape(address.getHostString()) + ":" + address.getPort()
                : address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /** The peer's address, or null when the channel has none (an embedded channel). */
    InetSocketAddress address() {
        return address;
    }

    /** The throttle key of {@code what} from this peer: its address without the port (one per client host). */
    String throttleKey(String what) {
        String host = address == null
                ? display
                : address.getAddress() == null
                        ? LogSafe.escape(address.getHostString())
                        : address.getAddress().getHostAddress();
        return what + " " + host;
    }

    /** {@code address:port}, safe to log. */
    @Override
    public String toString() {
        return display;
    }
}
