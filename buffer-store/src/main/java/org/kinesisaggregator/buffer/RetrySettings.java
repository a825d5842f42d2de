package org.kinesisaggregator.buffer;

import java.time.Duration;
import java.util.Objects;

/**
 * Fluentd v1's {@code retry_*} parameters.
 *
 * @param type {@code retry_type}
 * @param initialWait {@code retry_wait}: first delay (exponential) or every delay (periodic)
 * @param exponentialBackoffBase {@code retry_exponential_backoff_base}, > 1
 * @param maxInterval {@code retry_max_interval}, null = no cap
 * @param randomize {@code retry_randomize}: jitter each delay
 * @param timeout {@code retry_timeout}: give up after this long since the first failure
 * @param maxTimes {@code retry_max_times}, 0 = no limit (then {@code timeout} rules)
 * @param forever {@code retry_forever}: never give up (timeout and maxTimes are ignored)
 * @param secondaryThreshold {@code retry_secondary_threshold}: share of {@code timeout} after which
 *     the {@code <secondary>} output is tried, in (0, 1]
 */
public record RetrySettings(
        RetryType type,
        Duration initialWait,
        double exponentialBackoffBase,
        Duration maxInterval,
        boolean randomize,
        Duration timeout,
        int maxTimes,
        boolean forever,
        double secondaryThreshold) {

    /** {@code retry_type}. */
    public enum RetryType {
        EXPONENTIAL_BACKOFF,
        PERIODIC
    }

    public RetrySettings {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(initialWait, "retry_wait");
        if (initialWait.isNegative() || initialWait.isZero()) {
            throw new IllegalArgumentException("retry_wait: " + initialWait + " (expected: > 0)");
        }
        if (!(exponentialBackoffBase > 1)) {
            throw new IllegalArgumentException(
                    "retry_exponential_backoff_base: " + exponentialBackoffBase + " (expected: > 1)");
        }
        if (maxInterval != null && (maxInterval.isNegative() || maxInterval.isZero())) {
            throw new IllegalArgumentException("retry_max_interval: " + maxInterval + " (expected: > 0)");
        }
        Objects.requireNonNull(timeout, "retry_timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("retry_timeout: " + timeout + " (expected: > 0)");
        }
        if (maxTimes < 0) {
            throw new IllegalArgumentException("retry_max_times: " + maxTimes + " (expected: >= 0)");
        }
        if (!(secondaryThreshold > 0 && secondaryThreshold <= 1)) {
            throw new IllegalArgumentException(
                    "retry_secondary_threshold: " + secondaryThreshold + " (expected: > 0 and <= 1)");
        }
    }

    /** Fluentd's defaults: exponential backoff from 1s, base 2, no cap, randomized, 72h timeout. */
    public static RetrySettings defaults() {
        return new RetrySettings(
                RetryType.EXPONENTIAL_BACKOFF,
                Duration.ofSeconds(1),
                2.0,
                null,
                true,
                Duration.ofHours(72),
                0,
                false,
                0.8);
    }
}
