package org.kinesisaggregator.kinesis;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.kinesisaggregator.kinesis.internal.AwsClients;
import org.kinesisaggregator.kinesis.internal.DaemonLauncher;
import org.kinesisaggregator.kinesis.internal.InFlightWindow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.kinesis.producer.Attempt;
import software.amazon.kinesis.producer.FutureTimedOutException;
import software.amazon.kinesis.producer.KinesisProducer;
import software.amazon.kinesis.producer.KinesisProducerConfiguration;
import software.amazon.kinesis.producer.UserRecordFailedException;
import software.amazon.kinesis.producer.UserRecordResult;

/**
 * One KPL producer (Java object + native daemon) shared by outputs, with the bridge's guarantees
 * around it:
 *
 * <ul>
 *   <li>bounded: at most {@code maxInFlightBytes} handed over and not yet settled ({@link InFlightWindow});
 *       {@link #submit} waits for room;
 *   <li>every submission settles exactly once: with KPL's result, or failed by us when KPL cannot
 *       deliver one (its daemon died and KPL failed everything in flight — KPL then restarts the
 *       daemon itself —, the producer had to be replaced because it stopped accepting records or
 *       stalled past {@code record_ttl}, or the producer was stopped);
 *   <li>a producer that keeps refusing records ({@code DaemonException}) for more than 5 s (KPL
 *       restarts a crashed daemon by itself within about a second) or makes no progress for
 *       {@code record_ttl} + 60 s is destroyed and replaced, at most once per 5 seconds.
 * </ul>
 *
 * <p><b>Threads.</b> {@link #submit} runs on flush threads (several at once). {@link Callback}s run
 * on KPL's callback executor (or, for failures we decide, on the submitting or stopping thread):
 * they must only record the outcome and hand further work elsewhere.
 */
final class ManagedProducer {
    private static final Logger log = LoggerFactory.getLogger(ManagedProducer.class);
    /** The bridge's default {@code record_max_buffered_time} (KPL's own is 100 ms). */
    static final long DEFAULT_RECORD_MAX_BUFFERED_TIME_MILLIS = 20;

    private static final long WAIT_SLICE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long REPLACE_MIN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long REFUSAL_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long DAEMON_FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** How a submission ends. Implementations must be quick and must not block. */
    interface Callback {
        void delivered(UserRecordResult result, long latencyNanos);

        /**
         * @param errorCode a Kinesis/KPL error code or one of the bridge's (DaemonFailure,
         *     ProducerUnavailable, Closed, Interrupted, TimedOut, Unexpected)
         */
        void failed(String errorCode, String message, long latencyNanos);
    }

    private final String id;
    private final ProducerPool.ProducerKey key;
    private final KinesisHealth health;
    private final Runnable onDaemonFailure;
    private final InFlightWindow window;
    private final Set<Submission> outstanding = ConcurrentHashMap.newKeySet();
    private final long stallNanos;
    private volatile KinesisProducer producer;
    private volatile KinesisProducer firstRefusalProducer;
    private volatile long firstRefusalNanos;
    private long lastReplaceNanos = System.nanoTime() - REPLACE_MIN_INTERVAL_NANOS;
    private volatile long lastDaemonFailureLogNanos = System.nanoTime() - DAEMON_FAILURE_LOG_INTERVAL_NANOS;
    private int references;
    private volatile boolean stopped;

    ManagedProducer(String id, ProducerPool.ProducerKey key, KinesisHealth health, Runnable onDaemonFailure) {
        this.onDaemonFailure = onDaemonFailure;
        this.id = id;
        this.key = key;
        this.health = health;
        this.window = new InFlightWindow(key.maxInFlightBytes());
        long ttlMillis = key.kpl().getLong(KplSettings.Option.RECORD_TTL, 30_000);
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(Math.min(ttlMillis, TimeUnit.DAYS.toMillis(1)) + 60_000);
    }

    String id() {
        return id;
    }

    ProducerPool.ProducerKey key() {
        return key;
    }

    void retain() {
        references++;
    }

    /** Drops a reference; true when it was the last. Called under the pool's lock. */
    boolean releaseReference() {
        return --references == 0;
    }

    /** Starts the daemon. */
    void start() {
        producer = newProducer();
    }

    double outstandingRecords() {
        return window.inFlightRecords();
    }

    double inFlightBytes() {
        return window.inFlightBytes();
    }

    List<Long> daemonPids() {
        List<Long> pids = new ArrayList<>();
        String marker = key.tempDirectory() == null
                ? "kinesis_producer"
                : key.tempDirectory().toAbsolutePath().toString();
        ProcessHandle.current()
                .descendants()
                .filter(p -> p.info()
                        .command()
                        .map(c -> c.contains(marker) && c.contains("kinesis_producer"))
                        .orElse(false))
                .forEach(p -> pids.add(p.pid()));
        return pids;
    }

