package org.kinesisaggregator.buffer.internal.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opens the write channel of a new chunk file. The seam through which tests put a file system
 * under the store that fails an fsync, or drops the pages not yet synced (what Linux does after a
 * failed writeback); production uses {@link #DEFAULT}.
 *
 * <p>Implementations must be thread-safe; called by the writer thread.
 */
@FunctionalInterface
public interface ChunkChannels {
    ChunkChannels DEFAULT = path -> FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

    /** Creates {@code path} (it must not exist) and opens it for writing. */
    FileChannel openNew(Path path) throws IOException;
}
