package org.kinesisaggregator.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reported a buffer leak while it ran (the JVM runs with
 * {@code -Dio.netty.leakDetection.level=paranoid}). Leaks are reported when a leaked buffer has been
 * garbage collected and the detector runs again, so this forces a GC and allocates a few tracked
 * buffers before looking at the captured log.
 */
public final class LeakCheck implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            System.runFinalization();
            for (ByteBufAllocator alloc : new ByteBufAllocator[] {
                ByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT
            }) {
                for (int i = 0; i < 8; i++) {
                    ByteBuf b = alloc.directBuffer(16);
                    b.release();
                    b = alloc.heapBuffer(16);
                    b.release();
                }
            }
            Thread.onSpinWait();
        }
        assertThat(LogCapture.matching(l -> l.message().contains("LEAK:")))
                .as("Netty LEAK reports in %s", context.getDisplayName())
                .isEmpty();
    }
}
