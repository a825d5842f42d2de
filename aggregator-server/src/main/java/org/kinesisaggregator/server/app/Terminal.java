package org.kinesisaggregator.server.app;

import java.util.List;
import org.kinesisaggregator.admin.ComponentMeters;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.Output;

/**
 * A running output a reload may keep: its {@code <match>} (or {@code <store>}) section's identity
 * ({@code key}: the label, the output id, the section's text, the mapped buffer settings), the
 * output, its secondary (or null), its buffer (or null when unbuffered) and the sink routes hand
 * events to (the buffer, or the synchronous sink). Immutable.
 */
record Terminal(
        List<Object> key,
        String outputId,
        Output output,
        Output secondary,
        EventBuffer buffer,
        EventSink sink,
        ComponentMeters meters) {
    String describe() {
        return "output " + output.type() + " [id " + outputId + "]";
    }
}
