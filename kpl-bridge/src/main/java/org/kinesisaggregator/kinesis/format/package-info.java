/**
 * Event formatting: buffered msgpack records to user record bytes (json, msgpack, single_value,
 * data_key; tag/time/hostname injection; Ruby strftime times; zlib/gzip). JSON is transcoded from
 * msgpack with Jackson's streaming generator, no object tree. The value mapping (bin, invalid UTF-8,
 * floats, ext types) is documented on {@link org.kinesisaggregator.kinesis.format.EventFormatter}.
 *
 * <p>{@link org.kinesisaggregator.kinesis.format.EventFormatter} is immutable and shared; its
 * {@code Workspace}s (buffers, unpacker, generator, time cache) are confined to one thread each.
 */
package org.kinesisaggregator.kinesis.format;
