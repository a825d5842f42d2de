package org.kinesisaggregator.admin;

import java.util.List;

/**
 * Whether this node should receive traffic (the NLB's health check on {@code /health/ready}).
 * Implementations are thread-safe and cheap: called on every health check.
 */
@FunctionalInterface
public interface Readiness {

    /** Why the node is not ready (e.g. "draining", "stream S not found in region R"); empty when ready. */
    List<String> problems();
}
