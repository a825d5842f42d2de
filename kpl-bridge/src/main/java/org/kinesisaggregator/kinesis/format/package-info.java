/**
 * The one event format of the application: buffered msgpack records to bytes for every output that
 * formats (file, stdout, the Kinesis types) and for {@code tail}: json, msgpack, single_value, ltsv,
 * hash, out_file, stdout, data_key; tag/time/hostname injection; Ruby strftime times (also file
 * paths); zlib/gzip. The value mapping (str, bin, invalid UTF-8, floats, ext types) is stated once,
 * on {@link org.kinesisaggregator.kinesis.format.EventFormatter}, and for users in
 * docs/configuration.md ("Event values"). Invariant: an output never maps values itself, so the same
 * {@link org.kinesisaggregator.kinesis.FormatSettings} gives the same bytes in every output. No AWS,
 * KPL or conf types here (msgpack-core and jackson-core only).
 *
 * <p><b>Invariants.</b> Formatting never changes the record it reads; an event that cannot be
 * formatted throws {@code EventFormatException} for that event alone (its neighbours are
 * formatted); a configuration the formatter cannot honour fails at construction, before any event.
 *
 * <p><b>Threads.</b> {@link org.kinesisaggregator.kinesis.format.EventFormatter} is immutable and
 * shared; its {@code Workspace}s (buffers, unpacker, generator, time caches) are confined to one
 * thread each (a Kinesis write's thread, a file or stdout output's worker thread).
 * {@link org.kinesisaggregator.kinesis.format.StrftimeFormatter} caches the last second: one per
 * thread too.
 */
package org.kinesisaggregator.kinesis.format;
