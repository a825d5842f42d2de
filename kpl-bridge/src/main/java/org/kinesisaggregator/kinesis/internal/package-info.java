/**
 * Not API: helpers of the Kinesis output (stream name templates, shard maps and hash keys, the
 * in-flight window, AWS SDK client construction, metrics). Thread-safety is stated per class.
 */
package org.kinesisaggregator.kinesis.internal;
