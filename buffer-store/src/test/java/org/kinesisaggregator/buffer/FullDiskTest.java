package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;
import org.kinesisaggregator.buffer.testing.RecordingOutput;

/**
 * A real full disk: an 8 MiB tmpfs mounted by the test (needs root; skipped with the reason printed
 * where mounting is not permitted). Appends fail with a clear message once the disk is full,
 * nothing acked is lost, and appends work again once delivery frees space.
 */
class FullDiskTest {
    @TempDir
    Path dir;

    private Path mount;
    private boolean mounted;
    private final Fixture fx = new Fixture();

    @BeforeEach
    void mountSmallDisk() throws Exception {
        mount = Files.createDirectories(dir.resolve("small"));
        String reason;
        try {
            Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount.toString())
                    .redirectErrorStream(true)
                    .start();
            String output = new String(p.getInputStream().readAllBytes());
            mounted = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
            reason = "mount -t tmpfs failed: " + output.trim();
        } catch (IOException e) {
            reason = "mount not available: " + e.getMessage();
        }
        if (!mounted) {
            System.out.println("FullDiskTest skipped: " + reason);
        }
        Assumptions.assumeTrue(mounted, reason);
    }

    @AfterEach
    void unmount() throws Exception {
        fx.close();
        if (mounted) {
            Process p = new ProcessBuilder("umount", mount.toString())
                    .redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                // something still holds a file there: detach it anyway so the temp dir can go
                Process lazy = new ProcessBuilder("umount", "-l", mount.toString())
                        .redirectErrorStream(true)
                        .start();
                lazy.getInputStream().readAllBytes();
                lazy.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aFullDiskRefusesAppendsClearlyLosesNothingAndRecoversWhenSpaceFrees() throws Exception {
        RecordingOutput out = new RecordingOutput();
        out.failAlways("down while the disk fills");
        BufferSettings settings = Fixture.settings(BufferType.FILE, mount.resolve("buf"))
                .chunkLimitBytes(64 * 1024)
                .totalLimitBytes(64L * 1024 * 1024)
                .build();
        EventBuffer b = fx.start(settings, out, null);
        Set<Long> acked = new HashSet<>();
        Throwable refusal = null;
        long id = 0;
        for (int i = 0; i < 5000 && refusal == null; i++) {
            try {
                b.append("t", Events.entries(id, 4, 1000), 4, null).get(10, TimeUnit.SECONDS);
                for (long k = id; k < id + 4; k++) {
                    acked.add(k);
                }
            } catch (ExecutionException e) {
                refusal = e.getCause();
            }
            id += 4;
        }
        System.out.println("FullDiskTest: disk full after " + acked.size() + " acked events: " + refusal);
        assertThat(refusal)
                .as("an append refused by the full disk")
                .isInstanceOf(BufferException.class)
                .isNotInstanceOf(BufferOverflowException.class)
                .hasMessageContaining("No space left on device")
                .hasMessageContaining("nothing of it was stored");
        assertThat(acked).isNotEmpty();
        assertThat(b.healthProblems())
                .as("/health/ready says why")
                .singleElement(InstanceOfAssertFactories.STRING)
                .contains("appends refused since")
                .contains("No space left on device");
        // space frees when the output recovers and delivered chunks are deleted
        out.succeed();
        // keep moving the clock: a write in flight when the output recovered schedules its retry later
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            fx.clock.advance(Duration.ofMinutes(5));
            return out.delivered().containsAll(acked);
        });
        List<Long> later = new ArrayList<>();
        long next = id;
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            fx.clock.advance(Duration.ofSeconds(61));
            try {
                b.append("t", Events.entries(next, 2, 100), 2, null).get(10, TimeUnit.SECONDS);
                later.add(next);
                return true;
            } catch (ExecutionException e) {
                return false;
            }
        });
        assertThat(b.healthProblems())
                .as("healthy again once an append is stored")
                .isEmpty();
        fx.clock.advance(Duration.ofSeconds(61));
        await().atMost(Duration.ofSeconds(30)).until(() -> out.delivered().contains(next + 1));
        // and a restart on the same disk finds a consistent buffer
        b.close();
        fx.close();
        EventBuffer b2 = fx.start(settings, out, null);
        await().atMost(Duration.ofSeconds(30)).until(() -> b2.stats().totalEvents() == 0);
        assertThat(new HashSet<>(out.delivered())).containsAll(acked);
    }
}
