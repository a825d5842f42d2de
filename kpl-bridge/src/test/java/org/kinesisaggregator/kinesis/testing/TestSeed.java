package org.kinesisaggregator.kinesis.testing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seeds for randomized tests: fresh each run, printed, and replayable with {@code -Dtest.seed=N}.
 */
public final class TestSeed {
    private static final Logger log = LoggerFactory.getLogger(TestSeed.class);

    private TestSeed() {}

    /** A seed for {@code what}, logged at INFO so that a failing run can be replayed. */
    public static long create(String what) {
        String fixed = System.getProperty("test.seed");
        long seed = fixed != null ? Long.parseLong(fixed) : System.nanoTime();
        log.info("{}: seed {} (replay with -Dtest.seed={})", what, seed, seed);
        return seed;
    }
}
