package org.kinesisaggregator.buffer;

import java.util.random.RandomGenerator;

/**
 * Fluentd's retry timing as pure functions of the attempt number and the clock readings handed
 * in: no state, no clock of its own, randomness injected.
 *
 * <ul>
 *   <li>{@code exponential_backoff}: the wait before retry {@code n} (1-based) is
 *       {@code retry_wait * base^(n-1)}, capped at {@code retry_max_interval};
 *   <li>{@code periodic}: {@code retry_wait} every time;
 *   <li>{@code retry_randomize}: the wait is spread uniformly over ±12.5% (Fluentd's width).
 * </ul>
 *
 * <p>Immutable; thread-safe.
 */
public final class RetryPolicy {
    /** Fluentd's {@code randomize_width}. */
    public static final double RANDOMIZE_WIDTH = 0.125;

    private final RetrySettings settings;

    public RetryPolicy(RetrySettings settings) {
        this.settings = settings;
    }

    /**
     * Milliseconds to wait before retry number {@code attempt} (1 = the first retry, after the first
     * failure).
     *
     * @param random jitter source, used only when {@code retry_randomize} is on
     */
    public long delayMillis(int attempt, RandomGenerator random) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt: " + attempt + " (expected: >= 1)");
        }
        double waitMillis = settings.initialWait().toMillis();
        double delay;
        if (settings.type() == RetrySettings.RetryType.PERIODIC) {
            delay = waitMillis;
        } else {
            delay = waitMillis * Math.pow(settings.exponentialBackoffBase(), attempt - 1);
            if (settings.maxInterval() != null) {
                delay = Math.min(delay, settings.maxInterval().toMillis());
            }
        }
        if (settings.randomize()) {
            delay = delay + delay * RANDOMIZE_WIDTH * (2 * random.nextDouble() - 1.0);
        }
        if (!Double.isFinite(delay) || delay > Long.MAX_VALUE / 4) {
            return Long.MAX_VALUE / 4;
        }
        return Math.max(0, Math.round(delay));
    }

    /**
     * True when a chunk that has failed {@code failures} times, the first at
     * {@code firstFailureEpochMillis}, must not be retried any more ({@code retry_max_times},
     * {@code retry_timeout}; never under {@code retry_forever}).
     */
    public boolean isExhausted(int failures, long firstFailureEpochMillis, long nowEpochMillis) {
        if (settings.forever() || failures == 0) {
            return false;
        }
        if (settings.maxTimes() > 0 && failures > settings.maxTimes()) {
            return true;
        }
        return nowEpochMillis - firstFailureEpochMillis >= settings.timeout().toMillis();
    }

    /**
     * True when the next attempt should go to the {@code <secondary>}: {@code retry_secondary_threshold}
     * of {@code retry_timeout} (or of {@code retry_max_times}) has passed. Never under {@code retry_forever}.
     */
    public boolean shouldUseSecondary(int failures, long firstFailureEpochMillis, long nowEpochMillis) {
        if (settings.forever() || failures == 0) {
            return false;
        }
        double threshold = settings.secondaryThreshold();
        if (settings.maxTimes() > 0 && failures >= Math.ceil(settings.maxTimes() * threshold)) {
            return true;
        }
        return nowEpochMillis - firstFailureEpochMillis >= settings.timeout().toMillis() * threshold;
    }
}
