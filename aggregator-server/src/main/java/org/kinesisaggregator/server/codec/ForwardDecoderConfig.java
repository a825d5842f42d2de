package org.kinesisaggregator.server.codec;

import java.time.Clock;
import java.util.Objects;

/**
 * What the decoder of one forward source needs to know, validated. Built once per source and
 * shared by its connections (immutable).
 *
 * @param skipInvalidEvent drop invalid entries (true) or refuse the message (false)
 * @param addTagPrefix prefix joined with "." to every tag, or null
 * @param eventMetadataKey record key for Fluent Bit's metadata, or null to drop it
 * @param chunkSizeLimitBytes messages bigger than this are read and dropped; 0 = no limit
 * @param decompressionSizeLimitBytes cap on one message's decompressed entries
 * @param expectHandshake the first message of a connection is the handshake PING
 * @param maxEventBytes the largest single event held in memory; bigger ones are invalid
 * @param streamThresholdBytes entries beyond this many bytes are streamed to the sink in pieces
 * @param pieceBytes target size of a stream piece
 * @param maxDepth deepest nesting of arrays/maps accepted
 * @param maxJsonMessageBytes the largest JSON-framed request
 * @param clock source of "now" for nil/0 times
 */
public record ForwardDecoderConfig(
        boolean skipInvalidEvent,
        String addTagPrefix,
        String eventMetadataKey,
        long chunkSizeLimitBytes,
        long decompressionSizeLimitBytes,
        boolean expectHandshake,
        int maxEventBytes,
        int streamThresholdBytes,
        int pieceBytes,
        int maxDepth,
        int maxJsonMessageBytes,
        Clock clock) {

    /** Largest tag: the buffer's frame stores its length in 16 bits. */
    public static final int MAX_TAG_BYTES = 65535;
    /** Largest option map, and largest handshake message. */
    public static final int MAX_OPTION_BYTES = 64 * 1024;

    public static final int DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;
    public static final int DEFAULT_STREAM_THRESHOLD_BYTES = 1024 * 1024;
    public static final int DEFAULT_PIECE_BYTES = 512 * 1024;
    public static final int DEFAULT_MAX_DEPTH = 1000;
    public static final int DEFAULT_MAX_JSON_MESSAGE_BYTES = 1024 * 1024;

    public ForwardDecoderConfig {
        Objects.requireNonNull(clock, "clock");
        if (addTagPrefix != null && addTagPrefix.isEmpty()) {
            throw new IllegalArgumentException("add_tag_prefix: \"\" (expected: a non-empty prefix, or none)");
        }
        if (chunkSizeLimitBytes < 0) {
            throw new IllegalArgumentException("chunk_size_limit: " + chunkSizeLimitBytes + " (expected: >= 0)");
        }
        if (decompressionSizeLimitBytes <= 0) {
            throw new IllegalArgumentException(
                    "decompression_size_limit: " + decompressionSizeLimitBytes + " (expected: > 0)");
        }
        if (maxEventBytes <= 0
                || pieceBytes <= 0
                || streamThresholdBytes <= 0
                || maxDepth < 4
                || maxJsonMessageBytes <= 0) {
            throw new IllegalArgumentException("decoder limits: event " + maxEventBytes + ", piece " + pieceBytes
                    + ", threshold " + streamThresholdBytes + ", depth " + maxDepth + ", json " + maxJsonMessageBytes
                    + " (expected: all > 0, depth >= 4)");
        }
    }

    /** in_forward's defaults. */
    public static ForwardDecoderConfig defaults(Clock clock) {
        return builder(clock).build();
    }

    /** A builder holding in_forward's defaults. */
    public static Builder builder(Clock clock) {
        return new Builder(clock);
    }

    /** A builder holding this value's fields, to change some of them. */
    public Builder toBuilder() {
        return new Builder(clock)
                .skipInvalidEvent(skipInvalidEvent)
                .addTagPrefix(addTagPrefix)
                .eventMetadataKey(eventMetadataKey)
                .chunkSizeLimitBytes(chunkSizeLimitBytes)
                .decompressionSizeLimitBytes(decompressionSizeLimitBytes)
                .expectHandshake(expectHandshake)
                .maxEventBytes(maxEventBytes)
                .streamThresholdBytes(streamThresholdBytes)
                .pieceBytes(pieceBytes)
                .maxDepth(maxDepth)
                .maxJsonMessageBytes(maxJsonMessageBytes);
    }

    /**
     * Collects the fields of a {@link ForwardDecoderConfig}, starting from in_forward's defaults;
     * {@link #build()} validates them. Not thread-safe; one builder per value being built.
     */
    public static final class Builder {
        private final Clock clock;
        private boolean skipInvalidEvent = true;
        private String addTagPrefix;
        private String eventMetadataKey;
        private long chunkSizeLimitBytes;
        private long decompressionSizeLimitBytes = 256L * 1024 * 1024;
        private boolean expectHandshake;
        private int maxEventBytes = DEFAULT_MAX_EVENT_BYTES;
        private int streamThresholdBytes = DEFAULT_STREAM_THRESHOLD_BYTES;
        private int pieceBytes = DEFAULT_PIECE_BYTES;
        private int maxDepth = DEFAULT_MAX_DEPTH;
        private int maxJsonMessageBytes = DEFAULT_MAX_JSON_MESSAGE_BYTES;

        private Builder(Clock clock) {
            this.clock = clock;
        }

        public Builder skipInvalidEvent(boolean value) {
            this.skipInvalidEvent = value;
            return this;
        }

        public Builder addTagPrefix(String value) {
            this.addTagPrefix = value;
            return this;
        }

        public Builder eventMetadataKey(String value) {
            this.eventMetadataKey = value;
            return this;
        }

        public Builder chunkSizeLimitBytes(long value) {
            this.chunkSizeLimitBytes = value;
            return this;
        }

        public Builder decompressionSizeLimitBytes(long value) {
            this.decompressionSizeLimitBytes = value;
            return this;
        }

        public Builder expectHandshake(boolean value) {
            this.expectHandshake = value;
            return this;
        }

        public Builder maxEventBytes(int value) {
            this.maxEventBytes = value;
            return this;
        }

        public Builder streamThresholdBytes(int value) {
            this.streamThresholdBytes = value;
            return this;
        }

        public Builder pieceBytes(int value) {
            this.pieceBytes = value;
            return this;
        }

        public Builder maxDepth(int value) {
            this.maxDepth = value;
            return this;
        }

        public Builder maxJsonMessageBytes(int value) {
            this.maxJsonMessageBytes = value;
            return this;
        }

        /** Entries beyond {@code thresholdBytes} are streamed in pieces of about {@code pieceBytes}. */
        public Builder streaming(int thresholdBytes, int pieceBytes) {
            return streamThresholdBytes(thresholdBytes).pieceBytes(pieceBytes);
        }

        /** chunk_size_limit, decompression_size_limit and the largest event held in memory at once. */
        public Builder limits(long chunkSizeLimitBytes, long decompressionSizeLimitBytes, int maxEventBytes) {
            return chunkSizeLimitBytes(chunkSizeLimitBytes)
                    .decompressionSizeLimitBytes(decompressionSizeLimitBytes)
                    .maxEventBytes(maxEventBytes);
        }

        /** The config; {@link IllegalArgumentException} or {@link NullPointerException} when invalid. */
        public ForwardDecoderConfig build() {
            return new ForwardDecoderConfig(
                    skipInvalidEvent,
                    addTagPrefix,
                    eventMetadataKey,
                    chunkSizeLimitBytes,
                    decompressionSizeLimitBytes,
                    expectHandshake,
                    maxEventBytes,
                    streamThresholdBytes,
                    pieceBytes,
                    maxDepth,
                    maxJsonMessageBytes,
                    clock);
        }
    }
}
