/**
 * Not API. The buffer engine and its two chunk stores (files + MapDB, heap). {@link
 * org.kinesisaggregator.buffer.internal.BufferEngine} wires the engine's parts (writer thread,
 * group commit, flush threads, retries, overflow, dedup, streamed appends) and says which thread
 * runs each. See the package documentation of {@code org.kinesisaggregator.buffer} for the
 * invariants and thread ownership.
 */
package org.kinesisaggregator.buffer.internal;
