/**
 * Not API. Re-send detection ({@code dedup_window}): a keyed append's key ({@code DedupKey}), the
 * bounded table of keys seen ({@code DedupTable}), the window that expires and persists them in the
 * ledger ({@code DedupWindow}) and the keys recovered from the chunk files at start ({@code
 * RecoveredKeys}).
 *
 * <p><b>Invariants.</b> Only an append with the same chunk id, tag and entries as one stored within
 * the window is a re-send; an absent or empty chunk id never dedups. When more keys arrive than the
 * table holds the oldest are evicted first (a live key only when the table is full of live keys),
 * so the effective window shrinks to the age of the youngest evicted key.
 *
 * <p><b>Threads.</b> Not thread-safe: keys are loaded on the starting thread before the writer
 * thread starts; everything else is confined to the writer thread, except the window's gauges
 * (read by any thread).
 */
package org.kinesisaggregator.buffer.internal.dedup;
