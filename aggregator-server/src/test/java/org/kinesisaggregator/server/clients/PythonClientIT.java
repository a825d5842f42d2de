package org.kinesisaggregator.server.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.testing.ChildProcess;
import org.kinesisaggregator.server.testing.CollectingSink;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.ForwardServerFixture;
import org.kinesisaggregator.server.testing.Json;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Settings;

/** Debian's python3-fluent-logger run with /usr/bin/python3: Message mode, EventTime and integer times. */
@ExtendWith(LeakCheck.class)
class PythonClientIT {
    @TempDir
    Path dir;

    @RegisterExtension
    final ForwardServerFixture fx = new ForwardServerFixture();

    private final CollectingSink sink = fx.sink;
    private ForwardServer server;

    private ChildProcess.Result runPython(boolean nanos, List<Map<String, Object>> events) throws Exception {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("host", "127.0.0.1");
        config.put("port", server.localAddress().getPort());
        config.put("tagPrefix", "py");
        config.put("nanosecondPrecision", nanos);
        config.put("events", events);
        Path file = dir.resolve("py-config.json");
        Files.writeString(file, Json.of(config));
        Path script = dir.resolve("python_forward_client.py");
        try (var in = PythonClientIT.class.getResourceAsStream("/clients/python_forward_client.py")) {
            Files.write(script, in.readAllBytes());
        }
        return ChildProcess.run(List.of("/usr/bin/python3", script.toString(), file.toString()), 60);
    }

    @Test
    void eventTimeWithNanosecondsAndIntegerTimes() throws Exception {
        server = fx.start(Settings.local());
        List<Map<String, Object>> precise = new ArrayList<>();
        List<Map<String, Object>> seconds = new ArrayList<>();
        List<Event> expected = new ArrayList<>();
        double[] fractions = {0.0, 0.25, 0.5, 0.75, 0.125};
        for (int i = 0; i < 10; i++) {
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("i", (long) i);
            record.put("text", "python " + i);
            record.put("values", List.of(1L, 2.5d, "x"));
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("label", "nanos");
            event.put("record", record);
            event.put("time", 1_700_000_000L + i + fractions[i % fractions.length]);
            precise.add(event);
            expected.add(Event.of(
                    "py.nanos", 1_700_000_000L + i, (int) Math.round(fractions[i % fractions.length] * 1e9), record));
        }
        for (int i = 0; i < 5; i++) {
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("j", (long) i);
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("label", "seconds");
            event.put("record", record);
            event.put("time", 1_600_000_000L + i);
            seconds.add(event);
            expected.add(Event.of("py.seconds", 1_600_000_000L + i, 0, record));
        }
        ChildProcess.Result a = runPython(true, precise);
        assertThat(a.exitCode()).as(a.stdout() + a.stderr()).isZero();
        ChildProcess.Result b = runPython(false, seconds);
        assertThat(b.exitCode()).as(b.stdout() + b.stderr()).isZero();
        await().atMost(20, TimeUnit.SECONDS).until(() -> sink.events().size() == 15);
        assertThat(sink.events()).isEqualTo(expected);
    }
}
