package org.kinesisaggregator.server.codec;

/**
 * A message too big to hold begins: its entries follow as {@link StreamPiece}s and it ends with a
 * {@link StreamEnd}, or with a {@link MessageDropped} or an exception (then nothing of it may be kept).
 */
public record StreamStart(String tag, ForwardMode mode) {}
