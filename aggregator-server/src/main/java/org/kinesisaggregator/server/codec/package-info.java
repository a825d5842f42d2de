/**
 * The Fluentd forward protocol v1 codec: the connection's decoder
 * ({@link org.kinesisaggregator.server.codec.ProtocolSniffer}, which installs
 * {@link org.kinesisaggregator.server.codec.MsgpackForwardDecoder} or
 * {@link org.kinesisaggregator.server.codec.JsonForwardDecoder}; the rest of the pipeline sees any of
 * them as a {@link org.kinesisaggregator.server.codec.ForwardDecoder}) and what it emits ({@link org.kinesisaggregator.server.codec.ForwardEvents},
 * {@link org.kinesisaggregator.server.codec.StreamStart} / {@link org.kinesisaggregator.server.codec.StreamPiece}
 * / {@link org.kinesisaggregator.server.codec.StreamEnd}, {@link org.kinesisaggregator.server.codec.MessageDropped},
 * {@link org.kinesisaggregator.server.codec.PingRequest}), the ack encoder and
 * {@link org.kinesisaggregator.server.codec.ForwardProtocolException}.
 *
 * <h2>Pieces of the decoder</h2>
 * <ul>
 *   <li>{@code ProtocolSniffer}: port unification; the first byte decides msgpack or JSON, and
 *       it replaces itself with that decoder, which receives every byte from the first on.</li>
 *   <li>{@code MsgpackForwardDecoder}: the msgpack state machine over the connection's bytes (one
 *       state per element of a message: array header, tag, mode, entries, option; and the
 *       handshake PING), the slices, the end of input.</li>
 *   <li>{@code EntriesScanner}: validates entries from one source of bytes, keeps runs verbatim,
 *       rewrites the few that need it, emits stream pieces. One per source: the decoder's input,
 *       and the decompressed entries of {@code CompressedEntriesReader}.</li>
 *   <li>{@code CompressedEntriesReader}: CompressedPackedForward; sniffs gzip/zstd magic bytes,
 *       owns the decompressors and the plain buffer, inflates in bounded steps charged to the
 *       turn's slice.</li>
 *   <li>{@code MessageInProgress}: everything about the one message being decoded, created at its
 *       first byte and dropped when it is emitted.</li>
 *   <li>{@code OptionParser} (the {@code option} map into a
 *       {@link org.kinesisaggregator.server.codec.ForwardOption}, with the dedup-key rule) and
 *       {@code PingParser} (the handshake PING into a
 *       {@link org.kinesisaggregator.server.codec.PingRequest}): stateless, given bytes, unit-tested
 *       on their own.</li>
 *   <li>{@code EntryParser} (one event), {@code MsgpackSkipper} (walks values), {@code RecordRewriter},
 *       {@code EntriesAccumulator}, {@code GzipDecompressor} / {@code ZstdDecompressor}.</li>
 *   <li>{@code JsonForwardDecoder}: a connection whose first byte is {@code {} or {@code [} is
 *       JSON-framed; this decoder turns each request ({@code JsonRequestParser} parses the values)
 *       into the same events msgpack gives.</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Entries leave the decoder in the buffer's entry format ({@code [time, record]} arrays
 *       back to back), validated: time an integer, float or EventTime (ext 0, 8 bytes), record a
 *       map, nesting at most 1000 deep, one event at most 16 MiB. PackedForward entries are kept
 *       byte for byte (retained slices of the input); only Message-mode events, nil/0 times
 *       ("now") and Fluent Bit {@code [[time, metadata], record]} entries are re-encoded.</li>
 *   <li>No allocation follows a declared length before the bytes arrive; every state bounds what
 *       it buffers (tag 64 KiB, option and handshake 64 KiB, JSON request 1 MiB, one event,
 *       decompression steps of 64 KiB, stream pieces of about 512 KiB).</li>
 *   <li>One decode turn inflates (and scans) at most 256 KiB; with work left the decoder yields
 *       and the ingest handler resumes it one slice per pass of the event loop, reads paused.</li>
 *   <li>After a {@link org.kinesisaggregator.server.codec.ForwardProtocolException} the decoder
 *       discards everything until the connection closes.</li>
 * </ul>
 *
 * <h2>Ownership and threads</h2>
 * Buffers in emitted messages are owned by the receiver, which releases them when the sink is done
 * with them. Decoders, parsers and decompressors are per channel and confined to its event loop;
 * {@link org.kinesisaggregator.server.codec.ForwardDecoderConfig} and the ack encoder are immutable.
 *
 * @see <a href="https://github.com/fluent/fluentd/wiki/Forward-Protocol-Specification-v1">Forward Protocol Specification v1</a>
 */
package org.kinesisaggregator.server.codec;
