/**
 * Not API. The buffer engine and its two chunk stores (files + MapDB, heap). {@link
 * org.kinesisaggregator.buffer.internal.BufferEngine} wires the engine's parts (writer thread,
 * group commit, flush threads, retries, overflow, dedup, streamed appends) and says which thread
 * runs each. The package documentation of {@code org.kinesisaggregator.buffer} gives the whole
 * picture.
 *
 * <p><b>Invariants.</b> An append's future completes normally only after its frame is written and,
 * with {@code ack_durability fsync}, fsynced; a failed write or fsync completes it exceptionally and
 * seals the chunk at what was synced. While the buffer runs only the writer thread appends to, seals
 * and publishes chunks;
 * a chunk is delivered only once sealed, and deleted only once every event of it is delivered, set
 * aside or moved to {@code failed/}.
 *
 * <p><b>Threads.</b> One writer thread per buffer (appends, group commit, sealing), its flush
 * threads (delivery, retries), and the callers' threads, which only enqueue requests; shared state
 * is guarded by the engine's lock.
 */
package org.kinesisaggregator.buffer.internal;
