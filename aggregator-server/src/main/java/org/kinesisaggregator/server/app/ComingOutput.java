package org.kinesisaggregator.server.app;

import java.util.concurrent.CompletableFuture;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;

/**
 * Stands for an output type that is known but not in this build (the Kinesis types until kpl-bridge
 * is merged), so that {@code --dry-run} can map and check everything around it. The application
 * refuses to start while one is configured; it never receives events. Stateless; thread-safe.
 */
final class ComingOutput implements Output {
  private final String type;

  ComingOutput(String type) {
    this.type = type;
  }

  @Override
  public String type() {
    return type;
  }

  @Override
  public CompletableFuture<WriteResult> write(Chunk chunk) {
    return CompletableFuture.completedFuture(WriteResult.failed("output type " + type + " is not in this build yet"));
  }
}
