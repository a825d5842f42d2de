package org.kinesisaggregator.server.app;

import java.io.IOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfLocation;
import org.kinesisaggregator.conf.ConfParam;
import org.kinesisaggregator.conf.ConfProblems;

/**
 * What a conf names outside itself, checked before the application starts (and by {@code --dry-run}): the
 * files it reads (TLS certificates, keys, CAs), the directories it writes (buffer paths) and the ports it
 * binds. Each failed check is a {@link ConfException} naming file:line, the parameter and what to do, so that
 * a conf that passes {@code --dry-run} does not fail at start for these reasons; one run reports every failed
 * check. A port taken between the
 * check and the bind is still reported the same way by {@link #bindFailure}.
 *
 * <p>Not thread-safe: filled while assembling, run on the starting thread. The checks do not change
 * anything: a port is bound and released at once, no directory is created.
 */
final class EnvironmentChecks {
    /** One check; throws {@link ConfException} when it fails. */
    @FunctionalInterface
    interface Check {
        void run();
    }

    /** Where an input's port is set in the conf. */
    private record BindSite(ConfLocation location, String bind, int port) {}

    private final List<Check> checks = new ArrayList<>();
    private final Map<Object, BindSite> bindSites = new IdentityHashMap<>();

    /** Every check, in conf order; all failures are thrown together, in file order ({@link ConfProblems}). */
    void runAll() {
        ConfProblems problems = new ConfProblems();
        for (Check c : checks) {
            try {
                c.run();
            } catch (ConfException e) {
                problems.add(e);
            }
        }
        problems.throwIfAny();
    }

    /** {@code paramName} of {@code e}, when set, names a file this user can read. */
    void readableFile(ConfElement e, String paramName) {
        ConfParam p = e.param(paramName);
        if (p == null) {
            return;
        }
        checks.add(() -> {
            Path file = path(p);
            if (!Files.isRegularFile(file)) {
                throw new ConfException(
                        p.location(),
                        paramName + ": " + file + ": no such file (expected: a readable file; fix the path or"
                                + " create the file)");
            }
            if (!Files.isReadable(file)) {
                throw new ConfException(
                        p.location(),
                        paramName + ": " + file + ": not readable by this user (expected: a readable file; fix"
                                + " its owner or mode)");
            }
        });
    }

    /** {@code dir} can be created (or exists) and written by this user. */
    void writableDirectory(ConfLocation location, String paramName, Path dir) {
        if (dir == null) {
            return;
        }
        checks.add(() -> {
            Path existing = dir.toAbsolutePath();
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
                throw new ConfException(
                        location,
                        paramName + ": " + dir + ": cannot be created or written by this user ("
                                + (existing == null ? "no existing parent" : existing + " is not a writable directory")
                                + "; expected: a directory this user can write; fix its owner or mode, or the path)");
            }
        });
    }

    /**
     * {@code bind}:{@code port} of {@code input} is free for TCP (and UDP, for the forward input's heartbeat);
     * port 0 is not checked. The port's location is kept to name it if the input's own bind fails later.
     */
    void freePort(Object input, ConfLocation location, String bind, int port, boolean udpToo) {
        bindSites.put(input, new BindSite(location, bind, port));
        if (port == 0) {
            return;
        }
        checks.add(() -> {
            try (ServerSocket tcp = new ServerSocket()) {
                tcp.setReuseAddress(true);
                tcp.bind(new InetSocketAddress(InetAddress.getByName(bind), port));
            } catch (IOException e) {
                throw portTaken(location, bind, port, "TCP", e);
            }
            if (udpToo) {
                try (DatagramSocket udp = new DatagramSocket(null)) {
                    udp.bind(new InetSocketAddress(InetAddress.getByName(bind), port));
                } catch (IOException e) {
                    throw portTaken(location, bind, port, "UDP (the heartbeat)", e);
                }
            }
        });
    }

    /**
     * The start-up failure {@code e} of {@code input} as a conf error at its port's location when it is a bind
     * failure of an input registered with {@link #freePort}, else null.
     */
    ConfException bindFailure(Object input, Throwable e) {
        BindSite site = bindSites.get(input);
        if (site == null) {
            return null;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return portTaken(site.location(), site.bind(), site.port(), "TCP or UDP", t);
            }
        }
        return null;
    }

    private static ConfException portTaken(ConfLocation location, String bind, int port, String what, Throwable e) {
        return new ConfException(
                location,
                "port: " + bind + ":" + port + " cannot be bound for " + what + ": " + e.getMessage()
                        + " (expected: a free port; stop the process that holds it, or change port or bind)",
                e);
    }

    private static Path path(ConfParam p) {
        try {
            return Path.of(p.value());
        } catch (InvalidPathException e) {
            throw new ConfException(
                    p.location(), p.name() + ": " + p.value() + ": not a path (" + e.getMessage() + ")");
        }
    }
}
