package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kinesisaggregator.buffer.RetrySettings.RetryType;

/** RetryPolicy is a pure function: tables of attempts. */
class RetryPolicyTest {

    private static RetrySettings settings(
            RetryType type,
            long waitMillis,
            double base,
            Long maxMillis,
            boolean randomize,
            long timeoutMillis,
            int maxTimes,
            boolean forever) {
        return new RetrySettings(
                type,
                Duration.ofMillis(waitMillis),
                base,
                maxMillis == null ? null : Duration.ofMillis(maxMillis),
                randomize,
                Duration.ofMillis(timeoutMillis),
                maxTimes,
                forever,
                0.8);
    }

    @ParameterizedTest(name = "{0} wait={1} base={2} max={3} attempt={4} -> {5}")
    @CsvSource(
            nullValues = "-",
            value = {
                "EXPONENTIAL_BACKOFF, 1000, 2,   -,     1, 1000",
                "EXPONENTIAL_BACKOFF, 1000, 2,   -,     2, 2000",
                "EXPONENTIAL_BACKOFF, 1000, 2,   -,     3, 4000",
                "EXPONENTIAL_BACKOFF, 1000, 2,   -,    10, 512000",
                "EXPONENTIAL_BACKOFF, 1000, 2,   30000, 5, 16000",
                "EXPONENTIAL_BACKOFF, 1000, 2,   30000, 6, 30000",
                "EXPONENTIAL_BACKOFF, 1000, 2,   30000, 60, 30000",
                "EXPONENTIAL_BACKOFF,  500, 1.5, -,     3, 1125",
                "EXPONENTIAL_BACKOFF, 1000, 2,   -,  2000, 2305843009213693951",
                "PERIODIC,            1000, 2,   -,     1, 1000",
                "PERIODIC,            1000, 2,   -,     9, 1000",
            })
    void delayTable(RetryType type, long waitMillis, double base, Long maxMillis, int attempt, long expectedMillis) {
        RetryPolicy p = new RetryPolicy(settings(type, waitMillis, base, maxMillis, false, 3_600_000, 0, false));
        assertThat(p.delayMillis(attempt, new SplittableRandom(0))).isEqualTo(expectedMillis);
    }

    @Test
    void randomizeSpreadsTheDelayOverPlusMinusAnEighth() {
        long seed = 20261125L;
        System.out.println("RetryPolicyTest seed=" + seed);
        SplittableRandom random = new SplittableRandom(seed);
        RetryPolicy p =
                new RetryPolicy(settings(RetryType.EXPONENTIAL_BACKOFF, 1000, 2, null, true, 3_600_000, 0, false));
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 1000; i++) {
            long d = p.delayMillis(3, random);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertThat(min).isBetween(3500L, 3600L);
        assertThat(max).isBetween(4400L, 4500L);
        // same seed, same delays
        assertThat(p.delayMillis(2, new SplittableRandom(5))).isEqualTo(p.delayMillis(2, new SplittableRandom(5)));
    }

    @ParameterizedTest(name = "maxTimes={0} timeout={1} forever={2} failures={3} elapsed={4} -> {5}")
    @CsvSource({
        "0, 10000, false, 1,     0, false",
        "0, 10000, false, 5,  9999, false",
        "0, 10000, false, 5, 10000, true",
        "3, 10000, false, 3,     0, false",
        "3, 10000, false, 4,     0, true",
        "3, 10000, true,  99, 999999, false",
        "0, 10000, false, 0, 999999, false",
    })
    void exhaustionTable(
            int maxTimes, long timeoutMillis, boolean forever, int failures, long elapsedMillis, boolean exhausted) {
        RetryPolicy p = new RetryPolicy(
                settings(RetryType.EXPONENTIAL_BACKOFF, 1000, 2, null, false, timeoutMillis, maxTimes, forever));
        assertThat(p.isExhausted(failures, 1_000_000, 1_000_000 + elapsedMillis))
                .isEqualTo(exhausted);
    }

    @ParameterizedTest(name = "maxTimes={0} failures={1} elapsed={2} -> {3}")
    @CsvSource({
        "0,  1,    0, false",
        "0,  3, 7999, false",
        "0,  3, 8000, true",
        "5,  3,    0, false",
        "5,  4,    0, true",
    })
    void secondaryThresholdTable(int maxTimes, int failures, long elapsedMillis, boolean useSecondary) {
        RetryPolicy p =
                new RetryPolicy(settings(RetryType.EXPONENTIAL_BACKOFF, 1000, 2, null, false, 10_000, maxTimes, false));
        assertThat(p.shouldUseSecondary(failures, 1_000_000, 1_000_000 + elapsedMillis))
                .isEqualTo(useSecondary);
    }
}
