package org.kinesisaggregator.bench.e2e;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.kinesisaggregator.bench.load.ForwardLoad;

/**
 * One load run against a {@link Target}: events/s and MB/s until every ack arrived, events/s until
 * the buffer drained (where observable), ack p50/p99/p99.9, CPU-seconds per million events and peak
 * RSS of each of the target's processes, and Kinesis records and PUT payload units per million
 * events on Kinesis paths. Prints nothing itself; {@link Result#toString()} is one line.
 */
public final class Measurement {
    private Measurement() {}

    /** What one run measured. */
    public record Result(
            String label,
            String target,
            Shape shape,
            long events,
            double ingestSeconds,
            double drainedSeconds,
            ForwardLoad.Result load,
            Map<String, Double> cpuSeconds,
            Map<String, Long> peakRssKib,
            Target.KinesisCounts kinesis) {

        public double eventsPerSecond() {
            return events / ingestSeconds;
        }

        /** Events per second until the last one left the server (NaN where not waited for). */
        public double endToEndEventsPerSecond() {
            return events / drainedSeconds;
        }

        /** CPU-seconds per million events of all the target's processes. */
        public double cpuSecondsPerMillion() {
            return cpuSeconds.values().stream().mapToDouble(Double::doubleValue).sum() * 1e6 / events;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(
                    Locale.ROOT,
                    "result: %s target=%s %s events=%d events/s=%.0f MB/s=%.1f",
                    label,
                    target,
                    shape,
                    events,
                    eventsPerSecond(),
                    load.bytes() / ingestSeconds / 1e6));
            if (!Double.isNaN(drainedSeconds)) {
                sb.append(String.format(Locale.ROOT, " end_to_end_events/s=%.0f", events / drainedSeconds));
            }
            sb.append(String.format(
                    Locale.ROOT,
                    " ack_p50_ms=%.2f ack_p99_ms=%.2f ack_p99.9_ms=%.2f",
                    load.ackP50Micros() / 1000.0,
                    load.ackP99Micros() / 1000.0,
                    load.ackP999Micros() / 1000.0));
            sb.append(String.format(Locale.ROOT, " cpu_s_per_1m_events=%.2f", cpuSecondsPerMillion()));
            cpuSeconds.forEach(
                    (k, v) -> sb.append(String.format(Locale.ROOT, " cpu_s_per_1m[%s]=%.2f", k, v * 1e6 / events)));
            peakRssKib.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " peak_rss_mib[%s]=%d", k, v / 1024)));
            if (kinesis != null) {
                sb.append(String.format(
                        Locale.ROOT,
                        " kinesis_records_per_1m=%s put_units_per_1m[25600B]=%s put_units_per_1m[25000B]=%s",
                        perMillion(kinesis.records()),
                        perMillion(kinesis.units25600()),
                        perMillion(kinesis.units25000())));
                if (kinesis.serverCpuNanos() >= 0) {
                    sb.append(String.format(
                            Locale.ROOT,
                            " cpu_s_per_1m[null-kinesis]=%.2f",
                            kinesis.serverCpuNanos() / 1e9 * 1e6 / events));
                }
                if (kinesis.plainEvents() > 0) {
                    sb.append(" kinesis_plain_events=").append(kinesis.plainEvents());
                }
            }
            return sb.toString();
        }

        private String perMillion(long count) {
            return count < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", count * 1e6 / events);
        }
    }

    /**
     * Warm-up runs of {@code warmupEvents} each, repeated until {@code warmupSeconds} have passed (at
     * least one run), then a measured run sized to last about {@code seconds} at the last warm-up's
     * rate (at least {@code minEvents}): its ingest rate, or with {@code sizeByDrain} its end-to-end
     * rate (a slow sink). The warm-up time is there for the JVM: at one event per message, 20,000
     * events take about two seconds and its JIT compilers were still compiling the hot path 30 s in
     * (a third of a core, counted in the measured CPU); a native peer needs none but gets the same.
     */
    public static Result warmAndMeasure(
            Target target,
            Shape shape,
            long warmupEvents,
            double warmupSeconds,
            double seconds,
            long minEvents,
            String label,
            boolean drain,
            boolean sizeByDrain)
            throws Exception {
        long warmUntil = System.nanoTime() + (long) (warmupSeconds * 1e9);
        Result warm = run(target, shape, warmupEvents, 0, label + "-warmup", drain || sizeByDrain);
        while (System.nanoTime() < warmUntil) {
            warm = run(target, shape, warmupEvents, 0, label + "-warmup", drain || sizeByDrain);
        }
        double rate = sizeByDrain ? warm.events() / warm.drainedSeconds() : warm.eventsPerSecond();
        long events = Math.max(minEvents, (long) (rate * seconds));
        events = Math.max(events, (long) shape.connections() * shape.batch());
        return run(target, shape, events, 0, label, drain);
    }

    /** Sends {@code events} (paced to {@code rate} events/s when > 0) and measures. */
    public static Result run(Target target, Shape shape, long events, long rate, String label, boolean drain)
            throws Exception {
        Map<Long, Double> cpu0 = cpu(target);
        Target.KinesisCounts k0 = target.kinesis();
        ForwardLoad load = shape.load(target.forwardPort(), events, rate);
        long t0 = System.nanoTime();
        ForwardLoad.Result sent = load.run();
        long ingested = System.nanoTime();
        double drainedSeconds = Double.NaN;
        if (drain) {
            target.awaitDelivered(events, k0, Duration.ofMinutes(15));
            drainedSeconds = (System.nanoTime() - t0) / 1e9;
        }
        Map<String, Double> cpuSeconds = new LinkedHashMap<>();
        Map<String, Long> rss = new LinkedHashMap<>();
        for (Map.Entry<String, List<Long>> e : target.processes().entrySet()) {
            double c = 0;
            long r = 0;
            for (long pid : e.getValue()) {
                c += ProcStats.cpuSeconds(pid) - cpu0.getOrDefault(pid, 0.0);
                r += ProcStats.peakRssKib(pid);
            }
            cpuSeconds.put(e.getKey(), c);
            rss.put(e.getKey(), r);
        }
        Target.KinesisCounts k1 = target.kinesis();
        Target.KinesisCounts kinesis = k1 == null
                ? null
                : new Target.KinesisCounts(
                        diff(k1.records(), k0.records()),
                        diff(k1.units25600(), k0.units25600()),
                        diff(k1.units25000(), k0.units25000()),
                        diff(k1.plainEvents(), k0.plainEvents()),
                        diff(k1.serverCpuNanos(), k0.serverCpuNanos()));
        return new Result(
                label,
                target.name(),
                shape,
                events,
                (ingested - t0) / 1e9,
                drainedSeconds,
                sent,
                cpuSeconds,
                rss,
                kinesis);
    }

    private static long diff(long after, long before) {
        return after < 0 || before < 0 ? -1 : after - before;
    }

    private static Map<Long, Double> cpu(Target target) {
        Map<Long, Double> cpu = new LinkedHashMap<>();
        for (List<Long> pids : target.processes().values()) {
            for (long pid : pids) {
                cpu.put(pid, ProcStats.cpuSeconds(pid));
            }
        }
        return cpu;
    }
}
