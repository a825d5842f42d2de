package org.kinesisaggregator.server.codec;

import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * zstd frames back to back (as Fluentd 1.19's out_forward sends with {@code compress zstd}),
 * streamed through zstd-jni. Frames needing a window larger than 2^{@value #MAX_WINDOW_LOG} bytes
 * are refused, which bounds the native memory one connection can make us allocate.
 * Not thread-safe; holds native memory until {@link #close()}.
 */
final class ZstdDecompressor implements EntriesDecompressor {
    static final int MAX_WINDOW_LOG = 23;

    private ZstdDecompressCtx ctx;
    private boolean frameOpen;
    private boolean pendingOutput;
    private int frames;

    @Override
    public String name() {
        return "zstd";
    }

    @Override
    public int decompress(ByteBuf in, int index, int length, ByteBuf out, int maxOutput) {
        if (ctx == null) {
            ctx = new ZstdDecompressCtx();
            ctx.setLongMax(MAX_WINDOW_LOG);
        }
        ByteBuffer src = in.nioBuffer(index, length);
        int srcStart = src.position();
        ByteBuffer dst = out.nioBuffer(out.writerIndex(), maxOutput);
        int dstStart = dst.position();
        try {
            while (true) {
                int inBefore = src.position();
                int outBefore = dst.position();
                boolean frameDone = ctx.decompressByteBufferStream(dst, src);
                boolean progress = src.position() > inBefore || dst.position() > outBefore;
                if (frameDone) {
                    frameOpen = false;
                    frames++;
                } else if (progress) {
                    frameOpen = true;
                }
                if (!dst.hasRemaining()) {
                    // the context may hold more output than fitted
                    pendingOutput = !frameDone;
                    break;
                }
                pendingOutput = false;
                if (!src.hasRemaining() || !progress && !frameDone) {
                    break;
                }
            }
        } catch (ZstdException e) {
            throw new ForwardProtocolException(
                    ErrorReason.DECOMPRESSION,
                    "entries: invalid zstd data (" + e.getMessage() + ") (expected: zstd frames)",
                    e);
        }
        int produced = dst.position() - dstStart;
        out.writerIndex(out.writerIndex() + produced);
        return src.position() - srcStart;
    }

    @Override
    public boolean isAtEnd() {
        return !frameOpen && !pendingOutput && frames > 0;
    }

    @Override
    public boolean hasPendingOutput() {
        return pendingOutput;
    }

    @Override
    public void reset() {
        if (ctx != null) {
            ctx.reset();
            ctx.setLongMax(MAX_WINDOW_LOG);
        }
        frameOpen = false;
        pendingOutput = false;
        frames = 0;
    }

    @Override
    public void close() {
        if (ctx != null) {
            ctx.close();
            ctx = null;
        }
    }
}
