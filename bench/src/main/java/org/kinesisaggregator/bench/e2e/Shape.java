package org.kinesisaggregator.bench.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.kinesisaggregator.bench.load.ForwardLoad;
import picocli.CommandLine;

/**
 * A load shape for {@link ForwardLoad}: connections, events per message (1 = one event per
 * message, as fluent-logger clients send), event size, messages in flight per connection, gzip.
 * Always with acks ({@code require_ack_response}).
 */
public record Shape(int connections, int batch, int eventBytes, int window, boolean gzip) {

    /** A ForwardLoad sending {@code events} (paced to {@code rate} events/s when > 0) to {@code port}. */
    public ForwardLoad load(int port, long events, long rate) {
        List<String> args = new ArrayList<>(List.of(
                "--port",
                String.valueOf(port),
                "--connections",
                String.valueOf(connections),
                "--events",
                String.valueOf(events),
                "--batch",
                String.valueOf(batch),
                "--event-bytes",
                String.valueOf(eventBytes),
                "--ack",
                "--window",
                String.valueOf(window),
                "--tag",
                "app.bench",
                "--rate",
                String.valueOf(rate),
                "--ack-timeout-seconds",
                "30",
                "--timeout-seconds",
                "900"));
        if (gzip) {
            args.add("--gzip");
        }
        ForwardLoad load = new ForwardLoad();
        new CommandLine(load).parseArgs(args.toArray(String[]::new));
        return load;
    }

    /** The shape as a table's first column: "4 conn × 1000 ev × 200 B, window 1" (", gzip" when so). */
    public String tableLabel() {
        return String.format(
                Locale.ROOT,
                "%d conn × %d ev × %d B, window %d%s",
                connections,
                batch,
                eventBytes,
                window,
                gzip ? ", gzip" : "");
    }

    @Override
    public String toString() {
        return String.format(
                "connections=%d batch=%d event_bytes=%d window=%d gzip=%s",
                connections, batch, eventBytes, window, gzip);
    }
}
