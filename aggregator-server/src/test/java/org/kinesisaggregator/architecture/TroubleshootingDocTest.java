package org.kinesisaggregator.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.server.testing.ChildProcess;

/**
 * docs/troubleshooting.md explains every message the program logs at WARN or ERROR: a scan of every
 * module's {@code src/main/java} for {@code log.warn(} and {@code log.error(} calls. Each call's
 * message is its first string literal (or the literal a {@code String} variable of that name is set
 * to in the same file); its stable prefix, that literal's first source line with the {@code {}}
 * placeholders as they are, must appear verbatim in the doc. A message that is nothing but
 * placeholders (text made elsewhere, e.g. conf warnings) must have its class named in the doc as
 * {@code `ClassName`} instead.
 */
class TroubleshootingDocTest {
    private static final Pattern CALL = Pattern.compile("\\blog\\.(warn|error)\\(\\s*");
    private static final Pattern LITERAL = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** A WARN or ERROR call: where it is and its message's stable prefix. */
    record Call(String level, Path file, int line, String prefix) {
        @Override
        public String toString() {
            return level + " " + file + ":" + line + " \"" + prefix + "\"";
        }
    }

    @Test
    void everyWarnAndErrorMessageIsInTheTroubleshootingDoc() throws IOException {
        Path root = ChildProcess.projectRoot();
        String doc = Files.readString(root.resolve("docs/troubleshooting.md"), StandardCharsets.UTF_8);
        List<Call> calls = calls(root);
        assertThat(calls).as("log.warn/log.error calls found").hasSizeGreaterThan(50);
        List<String> undocumented = new ArrayList<>();
        for (Call c : calls) {
            boolean onlyPlaceholders =
                    c.prefix().replace("{}", "").replaceAll("[^A-Za-z]", "").isEmpty();
            String needed =
                    onlyPlaceholders ? "`" + c.file().getFileName().toString().replace(".java", "") + "`" : c.prefix();
            if (!doc.contains(needed)) {
                undocumented.add(c + (onlyPlaceholders ? " (needs " + needed + ")" : ""));
            }
        }
        assertThat(undocumented)
                .as("WARN/ERROR messages not in docs/troubleshooting.md (add each: what it means, what to do)")
                .isEmpty();
    }

    static List<Call> calls(Path root) throws IOException {
        List<Call> calls = new ArrayList<>();
        for (String module : List.of("aggregator-server", "buffer-store", "kpl-bridge")) {
            Path sources = root.resolve(module).resolve("src/main/java");
            List<Path> files;
            try (Stream<Path> s = Files.walk(sources)) {
                files = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
            }
            for (Path file : files) {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                Matcher m = CALL.matcher(text);
                while (m.find()) {
                    int lineStart = text.lastIndexOf('\n', m.start()) + 1;
                    String before = text.substring(lineStart, m.start()).strip();
                    if (before.startsWith("*") || before.startsWith("//")) {
                        continue; // a comment's example
                    }
                    int line = (int) text.substring(0, m.start())
                                    .chars()
                                    .filter(ch -> ch == '\n')
                                    .count()
                            + 1;
                    Path relative = root.relativize(file);
                    calls.add(new Call(
                            m.group(1).toUpperCase(Locale.ROOT),
                            relative,
                            line,
                            prefix(text, m.end(), relative, line)));
                }
            }
        }
        return calls;
    }

    private static String prefix(String text, int argumentStart, Path file, int line) {
        Matcher literal = LITERAL.matcher(text);
        if (literal.find(argumentStart) && literal.start() == argumentStart) {
            return literal.group(1).strip();
        }
        Matcher identifier = IDENTIFIER.matcher(text);
        if (identifier.find(argumentStart) && identifier.start() == argumentStart) {
            Matcher assignment = Pattern.compile(
                            "String\\s+" + identifier.group() + "\\s*=\\s*\"((?:[^\"\\\\]|\\\\.)*)\"")
                    .matcher(text);
            if (assignment.find()) {
                return assignment.group(1).strip();
            }
        }
        throw new AssertionError(file + ":" + line + ": the message of a log.warn/log.error call is neither a string"
                + " literal nor a String variable set to one in the file; give it a literal the doc can name");
    }
}
