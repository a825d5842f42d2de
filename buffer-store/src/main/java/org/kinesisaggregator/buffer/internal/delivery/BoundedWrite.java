package org.kinesisaggregator.buffer.internal.delivery;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;

/**
 * One {@link Output#write} call, bounded by {@code delayed_commit_timeout}: whatever goes wrong
 * (no result, a timeout, an exception) comes back as a failed {@link WriteResult}, so a chunk is
 * retried, never dropped; {@code null} means the calling thread was interrupted (the buffer is
 * closing) and nothing may be recorded.
 *
 * <p>Stateless; thread-safe. Called by the flush threads.
 */
public final class BoundedWrite {
    private final Duration delayedCommitTimeout;

    public BoundedWrite(Duration delayedCommitTimeout) {
        this.delayedCommitTimeout = delayedCommitTimeout;
    }

    /** Calls {@code target.write}, bounded by delayed_commit_timeout; null when interrupted. */
    WriteResult call(Output target, Chunk view) {
        CompletableFuture<WriteResult> future = null;
        try {
            future = target.write(view);
            WriteResult r = future.get(delayedCommitTimeout.toMillis(), TimeUnit.MILLISECONDS);
            return r == null ? WriteResult.failed("output " + target.type() + " returned no result") : r;
        } catch (TimeoutException e) {
            future.cancel(false);
            return WriteResult.failed("write to " + target.type() + " did not complete within delayed_commit_timeout "
                    + delayedCommitTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            return WriteResult.failed(String.valueOf(e.getCause()));
        } catch (RuntimeException e) {
            return WriteResult.failed(e.toString());
        }
    }
}
