package org.kinesisaggregator.server.codec;

import io.netty.channel.ChannelInboundHandler;

/**
 * What the rest of a forward connection's pipeline may ask of its decoder, whichever protocol the
 * connection speaks: {@link ProtocolSniffer} until the first byte came, then the
 * {@link MsgpackForwardDecoder} or the {@link JsonForwardDecoder} it installed in its place. Look it
 * up with {@code pipeline.get(ForwardDecoder.class)}; the instance changes once, at the first byte.
 *
 * <p>Every method is called on the channel's event loop.
 */
public interface ForwardDecoder extends ChannelInboundHandler {

    /**
     * The decoder stopped at its slice bound with input left to decode: it decodes nothing more
     * until {@link #resume()}, and reading more from the socket should wait. False for a decoder
     * that never yields.
     */
    default boolean hasBacklog() {
        return false;
    }

    /**
     * Decodes the next slice of the backlog and fires what it decodes down the pipeline (and then
     * the exception, if the input turns out bad). A no-op without a backlog. Call it from a later
     * pass of the event loop than the turn that yielded. Nothing to do for a decoder that never
     * yields.
     */
    default void resume() {
        // never yields, so never has a backlog to resume
    }

    /**
     * A message is being received (some of its bytes arrived), or a handshake is under way. Used by
     * drain and {@code message_timeout}: such a connection is given time to finish it.
     */
    boolean isMidMessage();
}
