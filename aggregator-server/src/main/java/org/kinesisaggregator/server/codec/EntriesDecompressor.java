package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;

/**
 * Incremental decompression of CompressedPackedForward entries with bounded output: each call
 * consumes what input it can and writes at most {@code maxOutput} bytes, so a small compressed
 * message can never make the decoder allocate more than one output step at a time (zip bombs end
 * at {@code decompression_size_limit}, counted by the caller).
 *
 * <p>Not thread-safe; one per connection, {@link #reset()} between messages, {@link #close()} when
 * the connection ends (zstd holds native memory).
 */
interface EntriesDecompressor extends AutoCloseable {

    /**
     * Decompresses input bytes {@code [index, index + length)} of {@code in} into {@code out}
     * (appending at its writer index, at most {@code maxOutput} bytes; {@code out} has that much
     * writable room) and returns how many input bytes it consumed. Returns when the output step is
     * full or all given input is consumed.
     *
     * @throws ForwardProtocolException with {@link ErrorReason#DECOMPRESSION} on invalid data
     */
    int decompress(ByteBuf in, int index, int length, ByteBuf out, int maxOutput);

    /** The input consumed so far ends exactly at the end of a gzip member or zstd frame. */
    boolean isAtEnd();

    /** Whether bytes are pending inside the decompressor (output not yet delivered). */
    boolean hasPendingOutput();

    /** Ready for a new message. */
    void reset();

    @Override
    void close();

    /** The compression name, as in the {@code compressed} option. */
    String name();
}
