package org.kinesisaggregator.kinesis.format;

/**
 * An event that cannot be formatted (a {@code data_key} field it lacks, a record that is not a
 * msgpack map, nesting beyond the limit). The event is rejected with {@link #getMessage()} as the
 * reason: it would fail the same way on every retry.
 */
public final class EventFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public EventFormatException(String message) {
        super(message);
    }

    public EventFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
