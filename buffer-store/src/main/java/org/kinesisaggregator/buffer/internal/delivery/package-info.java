/**
 * Not API. The delivery path: the flush threads' work ({@code Flusher}), one bounded output call
 * ({@code BoundedWrite}) and what becomes of a chunk that is done or cannot be delivered ({@code
 * ChunkDisposal}: purge, set aside, move to {@code failed/}).
 *
 * <p><b>Invariants.</b> A chunk is delivered only once sealed, and deleted only once every event of
 * it is delivered, set aside or moved to {@code failed/}; a write that fails, times out or throws is
 * retried, never dropped. A failed write's ledger record is persisted before its new retry count
 * becomes visible to {@code stats()}.
 *
 * <p><b>Threads.</b> Run by the flush threads ({@code buffer-flush-<output>-N}); each owns the chunk
 * it marked in flight (under the engine's lock) until it clears the mark. The writer thread calls
 * {@code ChunkDisposal.setAside} for drop_oldest_chunk on a victim it marked in flight first.
 */
package org.kinesisaggregator.buffer.internal.delivery;
