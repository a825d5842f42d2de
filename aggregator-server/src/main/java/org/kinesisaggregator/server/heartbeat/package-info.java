/**
 * UDP heartbeats on the forward port, answered as in_forward does (one {@code 0x00} byte back to
 * the sender). The handler is stateless and shared; it runs on a worker event loop.
 */
package org.kinesisaggregator.server.heartbeat;
