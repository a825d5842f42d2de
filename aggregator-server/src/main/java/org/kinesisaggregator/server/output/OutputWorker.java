package org.kinesisaggregator.server.output;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.kinesisaggregator.buffer.WriteResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single thread an output does its blocking I/O on, so that {@code Output.write} never blocks
 * its caller (a flush thread, or an event loop for unbuffered outputs). Writes run one at a time,
 * in submission order. Created in {@link #start}, stopped in {@link #close} (bounded). Thread-safe.
 */
final class OutputWorker {
    private static final Logger log = LoggerFactory.getLogger(OutputWorker.class);

    /** A write to run on the worker. */
    @FunctionalInterface
    interface Job {
        WriteResult run() throws Exception;
    }

    private final String name;
    private volatile ExecutorService executor;

    OutputWorker(String name) {
        this.name = name;
    }

    synchronized void start() {
        if (executor == null) {
            executor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            });
        }
    }

    CompletableFuture<WriteResult> submit(Job job) {
        ExecutorService e = executor;
        if (e == null) {
            return CompletableFuture.completedFuture(WriteResult.failed(name + " is not started"));
        }
        try {
            return CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            return job.run();
                        } catch (Exception ex) {
                            log.warn("{}: write failed: {}", name, ex.toString());
                            return WriteResult.failed(ex.toString());
                        }
                    },
                    e);
        } catch (RejectedExecutionException ex) {
            return CompletableFuture.completedFuture(WriteResult.failed(name + " is closed"));
        }
    }

    synchronized void close() {
        ExecutorService e = executor;
        if (e == null) {
            return;
        }
        e.shutdown();
        try {
            if (!e.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("{}: writes still running after 10 s; abandoning them", name);
                e.shutdownNow();
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            e.shutdownNow();
        }
    }
}
