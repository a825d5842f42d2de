package org.kinesisaggregator.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.komamitsu.fluency.EventTime;
import org.komamitsu.fluency.fluentd.ingester.FluentdIngester;
import org.komamitsu.fluency.fluentd.ingester.sender.TCPSender;
import org.komamitsu.fluency.fluentd.recordformat.FluentdRecordFormatter;

/**
 * A forwarder that knows exactly which events were acked: fluency's own forward-protocol pieces
 * (its record formatter for the {@code [time, record]} entries, its {@link FluentdIngester} for the
 * PackedForward framing with a {@code chunk} token, its {@link TCPSender} that waits for
 * {@code {"ack": token}} and checks it). {@code ingest} returns normally only once the matching
 * ack arrived, so a batch's ids are acked exactly when the call returns; any exception leaves them
 * "sent, not acked" (they may or may not have reached the server). Fluency's higher-level
 * {@code Fluency#waitUntilAllBufferFlushed} cannot tell that: it stops counting a buffer while it is
 * being sent.
 *
 * <p>Every event is {@code {"id": N, "pad": "..."}} with a unique id (the pad has quotes,
 * backslashes, slashes and non-ASCII letters). Thread-safe: each sending thread calls {@link #run} with its
 * own connection.
 */
final class AckedSender {
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 \"\\/é";

    private final String host;
    private final int port;
    private final AtomicLong nextId;
    private final FluentdRecordFormatter formatter = new FluentdRecordFormatter();
    private final Set<Long> acked = ConcurrentHashMap.newKeySet();
    private final Set<Long> unacked = ConcurrentHashMap.newKeySet();
    private final Map<Long, Map<String, Object>> sentRecords = new ConcurrentHashMap<>();
    private final Map<Long, String> sentTag = new ConcurrentHashMap<>();
    private final AtomicLong failuresWhileRunning = new AtomicLong();

    AckedSender(String host, int port, long firstId) {
        this.host = host;
        this.port = port;
        this.nextId = new AtomicLong(firstId);
    }

    /** The outcome of one {@link #run}. */
    record RunResult(long ackedEvents, long failedBatches, String lastError) {}

    /**
     * Sends batches of 1..{@code maxBatch} events to {@code tag} on one connection until
     * {@code keepGoing} says stop or {@code maxEvents} were sent; a failed batch opens a new
     * connection for the next one when still going.
     */
    RunResult run(String tag, Random random, int maxBatch, long maxEvents, BooleanSupplier keepGoing) {
        FluentdIngester ingester = connect();
        long ackedHere = 0;
        long sentHere = 0;
        long failed = 0;
        String lastError = null;
        try {
            while (keepGoing.getAsBoolean() && sentHere < maxEvents) {
                int n = (int) Math.min(1 + random.nextInt(maxBatch), maxEvents - sentHere);
                List<Long> ids = new ArrayList<>(n);
                ByteArrayOutputStream entries = new ByteArrayOutputStream();
                for (int i = 0; i < n; i++) {
                    long id = nextId.getAndIncrement();
                    Map<String, Object> record = record(id, random);
                    ids.add(id);
                    sentRecords.put(id, record);
                    sentTag.put(id, tag);
                    byte[] entry = formatter.format(
                            tag, EventTime.fromEpoch(1_700_000_000L + id % 100_000, (int) (id % 1000)), record);
                    entries.write(entry, 0, entry.length);
                }
                sentHere += n;
                boolean wasGoing = keepGoing.getAsBoolean();
                try {
                    ingester.ingest(tag, ByteBuffer.wrap(entries.toByteArray()));
                    acked.addAll(ids);
                    ackedHere += n;
                } catch (IOException | RuntimeException e) {
                    unacked.addAll(ids);
                    failed++;
                    lastError = e.toString();
                    if (wasGoing && keepGoing.getAsBoolean()) {
                        failuresWhileRunning.incrementAndGet();
                    }
                    closeQuietly(ingester);
                    ingester = connect();
                }
            }
        } finally {
            closeQuietly(ingester);
        }
        return new RunResult(ackedHere, failed, lastError);
    }

    private FluentdIngester connect() {
        TCPSender.Config config = new TCPSender.Config();
        config.setHost(host);
        config.setPort(port);
        config.setConnectionTimeoutMilli(5_000);
        config.setReadTimeoutMilli(20_000);
        config.setWaitBeforeCloseMilli(0);
        FluentdIngester.Config ingesterConfig = new FluentdIngester.Config();
        ingesterConfig.setAckResponseMode(true);
        return new FluentdIngester(ingesterConfig, new TCPSender(config));
    }

    private static void closeQuietly(FluentdIngester ingester) {
        try {
            ingester.close();
        } catch (IOException | RuntimeException e) {
            // the server is gone; nothing to release
        }
    }

    private static Map<String, Object> record(long id, Random random) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("id", id);
        int length = 10 + random.nextInt(200);
        StringBuilder pad = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            pad.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        record.put("pad", pad.toString());
        return record;
    }

    /** Ids whose batch was acked. */
    Set<Long> acked() {
        return acked;
    }

    /** Ids of batches sent (or attempted) whose ack never came. */
    Set<Long> unacked() {
        return unacked;
    }

    /** Every record sent, by id. */
    Map<Long, Map<String, Object>> sentRecords() {
        return sentRecords;
    }

    Map<Long, String> sentTag() {
        return sentTag;
    }

    /** Batches that failed while the test still wanted sending (the server should have acked them). */
    long failuresWhileRunning() {
        return failuresWhileRunning.get();
    }

    /** The next id to be used (ids below it were sent). */
    long nextId() {
        return nextId.get();
    }
}
