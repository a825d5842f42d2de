package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Map;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfEnvironment;
import org.kinesisaggregator.conf.ConfParser;

/** Writes a conf into a directory, parses it like the CLI does, and assembles it. */
final class TestConfs {
    final Path dir;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();

    TestConfs(Path dir) {
        this.dir = dir;
    }

    Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text.replace("${dir}", dir.toString()));
        return file;
    }

    ConfElement parse(String text) throws IOException {
        return new ConfParser(new ConfEnvironment(Map.<String, String>of()::get, () -> "test-host"))
                .parse(write("test.conf", text));
    }

    Aggregator.Environment env() {
        return new Aggregator.Environment(registry, Clock.systemUTC(), ZoneOffset.UTC, "test-host", stdout);
    }

    Aggregator assemble(String text) throws IOException {
        return assemble(text, Plugins.defaults(), false);
    }

    Aggregator assemble(String text, Plugins plugins, boolean strict) throws IOException {
        return Aggregator.assemble(parse(text), plugins, env(), strict);
    }

    String conf() {
        return dir.resolve("test.conf").toString();
    }
}
