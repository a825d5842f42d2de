/**
 * Admin HTTP: {@code /health/live}, {@code /health/ready} (503 while draining or when an output
 * reports a problem, for the NLB), Prometheus {@code /metrics} and monitor_agent-compatible
 * {@code /api/plugins.json}.
 *
 * <p><b>Invariants.</b> Read-only: no endpoint changes what the node does. Readiness turns 503 when
 * a drain begins, before {@code drain_delay} and before any input stops, so a load balancer stops
 * sending first.
 *
 * <p><b>Threads.</b> {@link org.kinesisaggregator.admin.AdminServer} runs one event loop of its own; its
 * handlers only read thread-safe suppliers ({@link org.kinesisaggregator.admin.Readiness},
 * plugin listings, the meter registry).
 */
package org.kinesisaggregator.admin;
