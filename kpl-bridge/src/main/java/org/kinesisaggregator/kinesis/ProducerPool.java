package org.kinesisaggregator.kinesis;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One KPL producer (one native daemon) per distinct KPL configuration, shared by every
 * {@link KinesisOutput} with the same region, endpoint, credentials, {@code <kinesis_producer>}
 * options, aggregation mode and in-flight bound. KPL's advice is one producer per application;
 * outputs that differ only in stream, format or partitioning share one.
 *
 * <p>Producers are reference-counted: created by the first {@link KinesisOutput#start()} that needs
 * them, destroyed when the last output using them closes. The pool owns its meters
 * ({@code kinesis.kpl.outstanding.records}, {@code kinesis.kpl.in.flight.bytes},
 * {@code kinesis.kpl.daemon.failures}, tag {@code producer}).
 *
 * <p>Thread-safe. Create one per process (no I/O in the constructor); {@link #close()} destroys
 * producers still held (outputs should be closed first).
 */
public final class ProducerPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProducerPool.class);

    private final MeterRegistry registry;
    private final KinesisHealth health;
    private final Map<ProducerKey, ManagedProducer> producers = new HashMap<>();
    private int nextId = 1;
    private boolean closed;

    /**
     * @param registry where the pool's gauges go
     * @param health where daemon failures are reported
     */
    public ProducerPool(MeterRegistry registry, KinesisHealth health) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.health = Objects.requireNonNull(health, "health");
    }

    /** A pool with private metrics and health (tests, tools). */
    public ProducerPool() {
        this(new SimpleMeterRegistry(), new KinesisHealth());
    }

    /**
     * What makes two outputs need different daemons. Compared by value.
     *
     * @param kplAggregation KPL's own aggregation on ({@link AggregationMode#KPL})
     */
    record ProducerKey(
            String region,
            URI endpoint,
            boolean verifyCertificate,
            CredentialsSettings credentials,
            KplSettings kpl,
            boolean kplAggregation,
            long aggregationMaxBytes,
            long aggregationMaxRecords,
            Path tempDirectory,
            long maxInFlightBytes) {}

    /** Takes a reference to the producer for {@code key}, starting it if needed. May block (daemon start). */
    synchronized ManagedProducer acquire(ProducerKey key) {
        if (closed) {
            throw new IllegalStateException("producer pool: closed (expected: open while outputs start)");
        }
        ManagedProducer producer = producers.get(key);
        if (producer == null) {
            String id = "p" + nextId++;
            Counter failures = Counter.builder("kinesis.kpl.daemon.failures")
                    .description("KPL daemon crashes and replacements")
                    .tag("producer", id)
                    .register(registry);
            producer = new ManagedProducer(id, key, health, failures::increment);
            producer.start();
            producers.put(key, producer);
            ManagedProducer registered = producer;
            Gauge.builder("kinesis.kpl.outstanding.records", registered, ManagedProducer::outstandingRecords)
                    .description("Records handed to KPL and not yet settled")
                    .tag("producer", id)
                    .register(registry);
            Gauge.builder("kinesis.kpl.in.flight.bytes", registered, ManagedProducer::inFlightBytes)
                    .baseUnit("bytes")
                    .description("Bytes handed to KPL and not yet settled")
                    .tag("producer", id)
                    .register(registry);
            log.info(
                    "KPL producer {} started (region {}, endpoint {}, KPL aggregation {}, in-flight bound {} bytes)",
                    id,
                    key.region(),
                    key.endpoint() == null ? "AWS" : key.endpoint(),
                    key.kplAggregation(),
                    key.maxInFlightBytes());
        }
        producer.retain();
        return producer;
    }

    /** Gives back a reference; the last one stops the producer, waiting at most {@code timeout}. */
    void release(ManagedProducer producer, Duration timeout) {
        boolean last;
        synchronized (this) {
            last = producer.releaseReference();
            if (last) {
                producers.remove(producer.key());
            }
        }
        if (last) {
            producer.stop(timeout);
            registry.find("kinesis.kpl.outstanding.records")
                    .tag("producer", producer.id())
                    .meters()
                    .forEach(registry::remove);
            registry.find("kinesis.kpl.in.flight.bytes")
                    .tag("producer", producer.id())
                    .meters()
                    .forEach(registry::remove);
            registry.find("kinesis.kpl.daemon.failures")
                    .tag("producer", producer.id())
                    .meters()
                    .forEach(registry::remove);
        }
    }

    /** How many producers (daemons) are running. */
    public synchronized int size() {
        return producers.size();
    }

    /** The process ids of the running KPL daemons (tests kill them to prove recovery). */
    public synchronized List<Long> daemonPids() {
        List<Long> pids = new ArrayList<>();
        for (ManagedProducer p : producers.values()) {
            pids.addAll(p.daemonPids());
        }
        return pids;
    }

    /** Stops every producer still running. Idempotent. */
    @Override
    public void close() {
        List<ManagedProducer> remaining;
        synchronized (this) {
            closed = true;
            remaining = new ArrayList<>(producers.values());
            producers.clear();
        }
        for (ManagedProducer p : remaining) {
            log.warn("KPL producer {} still in use at pool close; stopping it", p.id());
            p.stop(Duration.ofSeconds(5));
        }
    }
}
