/**
 * Not API. The write path: the writer thread's inbox ({@code RequestQueue}), its loop ({@code
 * WriterLoop}), the frames it appends ({@code FrameWriter}), group commit ({@code GroupCommit},
 * {@code CommitBatch}), streamed appends ({@code StreamedAppends}, {@code StreamedAppendHandle})
 * and what happens when the buffer is full ({@code OverflowGuard}).
 *
 * <p><b>Invariants.</b> An append's future completes normally only after its frame is written and,
 * with {@code ack_durability fsync}, fsynced; a failed write or fsync completes it exceptionally and
 * seals the chunk at what was synced. While the buffer runs only the writer thread appends to, seals
 * and publishes chunks. A request the queue's gate refuses, or one enqueued after the writer
 * stopped, is failed at once: nothing is left waiting.
 *
 * <p><b>Threads.</b> Everything here runs on the buffer's writer thread, except the request queue,
 * which is thread-safe: the callers' threads add appends and a stream's pieces, the flush threads
 * wake the writer when room frees, and {@code close()} adds the stop request.
 */
package org.kinesisaggregator.buffer.internal.write;
