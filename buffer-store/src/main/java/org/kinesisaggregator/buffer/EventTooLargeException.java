package org.kinesisaggregator.buffer;

/** One event is larger than {@code chunk_limit_size}: it can never be stored. */
public class EventTooLargeException extends BufferException {
    private static final long serialVersionUID = 1L;

    private final long eventBytes;
    private final long limitBytes;

    public EventTooLargeException(String tag, long eventBytes, long limitBytes) {
        super("event of tag " + tag + " is " + eventBytes + " bytes, larger than chunk_limit_size " + limitBytes
                + " bytes; raise chunk_limit_size or split the record at the source");
        this.eventBytes = eventBytes;
        this.limitBytes = limitBytes;
    }

    public long eventBytes() {
        return eventBytes;
    }

    public long limitBytes() {
        return limitBytes;
    }
}
