/**
 * Not API. The buffer engine (writer thread, group commit, flush threads, retries, overflow,
 * dedup, streamed appends) and its two chunk stores (files + MapDB, heap). See the package
 * documentation of {@code org.kinesisaggregator.buffer} for the invariants and thread ownership.
 */
package org.kinesisaggregator.buffer.internal;