    /**
     * Hands one record to KPL, waiting for room in the window. The callback always runs exactly once.
     *
     * @param stream the stream name
     * @param partitionKey the record's partition key
     * @param explicitHashKey the record's explicit hash key (decimal), or null
     * @param data the record's data, {@code length} bytes from {@code offset}; KPL copies it before this returns
     * @param weightBytes what the record counts against the window (data plus partition key)
     * @param cancelled polled while waiting for room; true gives up (the callback reports Closed)
     */
    void submit(
            String stream,
            String partitionKey,
            String explicitHashKey,
            byte[] data,
            int offset,
            int length,
            int weightBytes,
            BooleanSupplier cancelled,
            Callback callback) {
        try {
            while (true) {
                InFlightWindow.Acquired acquired = window.acquire(weightBytes, WAIT_SLICE_NANOS);
                if (acquired == InFlightWindow.Acquired.YES) {
                    break;
                }
                if (acquired == InFlightWindow.Acquired.CLOSED || stopped || cancelled.getAsBoolean()) {
                    callback.failed("Closed", "KPL producer " + id + " stopped", 0);
                    return;
                }
                if (window.nanosSinceLastRelease() > stallNanos) {
                    KinesisProducer current = producer;
                    replace(
                            current,
                            "no KPL result for " + TimeUnit.NANOSECONDS.toSeconds(window.nanosSinceLastRelease())
                                    + " s with " + window.inFlightRecords() + " records in flight");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            callback.failed("Interrupted", "interrupted while waiting for room in KPL's in-flight window", 0);
            return;
        }
        KinesisProducer target = producer;
        Submission submission = new Submission(target, weightBytes, callback);
        outstanding.add(submission);
        if (stopped) {
            submission.fail("Closed", "KPL producer " + id + " stopped");
            return;
        }
        ListenableFuture<UserRecordResult> future;
        try {
            future = target.addUserRecord(stream, partitionKey, explicitHashKey, ByteBuffer.wrap(data, offset, length));
        } catch (IllegalArgumentException e) {
            submission.fail("InvalidArgumentException", "KPL refused the record: " + e.getMessage());
            return;
        } catch (RuntimeException e) {
            // DaemonException: the daemon is gone. KPL restarts a crashed daemon by itself about a second
            // later; only a producer that keeps refusing is replaced.
            long now = System.nanoTime();
            long first = firstRefusalNanos;
            if (first == 0 || firstRefusalProducer != target) {
                firstRefusalProducer = target;
                firstRefusalNanos = now;
            } else if (now - first > REFUSAL_GRACE_NANOS) {
                replace(
                        target,
                        "KPL refused records for " + TimeUnit.NANOSECONDS.toSeconds(now - first) + " s: "
                                + e.getMessage());
            }
            submission.fail(
                    "ProducerUnavailable",
                    "KPL producer " + id + " unavailable (" + e.getMessage() + "); retried later");
            return;
        }
        firstRefusalNanos = 0;
        Futures.addCallback(future, submission, MoreExecutors.directExecutor());
    }

    /** Asks KPL to send what it buffers now (shutdown). */
    void flush() {
        KinesisProducer current = producer;
        if (current != null && !stopped) {
            current.flush();
        }
    }

    /**
     * Replaces {@code broken} with a new producer (unless it was already replaced, or the last
     * replacement was less than 5 s ago) and fails what was outstanding on it.
     */
    private void replace(KinesisProducer broken, String why) {
        List<Submission> orphans = new ArrayList<>();
        synchronized (this) {
            if (stopped || producer != broken || System.nanoTime() - lastReplaceNanos < REPLACE_MIN_INTERVAL_NANOS) {
                return;
            }
            lastReplaceNanos = System.nanoTime();
            log.warn("KPL producer {}: {}; replacing it with a new daemon", id, why);
            health.reportDaemonFailure(id, why);
            onDaemonFailure.run();
            try {
                producer = newProducer();
            } catch (RuntimeException e) {
                log.error(
                        "KPL producer {}: cannot start a new daemon ({}); records fail until it can",
                        id,
                        e.getMessage(),
                        e);
                return;
            }
            for (Submission s : outstanding) {
                if (s.producer == broken) {
                    orphans.add(s);
                }
            }
        }
        for (Submission s : orphans) {
            s.fail("ProducerUnavailable", "KPL producer " + id + " replaced before this record settled");
        }
        Thread destroyer = new Thread(
                () -> {
                    destroyQuietly(broken);
                    // KPL drops pending callbacks on destroy: fail what is still tied to the old daemon.
                    for (Submission s : new ArrayList<>(outstanding)) {
                        if (s.producer == broken) {
                            s.fail(
                                    "ProducerUnavailable",
                                    "KPL producer " + id + " replaced before this record settled");
                        }
                    }
                },
                "kpl-destroy-" + id);
        destroyer.setDaemon(true);
        destroyer.start();
    }

    /**
     * Flushes, waits at most {@code timeout} for outstanding records, destroys the daemon and fails
     * whatever is still outstanding.
     */
    void stop(Duration timeout) {
        KinesisProducer current = producer;
        if (current != null && !stopped) {
            current.flush();
            try {
                if (!window.awaitEmpty(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn(
                            "KPL producer {}: {} records still in flight after {}; failing them for retry",
                            id,
                            window.inFlightRecords(),
                            timeout);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stopped = true;
        window.close();
        if (current != null) {
            destroyQuietly(current);
        }
        for (Submission s : new ArrayList<>(outstanding)) {
            s.fail("Closed", "KPL producer " + id + " stopped before this record settled");
        }
        log.info("KPL producer {} stopped", id);
    }

    private void destroyQuietly(KinesisProducer p) {
        try {
            p.destroy();
        } catch (RuntimeException e) {
            log.warn("KPL producer {}: destroy failed ({})", id, e.getMessage());
        }
    }

    private KinesisProducer newProducer() {
        KinesisProducerConfiguration config = new KinesisProducerConfiguration();
        // Records reach KPL already aggregated (~50 KiB): its buffering only fills PutRecords calls, so
        // the bridge waits 20 ms instead of KPL's 100 ms (measured: ~30% more throughput; see
        // BENCHMARKS.md). An explicit record_max_buffered_time wins.
        config.setRecordMaxBufferedTime(DEFAULT_RECORD_MAX_BUFFERED_TIME_MILLIS);
        key.kpl().applyTo(config);
        config.setRegion(key.region());
        config.setCredentialsProvider(AwsClients.credentialsProvider(key.credentials(), key.region()));
        config.setAggregationEnabled(key.kplAggregation());
        if (key.kplAggregation()) {
            config.setAggregationMaxSize(key.aggregationMaxBytes());
            config.setAggregationMaxCount(key.aggregationMaxRecords());
        }
        if (key.endpoint() != null) {
            config.setKinesisEndpoint(key.endpoint().getHost());
            config.setKinesisPort(key.endpoint().getPort() > 0 ? key.endpoint().getPort() : 443);
        }
        config.setVerifyCertificate(key.verifyCertificate());
        if (key.tempDirectory() != null) {
            try {
                Files.createDirectories(key.tempDirectory());
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "KPL temp directory " + key.tempDirectory()
                                + ": cannot create it; set kpl_temp_directory to a writable directory",
                        e);
            }
            config.setTempDirectory(key.tempDirectory().toAbsolutePath().toString());
        }
        if (key.kpl().get(KplSettings.Option.NATIVE_EXECUTABLE) == null) {
            // The daemon in its own process group: a SIGTERM to the JVM's whole group must not stop it
            // before the drain has flushed through it (see DaemonLauncher).
            String launcher = DaemonLauncher.ownSessionLauncher(key.tempDirectory());
            if (launcher != null) {
                config.setNativeExecutable(launcher);
            }
        }
        // We track what is outstanding ourselves; KPL's tracker costs a linear removal per record.
        config.setEnableOldestFutureTracker(false);
        config.setReturnUserRecordOnFailure(false);
        return new KinesisProducer(config);
    }

    /** One record handed to KPL. Settles once. */
    private final class Submission implements FutureCallback<UserRecordResult> {
        private final int weightBytes;
        private final Callback callback;
        private final long startNanos = System.nanoTime();
        private final AtomicBoolean settled = new AtomicBoolean();
        private final KinesisProducer producer;

        Submission(KinesisProducer producer, int weightBytes, Callback callback) {
            this.producer = producer;
            this.weightBytes = weightBytes;
            this.callback = callback;
        }

        @Override
        public void onSuccess(UserRecordResult result) {
            if (settle()) {
                callback.delivered(result, System.nanoTime() - startNanos);
            }
        }

        @Override
        public void onFailure(Throwable t) {
            if (!settle()) {
                return;
            }
            long latency = System.nanoTime() - startNanos;
            if (t instanceof UserRecordFailedException failed) {
                List<Attempt> attempts = failed.getResult().getAttempts();
                Attempt last = attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
                String code = last == null || last.getErrorCode() == null ? "Unexpected" : last.getErrorCode();
                String message = last == null ? "no attempt recorded" : last.getErrorMessage();
                callback.failed(code, code + ": " + message + " (after " + attempts.size() + " attempts)", latency);
            } else if (t instanceof FutureTimedOutException) {
                callback.failed("TimedOut", "KPL user_record_timeout_in_millis elapsed", latency);
            } else {
                long now = System.nanoTime();
                if (now - lastDaemonFailureLogNanos > DAEMON_FAILURE_LOG_INTERVAL_NANOS) {
                    lastDaemonFailureLogNanos = now;
                    log.warn(
                            "KPL producer {}: daemon failed ({}); KPL restarts it, records in flight are retried",
                            id,
                            t.getMessage());
                    health.reportDaemonFailure(id, String.valueOf(t.getMessage()));
                    onDaemonFailure.run();
                }
                callback.failed("DaemonFailure", "KPL daemon failed: " + t.getMessage(), latency);
            }
        }

        void fail(String code, String message) {
            if (settle()) {
                callback.failed(code, message, System.nanoTime() - startNanos);
            }
        }

        private boolean settle() {
            if (!settled.compareAndSet(false, true)) {
                return false;
            }
            outstanding.remove(this);
            window.release(weightBytes);
            return true;
        }
    }
}
