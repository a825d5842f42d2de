package org.kinesisaggregator.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a client program as a child process, bounded in time, and returns what it printed. */
public final class ChildProcess {

    /** Exit code, stdout and stderr of a finished child. */
    public record Result(int exitCode, String stdout, String stderr) {}

    private ChildProcess() {}

    /** The repository root (the build passes -Dproject.root). */
    public static Path projectRoot() {
        String root = System.getProperty("project.root");
        if (root == null) {
            throw new IllegalStateException("-Dproject.root is not set (the parent pom sets it for test JVMs)");
        }
        return Path.of(root);
    }

    public static Result run(List<String> command, long timeoutSeconds) {
        try {
            Process process = new ProcessBuilder(command).start();
            process.getOutputStream().close();
            CompletableFuture<String> out = read(process.getInputStream());
            CompletableFuture<String> err = read(process.getErrorStream());
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(
                        command + " did not finish within " + timeoutSeconds + " s; stderr: " + err.getNow(""));
            }
            return new Result(process.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static CompletableFuture<String> read(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }
}
