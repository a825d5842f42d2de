package org.kinesisaggregator.buffer;

/**
 * The buffer is full ({@code total_limit_size}, {@code queue_limit_length}) and
 * {@code overflow_action} is {@code throw_exception}: the append is refused, nothing of it is
 * stored, the forwarder gets no ack and retries.
 */
public class BufferOverflowException extends BufferException {
    private static final long serialVersionUID = 1L;

    public BufferOverflowException(String message) {
        super(message);
    }
}
