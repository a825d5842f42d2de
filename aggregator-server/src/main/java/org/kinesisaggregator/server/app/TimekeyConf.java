package org.kinesisaggregator.server.app;

import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.server.output.ChunkKeySpec;

/**
 * The {@code time} chunk key of a {@code <buffer>} for outputs whose chunks carry the time slice in
 * their metadata (all but out_file, which slices its events itself): {@code timekey} (required, as
 * Fluentd requires it), {@code timekey_wait}, {@code timekey_use_utc}, {@code timekey_zone}.
 * Stateless.
 */
final class TimekeyConf {
    private TimekeyConf() {}

    /**
     * The time slicing of a buffer.
     *
     * @param timekey the slice length
     * @param zone the zone slices are floored in, and strftime placeholders formatted in
     * @param timekeyWait Fluentd's {@code timekey_wait}: how long after its slice ends a chunk may still take events
     */
    public record TimeSlices(Duration timekey, ZoneId zone, Duration timekeyWait) {}

    /** Fluentd's {@code timekey_wait} default. */
    public static final Duration DEFAULT_WAIT = Duration.ofMinutes(10);

    /**
     * The zone of {@code buffer}'s time slices: UTC with {@code timekey_use_utc true}, else
     * {@code timekey_zone}, else {@code defaultZone} (the machine's, as Fluentd).
     */
    public static ZoneId zone(ConfElement buffer, ZoneId defaultZone) {
        ZoneId zone = defaultZone;
        if (buffer.bool("timekey_use_utc", false)) {
            zone = ZoneOffset.UTC;
        }
        String tz = buffer.string("timekey_zone", null);
        if (tz != null) {
            try {
                zone = ZoneId.of(tz);
            } catch (RuntimeException ex) {
                throw buffer.error(
                        "timekey_zone", "\"" + tz + "\" is not a time zone (expected: +09:00 or a region id)");
            }
        }
        return zone;
    }

    /**
     * The time slices of {@code output}'s {@code <buffer>}, or null when it has no {@code time} chunk key.
     *
     * @throws org.kinesisaggregator.conf.ConfException when {@code time} is a chunk key without {@code timekey}
     */
    public static TimeSlices of(ConfElement output, ZoneId defaultZone) {
        ConfElement buffer = output.element("buffer");
        if (buffer == null || !ChunkKeySpec.parse(buffer.arg()).contains("time")) {
            return null;
        }
        if (!buffer.has("timekey")) {
            throw buffer.error("chunk key 'time' needs timekey (expected: e.g. timekey"
                    + " 1h in <buffer>, the length of a time slice)");
        }
        Duration timekey = buffer.time("timekey", Duration.ofDays(1));
        if (timekey.toSeconds() < 1) {
            throw buffer.error("timekey", timekey + " (expected: >= 1s)");
        }
        Duration wait = buffer.time("timekey_wait", DEFAULT_WAIT);
        return new TimeSlices(timekey, zone(buffer, defaultZone), wait);
    }
}
