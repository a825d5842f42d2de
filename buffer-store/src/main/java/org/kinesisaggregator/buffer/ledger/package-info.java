/**
 * The buffer's ledger: {@link org.kinesisaggregator.buffer.ledger.Ledger}, its MapDB
 * implementation (one file per buffer, transactions on) and the in-memory one of memory buffers;
 * {@link org.kinesisaggregator.buffer.ledger.ChunkRecord} (frozen serialized layout,
 * {@code RECORD_FORMAT_VERSION}) and {@link org.kinesisaggregator.buffer.ledger.Progress}
 * (delivered events as ranges).
 */
package org.kinesisaggregator.buffer.ledger;
