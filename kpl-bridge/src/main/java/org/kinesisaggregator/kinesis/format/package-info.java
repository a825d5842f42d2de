/**
 * Event formatting: buffered msgpack records to user record bytes (json, msgpack, single_value,
 * data_key; tag/time/hostname injection; Ruby strftime times; zlib/gzip). JSON is transcoded from
 * msgpack with Jackson's streaming generator, no object tree. The value mapping (bin, invalid UTF-8,
 * floats, ext types) is documented on {@link org.kinesisaggregator.kinesis.format.EventFormatter}.
 *
 * <p><b>Invariants.</b> Formatting never changes the record it reads; an event that cannot be
 * formatted throws {@code EventFormatException} for that event alone (its neighbours are
 * formatted); a configuration the formatter cannot honour fails at construction, before any event.
 *
 * <p><b>Threads.</b> {@link org.kinesisaggregator.kinesis.format.EventFormatter} is immutable and
 * shared; its {@code Workspace}s (buffers, unpacker, generator, time cache) are confined to one
 * thread each.
 */
package org.kinesisaggregator.kinesis.format;
