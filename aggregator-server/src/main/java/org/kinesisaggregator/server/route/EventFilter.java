package org.kinesisaggregator.server.route;

import org.msgpack.value.MapValue;

/**
 * A {@code <filter>}: looks at one event and keeps it, changes its record or drops it.
 *
 * <p>Implementations are immutable after construction and thread-safe: event loops call them
 * concurrently.
 */
public interface EventFilter {

    /** The {@code @type}, for logs. */
    String type();

    /**
     * Filters one event.
     *
     * @return the record to pass on — the same instance when unchanged (then the original bytes are
     *     kept, nothing is re-encoded) — or null to drop the event
     * @throws RuntimeException when the event cannot be filtered; the router sends it to the
     *     {@code @ERROR} label (or drops it with a warning)
     */
    MapValue filter(String tag, long epochSecond, int nanos, MapValue record);

    /**
     * Filters one event, with what {@link #filter} cannot say: a new time, and an error event sent to
     * {@code @ERROR} besides (Fluentd's {@code router.emit_error_event}, which does not stop the
     * event). The default calls {@link #filter} and keeps the time.
     *
     * @throws RuntimeException as {@link #filter} does
     */
    default Filtered filterEvent(String tag, long epochSecond, int nanos, MapValue record) {
        MapValue r = filter(tag, epochSecond, nanos, record);
        return new Filtered(r, epochSecond, nanos, null);
    }

    /**
     * What {@link #filterEvent} gives.
     *
     * @param record the record to pass on (the same instance when unchanged), or null to drop the event
     * @param epochSecond the event's time to pass on
     * @param nanos its nanoseconds
     * @param error when not null, the event as the filter got it also goes to {@code @ERROR} (or is
     *     dropped with a warning) for this reason
     */
    record Filtered(MapValue record, long epochSecond, int nanos, RuntimeException error) {}
}
