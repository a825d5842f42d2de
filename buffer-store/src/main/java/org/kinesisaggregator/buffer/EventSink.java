package org.kinesisaggregator.buffer;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * Where validated events go: a buffer, or a router that fans out to buffers.
 *
 * <p>{@code entries} is a stream of msgpack arrays {@code [time, record]} back to back, in the
 * buffer's entry format (see {@link EventEntries}): {@code time} an integer, a float or an
 * EventTime (ext type 0, 8 bytes), {@code record} a map. The caller has validated them and counted
 * {@code eventCount}.
 *
 * <p><b>Ownership.</b> The caller keeps {@code entries} readable and unchanged from the call until
 * the returned future completes (either way); the sink never touches it afterwards. A sink that
 * needs the bytes longer copies them. The sink does not move {@code entries}' position or limit.
 *
 * <p><b>Durability.</b> The returned future completes normally only once the events have reached
 * the sink's durability point (for a file buffer: written, and fsynced under
 * {@code ack_durability fsync}); only then may the server ack the forwarder. It completes
 * exceptionally when the events were not accepted ({@link BufferOverflowException},
 * {@link EventTooLargeException}, an I/O error); then nothing of the append is delivered later.
 * Under {@code overflow_action block} it simply completes later, when room frees.
 *
 * <p><b>Threads.</b> Implementations are thread-safe and never block the caller: a Netty event loop
 * calls them. Futures may complete on any thread.
 */
public interface EventSink {

    /**
     * Appends events of one tag.
     *
     * @param tag the event tag (after any {@code add_tag_prefix})
     * @param entries msgpack entries, see the class comment for ownership
     * @param eventCount number of entries in {@code entries}
     * @param dedupKey the forwarder's {@code option.chunk} id bytes, or {@code null} (an empty id
     *     counts as none); a true re-send, the same id with the same tag and the same entries
     *     stored within {@code dedup_window}, is not stored again and completes with
     *     {@link AppendResult#duplicate()}; anything else is stored
     */
    CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey);

    /**
     * Starts an append that arrives in pieces (a forward message too big to hold in memory). Nothing
     * of it becomes visible downstream until {@link StreamedAppend#commit} completes; an abandoned
     * stream leaves nothing behind.
     */
    StreamedAppend openStream(String tag);
}
