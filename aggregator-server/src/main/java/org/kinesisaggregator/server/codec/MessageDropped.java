package org.kinesisaggregator.server.codec;

/**
 * A message bigger than {@code chunk_size_limit} was read and dropped (no ack, as in_forward). If
 * it was being streamed, the stream must be abandoned.
 */
public record MessageDropped(String tag, ForwardMode mode, ForwardOption option, long wireBytes, long limitBytes) {}
