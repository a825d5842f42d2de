package org.kinesisaggregator.conf;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Coverage-guided fuzzing of {@link ConfParser} on fuzzed text in real files: the input is split
 * at NUL bytes into up to three files, {@code fluent.conf}, {@code a.conf} and {@code b.conf}, in a
 * fresh directory, so that {@code @include} (cycles, globs, nesting) is reachable; the first is
 * parsed. Each file is at most 4 KiB (libFuzzer's default input length bounds the whole input).
 * The parser returns a tree or throws {@link ConfException} whose message starts with the
 * {@code file:line} of its location; nothing else escapes, and it terminates (an input that runs
 * longer than libFuzzer's per-input timeout is a finding). Corpus: {@code ConfParserFuzzTestInputs/conf/}.
 */
class ConfParserFuzzTest {
    private static final int MAX_FILE_BYTES = 4096;
    private static final String[] FILES = {"fluent.conf", "a.conf", "b.conf"};

    private final ConfEnvironment env = new ConfEnvironment(Map.of("REGION", "ap-northeast-1")::get, () -> "fuzz-host");

    @FuzzTest(maxDuration = "30s")
    @DictionaryEntries({
        "<source>",
        "</source>",
        "<match **>",
        "</match>",
        "<label @X>",
        "<buffer>",
        "@type",
        "@include",
        "@include a.conf",
        "@include *.conf",
        "include b.conf",
        "@id",
        "@label",
        "#{ENV['REGION']}",
        "#{Socket.gethostname}",
        "'",
        "[",
        "]",
        "{",
        "}",
        "#",
        "<system>",
        "</system>",
        "64m",
        "1h"
    })
    void conf(byte[] input) throws IOException {
        Path dir = Files.createTempDirectory("conf-fuzz");
        try {
            List<byte[]> parts = split(input);
            for (int i = 0; i < parts.size(); i++) {
                Files.write(dir.resolve(FILES[i]), parts.get(i));
            }
            ConfParser parser = new ConfParser(env);
            try {
                ConfElement root = parser.parse(dir.resolve(FILES[0]));
                assertThat(root).isNotNull();
            } catch (ConfErrors many) {
                assertThat(many.errors()).hasSizeGreaterThan(1);
                for (ConfException e : many.errors()) {
                    if (e.location() == null) {
                        assertThat(e.getMessage()).startsWith("more than " + ConfParser.MAX_SYNTAX_ERRORS);
                    } else {
                        assertNamesFileAndLine(e);
                    }
                }
            } catch (ConfException e) {
                assertNamesFileAndLine(e);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private static void assertNamesFileAndLine(ConfException e) {
        assertThat(e.location()).as("location of: %s", e.getMessage()).isNotNull();
        assertThat(e.getMessage()).startsWith(e.location() + ": ");
        assertThat(e.location().file()).isNotEmpty();
    }

    private static List<byte[]> split(byte[] input) {
        List<byte[]> parts = new ArrayList<>(FILES.length);
        int from = 0;
        for (int i = 0; i <= input.length && parts.size() < FILES.length; i++) {
            boolean last = parts.size() == FILES.length - 1;
            if (i == input.length || input[i] == 0 && !last) {
                int to = Math.min(i, from + MAX_FILE_BYTES);
                byte[] part = new byte[to - from];
                System.arraycopy(input, from, part, 0, part.length);
                parts.add(part);
                from = i + 1;
            }
        }
        return parts;
    }
}
