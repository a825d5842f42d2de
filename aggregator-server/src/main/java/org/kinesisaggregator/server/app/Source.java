package org.kinesisaggregator.server.app;

import java.util.List;
import org.kinesisaggregator.admin.ComponentMeters;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.Input;

/**
 * A running {@code <source>} a reload may keep ({@code forward}, {@code sample}, {@code http}): its
 * identity ({@code key}: the label it feeds, the section's text, the mapped settings), the input, the
 * switchable sink it was built with, and the counting sink in front of this conf's router that
 * {@link Aggregator#start()} points it at. Immutable.
 */
record Source(
        List<Object> key, String name, Input input, SwitchableSink sink, EventSink target, ComponentMeters meters) {
    /** What a reload keeping it logs after "kept": its open connections, for a forward source. */
    String keptDetail() {
        return input instanceof ForwardServer forward ? " (" + forward.activeConnections() + " connections)" : "";
    }
}
