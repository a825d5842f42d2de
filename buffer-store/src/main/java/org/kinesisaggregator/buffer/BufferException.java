package org.kinesisaggregator.buffer;

/** Base of the buffer's refusals. The message says what, where and what to do. */
public class BufferException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BufferException(String message) {
        super(message);
    }

    public BufferException(String message, Throwable cause) {
        super(message, cause);
    }
}
