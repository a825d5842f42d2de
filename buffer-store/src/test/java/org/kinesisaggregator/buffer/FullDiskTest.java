package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
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
 * nothing acked is lost, and appends work again once delivery frees space. The same file system
 * remounted read-only under a stopped buffer: the buffer refuses to start, naming the path, and
 * delivers everything once the disk is writable again.
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
        dumpDisk("files once delivered");
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

    /**
     * Linux refuses to remount a file system read-only while a file on it is open for writing (the
     * running buffer's chunk and ledger: "mount point is busy"), so a disk turns read-only under a
     * running buffer only by the kernel's own error handling (ext4 {@code errors=remount-ro}), whose
     * write errors are the failed-write and failed-fsync paths of FsyncFailureTest. What an operator
     * meets is a buffer that starts on a disk that is read-only: it must refuse to start, naming the
     * path and the reason, and lose nothing of what is buffered there.
     */
    @Test
    void aBufferOnAReadOnlyDiskRefusesToStartAndLosesNothing() throws Exception {
        RecordingOutput out = new RecordingOutput();
        out.failAlways("down before the disk turned read-only");
        BufferSettings settings = Fixture.settings(BufferType.FILE, mount.resolve("buf"))
                .chunkLimitBytes(64 * 1024)
                .build();
        EventBuffer b = fx.start(settings, out, null);
        Set<Long> acked = new HashSet<>();
        long id = 0;
        for (int i = 0; i < 20; i++) {
            b.append("t", Events.entries(id, 4, 200), 4, null).get(10, TimeUnit.SECONDS);
            for (long k = id; k < id + 4; k++) {
                acked.add(k);
            }
            id += 4;
        }
        b.close();
        fx.close();
        assertThat(openFilesUnder(mount))
                .as("files the closed buffer still holds open")
                .isEmpty();
        String remount = remount("ro");
        Assumptions.assumeTrue(remount == null, remount);

        Throwable refusal = catchThrowable(() -> fx.start(settings, out, null));
        System.out.println("FullDiskTest: start on a read-only disk: " + refusal);
        assertThat(refusal)
                .as("the start is refused, naming the path and why")
                .isNotNull()
                .hasMessageContaining(mount.resolve("buf").toString())
                .hasMessageContaining("Read-only file system");
        fx.close();

        assertThat(remount("rw")).as("remount rw").isNull();
        out.succeed();
        EventBuffer again = fx.start(settings, out, null);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            fx.clock.advance(Duration.ofMinutes(5));
            return out.delivered().containsAll(acked);
        });
        assertThat(again.healthProblems()).isEmpty();
    }

    private void dumpDisk(String when) throws IOException {
        try (var files = Files.walk(mount)) {
            files.forEach(f -> {
                try {
                    System.out.println(
                            "FullDiskTest: " + when + ": " + f + " " + (Files.isRegularFile(f) ? Files.size(f) : -1));
                } catch (IOException e) {
                    System.out.println("FullDiskTest: " + f + " " + e);
                }
            });
        }
    }

    /** Files under {@code dir} this process has open (its /proc/self/fd links). */
    private static List<Path> openFilesUnder(Path dir) throws IOException {
        List<Path> open = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    if (target.startsWith(dir)) {
                        open.add(target);
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return open;
    }

    /** {@code mount -o remount,MODE} of the test's tmpfs; null when it worked, else why not. */
    private String remount(String mode) throws Exception {
        Process p = new ProcessBuilder("mount", "-o", "remount," + mode, mount.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
            return null;
        }
        String reason = "mount -o remount," + mode + " failed: " + output.trim();
        System.out.println("FullDiskTest (read-only part) skipped: " + reason);
        return reason;
    }
}
