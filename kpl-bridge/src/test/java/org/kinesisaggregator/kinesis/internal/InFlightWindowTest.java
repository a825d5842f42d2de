package org.kinesisaggregator.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InFlightWindowTest {

    @Test
    void boundsBytesAndLetsOneOversizedRecordThroughWhenEmpty() throws Exception {
        InFlightWindow window = new InFlightWindow(100);
        assertThat(window.acquire(300, 0)).isEqualTo(InFlightWindow.Acquired.YES);
        assertThat(window.acquire(1, 0)).isEqualTo(InFlightWindow.Acquired.TIMED_OUT);
        window.release(300);
        assertThat(window.acquire(60, 0)).isEqualTo(InFlightWindow.Acquired.YES);
        assertThat(window.acquire(40, 0)).isEqualTo(InFlightWindow.Acquired.YES);
        assertThat(window.inFlightBytes()).isEqualTo(100);
        assertThat(window.inFlightRecords()).isEqualTo(2);
        assertThat(window.acquire(1, TimeUnit.MILLISECONDS.toNanos(10))).isEqualTo(InFlightWindow.Acquired.TIMED_OUT);
    }

    @Test
    void aWaitingWriterProceedsWhenRoomIsReleasedAndCloseWakesEveryone() throws Exception {
        InFlightWindow window = new InFlightWindow(100);
        window.acquire(100, 0);
        CompletableFuture<InFlightWindow.Acquired> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return window.acquire(50, TimeUnit.SECONDS.toNanos(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        window.release(100);
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(InFlightWindow.Acquired.YES);
        assertThat(window.awaitEmpty(0, TimeUnit.MILLISECONDS)).isFalse();

        // fill the window (50 + 50 = 100): the next writer must wait, and close() must wake it
        assertThat(window.acquire(50, 0)).isEqualTo(InFlightWindow.Acquired.YES);
        CompletableFuture<InFlightWindow.Acquired> blocked = CompletableFuture.supplyAsync(() -> {
            try {
                return window.acquire(50, TimeUnit.SECONDS.toNanos(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        window.close();
        assertThat(blocked.get(10, TimeUnit.SECONDS)).isEqualTo(InFlightWindow.Acquired.CLOSED);
        window.release(50);
        window.release(50);
        assertThat(window.awaitEmpty(1, TimeUnit.SECONDS)).isTrue();
    }
}
