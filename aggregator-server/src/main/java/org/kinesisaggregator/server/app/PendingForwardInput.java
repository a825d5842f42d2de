package org.kinesisaggregator.server.app;

import java.time.Duration;
import org.kinesisaggregator.server.ForwardSettings;
import org.kinesisaggregator.server.Input;

/**
 * PROVISIONAL stand-in for the forward server until it is merged: it maps and validates like the
 * real one (so {@code --dry-run} works) but refuses to start. The lead replaces
 * {@link #FACTORY} with {@code ForwardServer::new} in {@link Plugins#defaults()}.
 *
 * <p>Thread-safe (stateless apart from its settings).
 */
public final class PendingForwardInput implements Input {
  /** The stand-in factory. */
  public static final InputFactory FACTORY = (settings, sink, registry) -> new PendingForwardInput(settings);

  private final ForwardSettings settings;

  private PendingForwardInput(ForwardSettings settings) {
    this.settings = settings;
  }

  @Override
  public String type() {
    return "forward";
  }

  @Override
  public void start() {
    throw new IllegalStateException("forward input on " + settings.bind() + ":" + settings.port()
        + ": the forward-protocol server is not in this build yet (it lands with the forward-server branch)");
  }

  @Override
  public void drain(Duration timeout) {
    // never started
  }

  @Override
  public void close() {
    // never started
  }
}
