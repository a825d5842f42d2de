package org.kinesisaggregator.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.kinesisaggregator.server.codec.ForwardDecoderConfig;
import org.kinesisaggregator.server.codec.RecordRewriter;

/**
 * {@code source_address_key} / {@code source_hostname_key}: what a connection adds to every record
 * it receives, and whether those values are known yet.
 *
 * <pre>
 *   READY                  known, or neither key configured: messages are dispatched
 *   AWAITING_PROXY_HEADER  proxy_protocol: held until the PROXY header names the client; reading goes on
 *   RESOLVING_HOSTNAME     the client's hostname is being resolved (off the loop): held, reading paused
 * </pre>
 *
 * <p>One per connection, confined to its event loop; the reverse lookup runs on the source's
 * resolver and its result comes back through {@code loop}.
 */
final class SourceKeyInjector {

    /** Whether the values are known. */
    enum State {
        READY,
        AWAITING_PROXY_HEADER,
        RESOLVING_HOSTNAME
    }

    private final String addressKey;
    private final String hostnameKey;
    private final Executor resolver;
    private State state = State.READY;
    private List<RecordRewriter.Pair> pairs;
    private RecordRewriter rewriter;

    SourceKeyInjector(ForwardSettings settings, Executor resolver) {
        this.addressKey = settings.sourceAddressKey();
        this.hostnameKey = settings.sourceHostnameKey();
        this.resolver = resolver;
    }

    State state() {
        return state;
    }

    /** Either key is configured. */
    boolean isNeeded() {
        return addressKey != null || hostnameKey != null;
    }

    /** The connection's address will come from a PROXY header: hold messages until {@link #prepare}. */
    void awaitProxyHeader() {
        state = State.AWAITING_PROXY_HEADER;
    }

    /**
     * The client is known: builds the pairs, right away or after a reverse lookup; {@code loop}
     * runs the completion on the channel's event loop and {@code onReady} is called there when the
     * values are known (not called when they were known at once).
     */
    void prepare(InetAddress address, Executor loop, Runnable onReady) {
        List<RecordRewriter.Pair> known = new ArrayList<>(2);
        if (addressKey != null) {
            known.add(RecordRewriter.Pair.ofString(addressKey, address.getHostAddress()));
        }
        rewriter = new RecordRewriter(ForwardDecoderConfig.DEFAULT_MAX_DEPTH);
        if (hostnameKey == null) {
            pairs = known;
            state = State.READY;
            return;
        }
        state = State.RESOLVING_HOSTNAME;
        CompletableFuture.supplyAsync(address::getHostName, resolver)
                .whenCompleteAsync(
                        (name, error) -> {
                            known.add(RecordRewriter.Pair.ofString(
                                    hostnameKey, name != null ? name : address.getHostAddress()));
                            pairs = known;
                            state = State.READY;
                            onReady.run();
                        },
                        loop);
    }

    /** Takes ownership of {@code entries}; returns them, or a rewritten copy with the source keys added. */
    ByteBuf inject(ByteBufAllocator alloc, ByteBuf entries, int count) {
        if (pairs == null || pairs.isEmpty()) {
            return entries;
        }
        try {
            return rewriter.addToEveryRecord(alloc, entries, count, pairs);
        } finally {
            entries.release();
        }
    }
}
