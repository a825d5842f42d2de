/**
 * kpl-bridge: the Kinesis outputs. Implements buffer-store's {@code Output}: formats events,
 * packs them into KPL-format aggregated records in Java and ships them through the KPL daemon;
 * the read side de-aggregates and tails a stream.
 *
 * <p>Knows KPL, AWS SDK v2 (read side), protobuf; never Netty or conf syntax.
 */
package org.kinesisaggregator.kinesis;
