/**
 * buffer-store: the durable chunk buffer between the forward server and the outputs.
 *
 * <h2>Contract</h2>
 * The server appends validated events through {@link org.kinesisaggregator.buffer.EventSink}
 * (whole messages, or {@link org.kinesisaggregator.buffer.StreamedAppend} pieces for big ones) and
 * acks the forwarder only when the returned future completes. Flush threads hand sealed chunks to
 * an {@link org.kinesisaggregator.buffer.Output}, which reports per-event results
 * ({@link org.kinesisaggregator.buffer.WriteResult}); only undelivered events are retried.
 * Buffers are made by {@link org.kinesisaggregator.buffer.Buffers#create}.
 *
 * <h2>Design constraints and invariants</h2>
 * <ul>
 *   <li>An event whose append completed normally is never lost and never dropped silently: it is
 *       delivered, or moved to {@code <secondary>} / {@code <path>/failed/} with a log line and a
 *       metric. Delivery is at-least-once; duplicates come only from a crash between an output's
 *       success and the ledger commit that records it, or from a lost/rebuilt ledger.
 *   <li>Under {@code ack_durability fsync} an append completes only after the frames holding it
 *       were written and fsynced (and, for a new chunk file, its directory entry); under
 *       {@code write}, after write(2). A memory buffer completes after the copy.
 *   <li>Every frame is checksummed (CRC32C over event count, stored-at, dedup key, tag and
 *       entries). A frame never spans
 *       chunks; an append larger than {@code chunk_limit_size} is split at event boundaries, all or
 *       nothing.
 *   <li>An append that completed exceptionally leaves nothing that will be delivered (a failed
 *       write is cut back; a streamed append is invisible until its commit), except the frames of
 *       a round refused for another chunk's failed fsync (duplicates of the re-send, never losses).
 *   <li>A failed fsync is never retried and trusted: when a chunk file's fsync fails, or the file
 *       is shorter than written after one (fstat), its tail since the last successful fsync counts
 *       as lost; the round's appends are refused, the chunk is cut back to its synced length and
 *       sealed, and new appends go to a new chunk, never past a hole. A file found shorter than
 *       what was synced before is re-validated and sealed with what the disk kept.
 *   <li>Chunks are deleted whole, only once every event in them is done, and the ledger records
 *       that first (Vector disk_v2: "we only delete entire data files").
 *   <li>Memory is bounded: appends are written from the caller's buffer, streamed appends go to
 *       disk piece by piece, outputs read chunks through read-only mappings.
 *   <li>Start-up reads only the chunks still held: delivered chunks are gone, progress is a few
 *       ranges per chunk.
 * </ul>
 *
 * <h2>On-disk layout</h2>
 * <pre>
 * &lt;path&gt;/                    one buffer (the conf layer passes &lt;buffer path&gt;/&lt;output id&gt;)
 *   buffer.lock               FileChannel.tryLock(): one process per directory
 *   ledger.db, ledger.db.wal.*  MapDB ledger, transactions on (see ledger.MapDbLedger)
 *   &lt;16 hex id&gt;.chunk         a chunk: header + frames (see file.ChunkFileFormat)
 *   &lt;16 hex id&gt;.chunk.private a streamed append not yet committed
 *   &lt;16 hex id&gt;.chunk.resync  a copy written while recovery cuts a corrupt region out
 *   failed/&lt;id&gt;.chunk, .reason  events set aside, same format, and why
 *   ledger.corrupt-&lt;millis&gt;/  an unreadable or corrupt ledger moved aside (the newest 3 kept)
 * </pre>
 * Chunk ids grow with time ({@code max(last + 1, millis << 12)}), so name order is age order.
 * Chunk file header: {@code u32 magic "KACK" | u16 format version | u16 flags | u64 id | u64
 * created-at millis | u32 crc32c}, then (version 3) {@code u32 metadata length | metadata | u32
 * crc32c} (the chunk's {@link org.kinesisaggregator.buffer.ChunkMetadata}); frame (versions 2 and 3):
 * {@code u32 length | u32 crc32c | u32 event count | u16 tag length | u64 stored-at millis | u64
 * dedup key hi | u64 dedup key lo | tag | entries} (big-endian; {@code length} counts the bytes
 * after the crc, which covers them). Files of version 2 (no metadata) and 1 (frames without
 * stored-at and key) are still read.
 *
 * <h2>Writing</h2>
 * One writer thread per buffer takes requests from a queue. For each request it picks the staged
 * chunk of the key ({@code chunk_keys} none: one staged chunk; tag: one per tag; with record chunk
 * keys, one per tag-or-none and {@link org.kinesisaggregator.buffer.ChunkMetadata}), creates one when
 * needed (first sealing the oldest staged chunk when {@code staged_chunks_limit} are staged), and writes the frame with one gathering write at the end of the file. After draining the
 * queue it group-commits: one fsync per dirty chunk file for every append taken since the last
 * commit (across all connections), a directory fsync if files were created, sealing (staged →
 * queued, by size, records, {@code chunk_full_threshold}, {@code flush_interval} or
 * {@code immediate}), one ledger commit, then it completes the futures. A streamed append's pieces
 * go to private files as they arrive; its commit fsyncs them, records them in the ledger (the
 * commit point), renames them to {@code .chunk} and fsyncs the directory.
 *
 * <h2>Reading</h2>
 * {@code flush_thread_count} flush threads take the oldest queued chunk that is not in delivery and
 * whose retry time has come, and call {@link org.kinesisaggregator.buffer.Output#write} with a view
 * that maps the file read-only and skips the events already done. They wait at most
 * {@code delayed_commit_timeout}.
 *
 * <h2>Deleting delivered chunks</h2>
 * When every event is done: ledger record → {@code DELIVERED}, commit, delete the file, drop the
 * record. Recovery finishes a purge a crash interrupted. Partial results persist progress;
 * rejected events go to the secondary or {@code failed/} first, then count as done.
 *
 * <h2>Ledger structure</h2>
 * {@code chunks}: chunk id → {@link org.kinesisaggregator.buffer.ledger.ChunkRecord} (state,
 * created-at, bytes, events, retry count, next attempt, first failure, progress ranges);
 * {@code dedup}: dedup key (128-bit digest of forwarder chunk id, tag and entries) → seen-at
 * millis, only for the appends whose key no frame carries (split over several frames, streamed),
 * kept {@code dedup_window} and at most as many as {@code dedup_memory_limit} holds in memory
 * (oldest evicted first).
 *
 * <h2>Dedup keys</h2>
 * The key of an append written as one frame rides in that frame's header, checksummed with its
 * events: it is durable exactly when they are, and the ack path writes nothing else (no ledger
 * write per message; the ledger is committed in a round only when a chunk was created or sealed,
 * or a ledger key changed). At start the window is rebuilt from the valid frames of the chunk
 * files held whose stored-at is within {@code dedup_window}, plus the ledger's keys, the youngest
 * up to what {@code dedup_memory_limit} holds: a key comes back only with the events of its frame,
 * so a hit after a restart is always a true re-send of events still stored or already delivered.
 * Keys of chunks delivered and deleted before the restart are gone (a re-send of those is stored
 * again: a duplicate, never a loss).
 *
 * <h2>Recovery</h2>
 * The chunk files
 * are the truth for content: at start every file is re-validated; a torn or corrupt tail is cut, a
 * corrupt region in the middle is cut out and the valid frames after it are kept (resync at the
 * next position where a whole frame validates: header, crc32c and entries; progress reset),
 * records without files are dropped, files without records are queued with no progress, and a
 * missing or unreadable ledger is rebuilt from the files (all queued, progress zero; private files
 * published). A ledger found corrupt by an update is replaced by an empty one in place
 * ({@code MapDbLedger}): the buffer never stops for its ledger, at worst it delivers again; a
 * running buffer records the chunks it holds in the new ledger at once.
 *
 * <h2>Threads</h2>
 * Callers (Netty event loops) never block: {@code append}/{@code openStream} enqueue. The writer
 * thread owns staged and private chunks, dedup memory and blocked appends; flush threads own the
 * queued chunk they took; one lock guards the shared maps and totals, never held during I/O; the
 * ledger is thread-safe. Futures complete on the writer thread (appends) or flush threads; callers
 * must not block in their callbacks.
 *
 * <p>This module knows nothing of Netty, AWS or conf syntax.
 */
package org.kinesisaggregator.buffer;
