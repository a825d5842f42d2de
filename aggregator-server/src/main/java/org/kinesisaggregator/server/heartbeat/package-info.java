/**
 * UDP heartbeats on the forward port, answered as in_forward does (one {@code 0x00} byte back to
 * the sender). The handler is stateless and shared; it runs on a worker event loop.
 *
 * <p><b>Invariants.</b> A heartbeat carries no events: nothing here touches a buffer or a route.
 * The answer goes only to the datagram's sender, one byte per datagram received, so the port can
 * reflect no more than it receives.
 *
 * <p><b>Threads.</b> The handler is {@code @Sharable} and stateless; it runs on the UDP channel's
 * event loop and never blocks.
 */
package org.kinesisaggregator.server.heartbeat;
