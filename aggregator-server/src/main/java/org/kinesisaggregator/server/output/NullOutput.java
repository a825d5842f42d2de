package org.kinesisaggregator.server.output;

import java.util.concurrent.CompletableFuture;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;

/** {@code @type null}: every event is delivered nowhere, at once. Stateless; thread-safe. */
public final class NullOutput implements Output {
    private static final CompletableFuture<WriteResult> DONE =
            CompletableFuture.completedFuture(WriteResult.allDelivered());

    @Override
    public String type() {
        return "null";
    }

    @Override
    public CompletableFuture<WriteResult> write(Chunk chunk) {
        return DONE;
    }
}
