package org.kinesisaggregator.buffer.ledger;

/**
 * Where a chunk is in its life. Stored in the ledger by {@link #code}: <b>do not change the codes</b>.
 */
public enum ChunkState {
    /** Taking appends. */
    STAGED(1),
    /** Sealed, waiting for delivery (or being delivered, or waiting for a retry). */
    QUEUED(2),
    /** Every event is done; the file is being deleted. Recovery finishes the deletion. */
    DELIVERED(3);

    public final int code;

    ChunkState(int code) {
        this.code = code;
    }

    static ChunkState ofCode(int code) {
        for (ChunkState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new IllegalArgumentException("chunk state code: " + code + " (expected: 1, 2 or 3)");
    }
}
