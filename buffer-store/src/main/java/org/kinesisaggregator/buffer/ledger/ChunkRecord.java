package org.kinesisaggregator.buffer.ledger;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * The ledger's entry for one chunk. Serialized with {@link #encode()} as
 * {@code u8 RECORD_FORMAT_VERSION | u8 state code | i64 created-at millis | i64 size bytes | i32 event count
 * | i32 retry count | i64 next attempt millis | i64 first failure millis (0 = none) | progress ranges}.
 *
 * <p><b>Do not reorder, add, remove or change the type of any field</b> without bumping
 * {@link #RECORD_FORMAT_VERSION}: the ledger of a running buffer is read back after an upgrade.
 *
 * @param chunkId the chunk's id (its file name)
 * @param state staged, queued or delivered
 * @param createdAtEpochMillis when the chunk was created
 * @param sizeBytes bytes of frames (as of the last update; the file is the truth)
 * @param eventCount events in the chunk (as of the last update)
 * @param retryCount failed writes so far
 * @param nextAttemptEpochMillis not delivered before this time (0 = now)
 * @param firstFailureEpochMillis when the first write failed (0 = none failed), for {@code retry_timeout}
 * @param progress which events are done
 */
public record ChunkRecord(
        long chunkId,
        ChunkState state,
        long createdAtEpochMillis,
        long sizeBytes,
        int eventCount,
        int retryCount,
        long nextAttemptEpochMillis,
        long firstFailureEpochMillis,
        Progress progress) {

    public static final int RECORD_FORMAT_VERSION = 1;

    public ChunkRecord {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(progress, "progress");
    }

    public ChunkRecord withState(ChunkState s) {
        return new ChunkRecord(
                chunkId,
                s,
                createdAtEpochMillis,
                sizeBytes,
                eventCount,
                retryCount,
                nextAttemptEpochMillis,
                firstFailureEpochMillis,
                progress);
    }

    public byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 8 * progress.rangeCount());
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(RECORD_FORMAT_VERSION);
            out.writeByte(state.code);
            out.writeLong(createdAtEpochMillis);
            out.writeLong(sizeBytes);
            out.writeInt(eventCount);
            out.writeInt(retryCount);
            out.writeLong(nextAttemptEpochMillis);
            out.writeLong(firstFailureEpochMillis);
            progress.writeTo(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ChunkRecord decode(long chunkId, byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        int version = in.readUnsignedByte();
        if (version != RECORD_FORMAT_VERSION) {
            throw new IOException("ledger record of chunk " + Long.toHexString(chunkId) + ": format version " + version
                    + " (expected: " + RECORD_FORMAT_VERSION + ")");
        }
        ChunkState state;
        try {
            state = ChunkState.ofCode(in.readUnsignedByte());
        } catch (IllegalArgumentException e) {
            throw new IOException("ledger record of chunk " + Long.toHexString(chunkId) + ": " + e.getMessage(), e);
        }
        return new ChunkRecord(
                chunkId,
                state,
                in.readLong(),
                in.readLong(),
                in.readInt(),
                in.readInt(),
                in.readLong(),
                in.readLong(),
                Progress.readFrom(in));
    }
}
