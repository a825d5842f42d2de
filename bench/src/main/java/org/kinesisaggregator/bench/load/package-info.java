/**
 * {@link org.kinesisaggregator.bench.load.ForwardLoad}: the forward-protocol load generator of the
 * benchmarks (PackedForward or one event per message, acks, a bounded number of messages in flight
 * per connection, optional gzip and pacing), reporting events/s and ack latency percentiles.
 *
 * <p><b>Invariants.</b> It sends to the address it is given (loopback in every scenario), for the
 * count or time it is given, and counts an event only when its message's ack came back.
 *
 * <p><b>Threads.</b> One sender and, with acks, one ack reader per connection, plus the driver that
 * starts them and collects their figures once they have stopped.
 */
package org.kinesisaggregator.bench.load;
