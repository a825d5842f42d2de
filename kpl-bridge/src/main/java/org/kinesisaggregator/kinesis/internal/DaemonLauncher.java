package org.kinesisaggregator.kinesis.internal;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.kinesis.producer.HashedFileCopier;
import software.amazon.kinesis.producer.KinesisProducer;

/**
 * Starts KPL's native daemon in a session (and process group) of its own, so that a SIGTERM sent
 * to the JVM's whole process group — systemd's default {@code KillMode=control-group}, a Ctrl-C in
 * a terminal, {@code kill -TERM -PGID} — does not kill it in the middle of the drain: the JVM
 * alone gets the signal, flushes through the daemon and then destroys it.
 *
 * <p>KPL starts {@code native_executable} with {@link ProcessBuilder} and no way to change the
 * process group, so the daemon's executable becomes a two-line shell launcher
 * ({@code exec setsid kinesis_producer_<hash> "$@"}) next to the binary, which is extracted from
 * KPL's jar the way KPL does it ({@link HashedFileCopier}, same directory, same name). Because the
 * daemon is not a process group leader, {@code setsid} execs without forking: the daemon keeps the
 * pid KPL started, is still the JVM's child (KPL destroys it; a killed JVM closes its pipes, which
 * ends it), and stays in the unit's cgroup (systemd's final SIGKILL still reaches it).
 *
 * <p>Linux only, and only when {@code setsid} (util-linux, busybox) is installed; otherwise KPL
 * starts the daemon itself (one WARN line says why). Thread-safe: launchers are made once per
 * directory.
 */
public final class DaemonLauncher {
    private static final Logger log = LoggerFactory.getLogger(DaemonLauncher.class);
    private static final String BINARIES = "amazon-kinesis-producer-native-binaries";
    private static final List<Path> SETSID = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));
    private static final Map<Path, String> LAUNCHERS = new ConcurrentHashMap<>();

    private DaemonLauncher() {}

    /**
     * The launcher to set as KPL's {@code NativeExecutable}, or null to let KPL start the daemon
     * itself (not Linux, no {@code setsid}, or no binary for this architecture in KPL's jar).
     *
     * @param tempDirectory KPL's {@code TempDirectory}, or null for {@code java.io.tmpdir}
     * @throws UncheckedIOException when the directory cannot be written
     */
    public static String ownSessionLauncher(Path tempDirectory) {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return null;
        }
        Path setsid = SETSID.stream().filter(Files::isExecutable).findFirst().orElse(null);
        if (setsid == null) {
            log.warn(
                    "No setsid in {}: the KPL daemon shares the JVM's process group, and a SIGTERM to the whole"
                            + " group (systemd's default KillMode) stops it before the drain; use KillMode=mixed",
                    SETSID);
            return null;
        }
        Path base = tempDirectory != null ? tempDirectory : Path.of(System.getProperty("java.io.tmpdir"));
        Path dir = base.resolve(BINARIES).toAbsolutePath();
        return LAUNCHERS.computeIfAbsent(dir, d -> create(d, setsid));
    }

    private static String create(Path dir, Path setsid) {
        String arch = System.getProperty("os.arch", "");
        String resource = BINARIES + "/linux-" + ("amd64".equals(arch) ? "x86_64" : arch) + "/kinesis_producer";
        try (InputStream in = KinesisProducer.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                log.warn(
                        "No KPL daemon binary {} in KPL's jar; KPL starts the daemon in the JVM's process group",
                        resource);
                return null;
            }
            Files.createDirectories(dir);
            File binary = HashedFileCopier.copyFileFrom(in, dir.toFile(), "kinesis_producer_%s");
            if (!binary.canExecute() && !binary.setExecutable(true)) {
                throw new IOException(binary + ": cannot make it executable");
            }
            Path launcher = dir.resolve(binary.getName() + "_setsid.sh");
            String script = "#!/bin/sh\n# kinesis-aggregator: the KPL daemon in its own session (DaemonLauncher)\nexec "
                    + quote(setsid.toString()) + " " + quote(binary.getAbsolutePath()) + " \"$@\"\n";
            if (!Files.isRegularFile(launcher)
                    || !Files.readString(launcher, StandardCharsets.UTF_8).equals(script)) {
                Path tmp = Files.createTempFile(dir, "launcher", ".tmp");
                Files.writeString(tmp, script, StandardCharsets.UTF_8);
                if (!tmp.toFile().setExecutable(true)) {
                    throw new IOException(tmp + ": cannot make it executable");
                }
                try {
                    Files.move(tmp, launcher, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, launcher, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            log.info("KPL daemon launcher {}: the daemon runs in its own session (process group)", launcher);
            return launcher.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "KPL temp directory " + dir + ": cannot write the daemon launcher; set kpl_temp_directory"
                            + " to a writable directory",
                    e);
        } catch (Exception e) {
            throw new IllegalStateException("KPL daemon binary " + resource + ": cannot extract it: " + e, e);
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
