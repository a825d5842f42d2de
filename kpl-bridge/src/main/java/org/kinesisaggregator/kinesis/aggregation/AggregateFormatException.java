package org.kinesisaggregator.kinesis.aggregation;

/**
 * An aggregated record that cannot be read: a digest mismatch, a truncated or malformed protobuf
 * message, a key index outside its table. Messages follow {@code "<field>: <actual> (expected: <rule>)"}.
 */
public final class AggregateFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public AggregateFormatException(String message) {
        super(message);
    }

    public AggregateFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
