/**
 * {@code @type forward} as an output ({@link org.kinesisaggregator.server.output.forward.ForwardOutput}):
 * relaying buffered chunks to another tier of forward servers, Fluentd's out_forward.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>An event counts as delivered only once its message was written and flushed, or, with
 *       {@code require_ack_response}, acked; everything else is reported as failed and retried by the
 *       buffer, so delivery is at-least-once.
 *   <li>A message's {@code chunk} id depends only on the output id, the buffer chunk id and its first
 *       event: a re-send of the same events carries the same id and the receiver's dedup window keeps
 *       a duplicate out.
 *   <li>A failed server is left out for {@code hard_timeout}, then tried again (earlier when a
 *       heartbeat reaches it); a connection that failed once is never reused.
 * </ul>
 *
 * <h2>Threads</h2>
 * Each output owns one Netty event loop (created in {@code start()}, shut down in {@code close()}):
 * connections, handshakes, ack timers and heartbeats run on it. {@code write} is called by the
 * buffer's flush threads, encodes the messages there and returns at once.
 */
package org.kinesisaggregator.server.output.forward;
