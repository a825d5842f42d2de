/**
 * Not API. Where chunks live: the chunk stores ({@code FileChunkStore} with chunk files and a MapDB
 * ledger, {@code MemoryChunkStore} on the heap), their chunks ({@code StoredChunk}, {@code
 * FileStoredChunk}, {@code MemoryStoredChunk}, {@code FileChunkView}), the file channels and write
 * buffers under them, {@code failed/} ({@code FailedChunks}), the buffer's ledger adapter ({@code
 * BufferLedger}) and whether the storage takes appends ({@code StorageHealth}).
 *
 * <p><b>Invariants.</b> The chunk files are the truth for content: a lost ledger update costs at
 * most a re-delivery after a crash, so {@code BufferLedger} logs a failed update and goes on, and
 * after the ledger was replaced by an empty one it records every chunk held again. A
 * chunk is immutable once sealed. {@code StorageHealth} reports a problem exactly while the last
 * storage outcome was a failure.
 *
 * <p><b>Threads.</b> A store is opened and recovered on the starting thread; afterwards chunks are
 * created, appended to, synced and sealed by the writer thread only, and a sealed chunk's views are
 * read by any flush thread. The ledger adapter and the failed-chunk methods are thread-safe (writer
 * and flush threads share them); storage health is written by the writer thread and read by any.
 */
package org.kinesisaggregator.buffer.internal.store;
