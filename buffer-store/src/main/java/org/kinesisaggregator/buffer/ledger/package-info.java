/**
 * The buffer's ledger: {@link org.kinesisaggregator.buffer.ledger.Ledger}, its MapDB
 * implementation (one file per buffer, transactions on) and the in-memory one of memory buffers;
 * {@link org.kinesisaggregator.buffer.ledger.ChunkRecord} (frozen serialized layout,
 * {@code RECORD_FORMAT_VERSION}) and {@link org.kinesisaggregator.buffer.ledger.Progress}
 * (delivered events as ranges).
 *
 * <p><b>Invariants.</b> The chunk files are the truth for content, the ledger for state, retry
 * timing and delivery progress: a ledger change that is lost (a crash before {@code commit()})
 * can only cause a re-delivery or a retry, never a loss. {@code ChunkRecord}'s serialized layout is
 * frozen per {@code RECORD_FORMAT_VERSION}. Since chunk format version 2 the dedup keys of ordinary
 * appends live in the frame headers, not here; the ledger keeps only those no single frame holds.
 *
 * <p><b>Threads.</b> Thread-safe: the writer thread and the flush threads share one ledger (the
 * MapDB one synchronizes every method; a commit makes every thread's changes durable together).
 */
package org.kinesisaggregator.buffer.ledger;
