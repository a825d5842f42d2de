package org.kinesisaggregator.buffer;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * One append that arrives in pieces: the entries of a forward message too large to hold whole
 * (out_forward ships a whole file-buffer chunk, up to 256 MiB, as one message).
 *
 * <p>Protocol: any number of {@link #write} calls, then exactly one of {@link #commit} or
 * {@link #abandon}. Pieces are whole events in order. Not thread-safe: one caller (a connection's
 * event loop) drives it, but calls never block.
 */
public interface StreamedAppend {

    /**
     * Hands over the next piece. The caller keeps {@code entries} unchanged until the returned future
     * completes; the future completing (normally) means the piece has been taken (written to a private
     * file, or copied) and the caller may release it. The caller bounds how many pieces it leaves
     * outstanding — this is the back-pressure point of a streamed append.
     */
    CompletableFuture<Void> write(ByteBuffer entries, int eventCount);

    /**
     * Publishes everything written, atomically: after the returned future completes normally the
     * events are durable and will be delivered; if it completes exceptionally nothing of this append
     * is delivered. A true re-send ({@code dedupKey}, the tag and all the pieces' entries the same as
     * an append stored within the dedup window, however it was cut into pieces) discards the
     * pieces and completes with {@link AppendResult#duplicate()}; a null or empty key never dedups.
     */
    CompletableFuture<AppendResult> commit(byte[] dedupKey);

    /** Drops everything written so far (the connection died mid-message). Idempotent, never throws. */
    void abandon();
}
