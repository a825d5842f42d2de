package org.kinesisaggregator.e2e;

import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the kill -9 ITs share around their {@link AggregatorProcess} rounds: the seed of the random
 * moments (from {@code -Dcrash.seed}, else the clock, printed with the line to rerun it) and the
 * threads the forwarders send on (not the common pool: it has one thread on two cores), stopped after
 * each test. Register it with {@code @RegisterExtension final CrashRounds rounds = new CrashRounds();}.
 *
 * <p>Not thread-safe; one per test instance ({@link #async} may be called from the test thread only).
 */
final class CrashRounds implements AfterEachCallback {
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private long seed;

    /**
     * A random source seeded from {@code -Dcrash.seed}, else the clock; prints the seed as
     * {@code NAME seed=S (rerun with -Dcrash.seed=S)}.
     */
    Random seeded(String name) {
        seed = Long.getLong("crash.seed", System.nanoTime());
        System.out.println(name + " seed=" + seed + " (rerun with -Dcrash.seed=" + seed + ")");
        return new Random(seed);
    }

    /** The seed {@link #seeded} chose. */
    long seed() {
        return seed;
    }

    /** {@code work} on a thread of its own. */
    <T> CompletableFuture<T> async(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, threads);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        threads.shutdownNow();
    }
}
