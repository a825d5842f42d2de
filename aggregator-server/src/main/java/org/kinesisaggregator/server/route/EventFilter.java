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
}
