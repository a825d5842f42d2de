package org.kinesisaggregator.server;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * "Once per key per interval" for log lines a peer can repeat at will (failed handshakes, refused
 * connections, timeouts): the first occurrence of a key logs, the next ones within {@code interval}
 * are only counted, and the first one after the interval logs again and says how many were left
 * out. The metrics count every occurrence; only the log is thinned.
 *
 * <p>Memory is bounded: at most {@code maxKeys} keys are tracked; when that many are live, further
 * keys share one overflow key (so a flood from many addresses still logs once per interval).
 *
 * <p>Thread-safe (shared by every connection of a source).
 */
final class LogThrottle {
    static final String OVERFLOW_KEY = "*";

    private final Duration interval;
    private final int maxKeys;
    private final Clock clock;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    /** One key's interval: when it started, and how many occurrences were not logged in it. */
    private static final class Window {
        long startMillis;
        long suppressed;

        Window(long startMillis) {
            this.startMillis = startMillis;
        }
    }

    LogThrottle(Duration interval, int maxKeys, Clock clock) {
        if (interval.isNegative() || maxKeys < 1) {
            throw new IllegalArgumentException(
                    "log throttle: " + interval + ", " + maxKeys + " keys (expected: interval >= 0, keys >= 1)");
        }
        this.interval = interval;
        this.maxKeys = maxKeys;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    Duration interval() {
        return interval;
    }

    /**
     * The tail of a line that {@link #admit} let through: {@code ""}, or
     * {@code " (N more WHAT since the last such line, not logged: one line per 60 s)"}.
     */
    String note(long notLogged, String what) {
        return notLogged <= 0
                ? ""
                : " (" + notLogged + " more " + what + " since the last such line, not logged: one line per "
                        + interval.toSeconds() + " s)";
    }

    /**
     * Records one occurrence of {@code key}. Returns -1 when it must not be logged, else the number
     * of occurrences of the key that were not logged since its last line (0 the first time).
     */
    long admit(String key) {
        long now = clock.millis();
        Window w = windows.get(key);
        if (w == null) {
            if (windows.size() >= maxKeys) {
                windows.values().removeIf(old -> expired(old, now));
                if (windows.size() >= maxKeys) {
                    key = OVERFLOW_KEY;
                }
            }
            w = windows.computeIfAbsent(key, k -> new Window(now - interval.toMillis() - 1));
        }
        synchronized (w) {
            if (expired(w, now)) {
                long left = w.suppressed;
                w.startMillis = now;
                w.suppressed = 0;
                return left;
            }
            w.suppressed++;
            return -1;
        }
    }

    private boolean expired(Window w, long now) {
        return now - w.startMillis >= interval.toMillis();
    }
}
