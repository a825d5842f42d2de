package org.kinesisaggregator.buffer.internal.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.file.ChunkRecovery;
import org.kinesisaggregator.buffer.internal.BufferMetrics;
import org.kinesisaggregator.buffer.ledger.InMemoryLedger;
import org.kinesisaggregator.buffer.ledger.Ledger;
import org.kinesisaggregator.buffer.ledger.Progress;

/**
 * The heap store of {@code @type memory}: nothing survives the process. When the settings give a
 * {@code path}, events that must be set aside are written to {@code <path>/failed/} as chunk files;
 * without one they are logged and counted as failed.
 */
public final class MemoryChunkStore implements ChunkStore {
    private final InMemoryLedger ledger = new InMemoryLedger();
    private final FailedChunks failed;

    public MemoryChunkStore(Path pathOrNull) {
        this.failed = pathOrNull == null ? null : new FailedChunks(pathOrNull.resolve("failed"));
    }

    @Override
    public String type() {
        return "memory";
    }

    @Override
    public List<Recovered> open(BufferMetrics metrics, ChunkRecovery.FrameKeys keys) {
        return List.of();
    }

    @Override
    public Ledger ledger() {
        return ledger;
    }

    @Override
    public StoredChunk create(long id, long createdAtEpochMillis, ChunkMetadata metadata, boolean isPrivate) {
        return new MemoryStoredChunk(id, createdAtEpochMillis, metadata);
    }

    @Override
    public void syncDirectory() {}

    @Override
    public boolean hasFailedDir() {
        return failed != null;
    }

    @Override
    public String moveToFailed(StoredChunk chunk, String outputId, String reason) throws IOException {
        return writeToFailed(chunk.view(Progress.NONE, 0), outputId, reason, Map.of());
    }

    @Override
    public String writeToFailed(Chunk view, String outputId, String reason, Map<Integer, String> reasons)
            throws IOException {
        if (failed == null) {
            throw new IOException("memory buffer without path: nowhere to keep failed events");
        }
        return failed.write(view, outputId, reason, reasons);
    }

    @Override
    public void close() {}
}
