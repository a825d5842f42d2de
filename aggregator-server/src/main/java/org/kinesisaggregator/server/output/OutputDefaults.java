package org.kinesisaggregator.server.output;

import java.util.Set;

/**
 * How an output type wants its buffer when the conf does not say: what Fluentd's plugin declares
 * in its {@code config_section :buffer} defaults.
 *
 * <p>Immutable; thread-safe.
 *
 * @param syncWithoutBufferSection true for types Fluentd runs unbuffered when the {@code <match>}
 *     has no {@code <buffer>} section and no v0.12 {@code buffer_*} parameter (stdout, null): they
 *     are written synchronously through {@link SyncOutputSink}
 * @param chunkLimitBytes the type's default {@code chunk_limit_size}, 0 for the buffer's own default
 *     (8m for Kinesis outputs, DESIGN §4)
 * @param flushAtShutdown the type's default {@code flush_at_shutdown}, null for the buffer's own
 * @param chunkKeysHandledByOutput chunk keys the output handles itself ({@code time} for file, which
 *     slices files by time within a chunk); the buffer sees only the others
 * @param fileBufferByDefault true when the type's default buffer {@code @type} is {@code file} (out_file)
 *     rather than Fluentd's generic {@code memory}; it is used when a directory is known
 *     ({@code <system> root_dir}), else the buffer stays in memory with a warning
 * @param placeholderParams the output's parameters that take chunk placeholders ({@code ${tag}},
 *     {@code ${KEY}} of a record chunk key): checked at start-up against the {@code <buffer>} keys
 */
public record OutputDefaults(
        boolean syncWithoutBufferSection,
        long chunkLimitBytes,
        Boolean flushAtShutdown,
        Set<String> chunkKeysHandledByOutput,
        boolean fileBufferByDefault,
        Set<String> placeholderParams) {

    public OutputDefaults(
            boolean syncWithoutBufferSection,
            long chunkLimitBytes,
            Boolean flushAtShutdown,
            Set<String> chunkKeysHandledByOutput,
            boolean fileBufferByDefault) {
        this(
                syncWithoutBufferSection,
                chunkLimitBytes,
                flushAtShutdown,
                chunkKeysHandledByOutput,
                fileBufferByDefault,
                Set.of());
    }

    public OutputDefaults {
        chunkKeysHandledByOutput = Set.copyOf(chunkKeysHandledByOutput);
        placeholderParams = Set.copyOf(placeholderParams);
        if (chunkLimitBytes < 0) {
            throw new IllegalArgumentException("chunkLimitBytes: " + chunkLimitBytes + " (expected: >= 0)");
        }
    }

    /** Always buffered, the buffer's own defaults. */
    public static OutputDefaults buffered() {
        return new OutputDefaults(false, 0, null, Set.of(), false);
    }

    /** Kinesis outputs: always buffered, {@code chunk_limit_size 8m} unless set. */
    public static OutputDefaults kinesis() {
        return new OutputDefaults(false, 8L * 1024 * 1024, null, Set.of(), false, Set.of("stream_name"));
    }
}
