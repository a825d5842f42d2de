package org.kinesisaggregator.server.codec;

/**
 * What {@link MsgpackForwardDecoder} knows about the one message it is decoding: created when the
 * message's first byte is seen and dropped when it has been emitted, so nothing of a message can
 * leak into the next one and nothing is reset by hand. A message is a msgpack forward message
 * (from its array header to its option) or the handshake PING; a JSON connection's requests are
 * {@link JsonForwardDecoder}'s.
 *
 * <p>Holds counters and references only, never a buffer: the bytes of the message's entries are
 * in the decoder's {@link EntriesAccumulator} (released at the message's end or on an error) and
 * its input. Not thread-safe; confined to the decoder's event loop.
 */
final class MessageInProgress {

    /** Bytes of the connection consumed before this message's first byte. */
    final long start;

    /** Elements of the message array (2 to 4); 0 for a PING. */
    long arity;

    /** The tag, with {@code add_tag_prefix} applied; null until read. */
    String tag;

    /** The mode, known once the element after the tag has been seen; null until then. */
    ForwardMode mode;

    /** Forward and Message mode: entries (or the one event) not yet scanned. */
    long entriesLeft;

    /** PackedForward and CompressedPackedForward: bytes of the entries str/bin not yet consumed. */
    long entriesRemaining;

    /** Bytes of the verbatim run of entries scanned but not yet added to the accumulator. */
    int runBytes;

    /** Events in {@link #runBytes}. */
    int runEvents;

    /** A {@link StreamStart} has been emitted: the rest goes out as pieces and a {@link StreamEnd}. */
    boolean streaming;

    /** Valid events so far. */
    long eventCount;

    /** Invalid events skipped so far ({@code skip_invalid_event}). */
    int skippedEvents;

    /** Why the first skipped event was skipped, or null. */
    String firstSkipReason;

    /** Over {@code chunk_size_limit}: read to its end and dropped. */
    boolean dropped;

    /** The compression found by the entries' magic bytes ({@code gzip}, {@code zstd}), or null. */
    String sniffed;

    /** The decompressor of CompressedPackedForward entries, or null. */
    EntriesDecompressor decompressor;

    /** Bytes the entries decompressed to so far. */
    long decompressedBytes;

    /** Handshake: bytes of the PING walked over so far. */
    int scanned;

    MessageInProgress(long start) {
        this.start = start;
    }
}
