package org.kinesisaggregator.buffer.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.kinesisaggregator.buffer.internal.store.ChunkChannels;

/**
 * Chunk files on a file system that misbehaves on command, as Linux does after a failed writeback:
 * the next fsync of a chunk file fails with EIO, or "succeeds", and in both cases the pages written
 * since the last good fsync are dropped first (the file is cut back to its last synced length);
 * or the next positional write writes half its bytes and fails (a disk that fills mid-write).
 * Thread-safe: the test arms it, the writer thread trips it.
 */
final class FaultyChunkChannels implements ChunkChannels {
    /** What the next fsync of a chunk file does. */
    enum Fault {
        NONE,
        /** fails with EIO; the unsynced pages stay (a failed writeback that is retried later). */
        FAIL,
        /** drops the unsynced pages, then fails with EIO. */
        DROP_AND_FAIL,
        /** drops the unsynced pages, then reports success (the error went to another file descriptor). */
        DROP_AND_SUCCEED
    }

    private final AtomicReference<Fault> next = new AtomicReference<>(Fault.NONE);
    private final AtomicBoolean failNextWrite = new AtomicBoolean();

    /** The next fsync of any chunk file does {@code fault}; later ones behave. */
    void arm(Fault fault) {
        next.set(fault);
    }

    boolean isArmed() {
        return next.get() != Fault.NONE || failNextWrite.get();
    }

    /** The next positional write of any chunk file writes half its bytes, then fails with ENOSPC. */
    void armWriteFailure() {
        failNextWrite.set(true);
    }

    @Override
    public FileChannel openNew(Path path) throws IOException {
        return new Channel(FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
    }

    private final class Channel extends FileChannel {
        private final FileChannel delegate;
        private long syncedSize;

        Channel(FileChannel delegate) {
            this.delegate = delegate;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            Fault fault = next.getAndSet(Fault.NONE);
            if (fault == Fault.DROP_AND_FAIL || fault == Fault.DROP_AND_SUCCEED) {
                delegate.truncate(syncedSize);
            }
            if (fault == Fault.FAIL || fault == Fault.DROP_AND_FAIL) {
                throw new IOException("injected: Input/output error (EIO) on fsync");
            }
            delegate.force(metaData);
            syncedSize = delegate.size();
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return delegate.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return delegate.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return delegate.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return delegate.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return delegate.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            delegate.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return delegate.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            delegate.truncate(size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return delegate.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return delegate.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return delegate.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            if (failNextWrite.getAndSet(false)) {
                ByteBuffer half = src.duplicate();
                half.limit(half.position() + half.remaining() / 2);
                delegate.write(half, position);
                throw new IOException("injected: No space left on device (ENOSPC) on write");
            }
            return delegate.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return delegate.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return delegate.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return delegate.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            delegate.close();
        }
    }
}
