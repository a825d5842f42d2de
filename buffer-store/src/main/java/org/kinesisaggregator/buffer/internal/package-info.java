/**
 * Not API. The buffer engine and the state its paths share. {@link
 * org.kinesisaggregator.buffer.internal.BufferEngine} wires the engine's parts and says which thread
 * runs each; the sub-packages are the paths an event takes: {@code .write} (appends, group commit,
 * sealing, streamed appends, overflow), {@code .delivery} (flushing, retries, setting chunks aside),
 * {@code .store} (chunk stores, stored chunks, the ledger adapter, storage health) and {@code
 * .dedup} (re-send detection). Here stay the engine, {@link
 * org.kinesisaggregator.buffer.internal.BufferState} (the chunk table and its lock), {@link
 * org.kinesisaggregator.buffer.internal.ChunkHandle} (a chunk's delivery bookkeeping) and {@link
 * org.kinesisaggregator.buffer.internal.BufferMetrics}. The package documentation of {@code
 * org.kinesisaggregator.buffer} gives the whole picture.
 *
 * <p>Dependencies run one way between the sub-packages: {@code .write} uses {@code .delivery},
 * {@code .dedup} and {@code .store}; {@code .delivery} and {@code .dedup} use {@code .store};
 * {@code .store} uses none of them. All of them use this package's shared state.
 *
 * <p><b>Invariants.</b> An append's future completes normally only after its frame is written and,
 * with {@code ack_durability fsync}, fsynced; a chunk is delivered only once sealed, and deleted
 * only once every event of it is delivered, set aside or moved to {@code failed/}. The chunk table
 * and every chunk handle not owned by a thread change only under {@code BufferState.lock}.
 *
 * <p><b>Threads.</b> One writer thread per buffer (appends, group commit, sealing), its flush
 * threads (delivery, retries), and the callers' threads, which only enqueue requests; the starting
 * thread opens and recovers the store before the writer starts. Shared state is guarded by the
 * engine's lock.
 */
package org.kinesisaggregator.buffer.internal;
