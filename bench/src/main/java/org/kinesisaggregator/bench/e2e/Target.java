package org.kinesisaggregator.bench.e2e;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A forward-protocol server under load, running as child processes of the benchmark: ours, Fluent
 * Bit or Fluentd. {@link Measurement} sends the load to {@link #forwardPort()} and reads the CPU and
 * memory of {@link #processes()} from /proc.
 */
public interface Target extends AutoCloseable {
    /** What the result lines call it, e.g. {@code ours-fsync} or {@code fluent-bit-memory-w2}. */
    String name();

    int forwardPort();

    /** Label → the live pids measured under it (e.g. {@code jvm}, {@code kpl}); read at each sample. */
    Map<String, List<Long>> processes();

    /** Waits until everything acked has left the server's buffer (no-op where it cannot be observed). */
    default void awaitDrained(Duration timeout) throws Exception {}

    /**
     * Waits until the {@code events} just sent have left the server; {@code before} is {@link
     * #kinesis()} taken before they were sent. By default {@link #awaitDrained}; a server whose
     * buffer cannot be observed but whose Kinesis records can overrides it.
     */
    default void awaitDelivered(long events, KinesisCounts before, Duration timeout) throws Exception {
        awaitDrained(timeout);
    }

    /** Kinesis records, 25,600-B and 25,000-B PUT payload units written so far; null without Kinesis. */
    default KinesisCounts kinesis() throws Exception {
        return null;
    }

    /** Stops the processes (a clean shutdown, then a kill) and removes the work directory's data. */
    @Override
    void close();

    /**
     * What a Kinesis path has written; a count of -1 is not observable on that path. {@code
     * plainEvents}: the events (JSON lines) in records that are not KPL aggregates; {@code
     * serverCpuNanos}: CPU time of the null Kinesis' threads (in the benchmark JVM, not the target's).
     */
    record KinesisCounts(long records, long units25600, long units25000, long plainEvents, long serverCpuNanos) {}
}
