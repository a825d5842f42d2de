package org.kinesisaggregator.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfParserTest {
    @TempDir
    Path dir;

    private final ConfEnvironment env =
            new ConfEnvironment(Map.of("REGION", "ap-northeast-1", "STREAM", "logs")::get, () -> "agg-host-1");

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    private ConfElement parse(String text) throws IOException {
        return new ConfParser(env).parse(write("test.conf", text));
    }

    private String file() {
        return dir.resolve("test.conf").toString();
    }

    @Test
    void directivesNestedSectionsAndLocations() throws IOException {
        ConfElement root = parse("""
        # a comment line
        <source>
          @type forward
          port 24224
        </source>

        <match kinesis.** other.*>
          type kinesis_producer   # legacy name, trailing comment
          <buffer tag>
            @type file
            path /var/buffer
          </buffer>
          <secondary>
            @type file
          </secondary>
        </match>
        """);
        assertThat(root.elements()).extracting(ConfElement::name).containsExactly("source", "match");
        ConfElement source = root.elements().get(0);
        assertThat(source.location()).isEqualTo(new ConfLocation(file(), 2));
        assertThat(source.param("port").location()).isEqualTo(new ConfLocation(file(), 4));
        ConfElement match = root.elements().get(1);
        assertThat(match.arg()).isEqualTo("kinesis.** other.*");
        assertThat(match.type()).isEqualTo("kinesis_producer");
        ConfElement buffer = match.element("buffer");
        assertThat(buffer.arg()).isEqualTo("tag");
        assertThat(buffer.location().line()).isEqualTo(9);
        assertThat(buffer.string("path", null)).isEqualTo("/var/buffer");
        assertThat(match.element("secondary").type()).isEqualTo("file");
    }

    @Test
    void plainValuesKeepHashesWithoutSpaceAndDropTrailingSpaces() throws IOException {
        ConfElement e = parse("""
        <match a>
          path /tmp/a#b
          spaced  several words here   \t
          comment value # not part of it
          flag
          flag2 # only a comment
        </match>
        """).elements().get(0);
        assertThat(e.string("path", null)).isEqualTo("/tmp/a#b");
        assertThat(e.string("spaced", null)).isEqualTo("several words here");
        assertThat(e.string("comment", null)).isEqualTo("value");
        assertThat(e.string("flag", null)).isEmpty();
        assertThat(e.bool("flag", false)).isTrue();
        assertThat(e.string("flag2", null)).isEmpty();
    }

    @Test
    void doubleQuotedStringsWithEscapesEnvAndHostname() throws IOException {
        ConfElement e = parse("""
        <match a>
          esc "tab\\there \\"q\\" \\\\ back \\n nl \\# hash \\' single"
          region "#{ENV['REGION']}"
          stream "prefix-#{ENV["STREAM"]}-suffix"
          host "#{Socket.gethostname}"
          host2 "#{hostname}"
          cont "one \\
        two"
          literal_plain #{ENV['REGION']}
        </match>
        """).elements().get(0);
        assertThat(e.string("esc", null)).isEqualTo("tab\there \"q\" \\ back \n nl # hash ' single");
        assertThat(e.string("region", null)).isEqualTo("ap-northeast-1");
        assertThat(e.string("stream", null)).isEqualTo("prefix-logs-suffix");
        assertThat(e.string("host", null)).isEqualTo("agg-host-1");
        assertThat(e.string("host2", null)).isEqualTo("agg-host-1");
        assertThat(e.string("cont", null)).isEqualTo("one two");
        assertThat(e.string("literal_plain", null)).isEqualTo("#{ENV['REGION']}");
    }

    @Test
    void singleQuotedKeepsBackslashesAndEmbeddedCode() throws IOException {
        ConfElement e = parse("""
        <match a>
          pattern '^\\d+ #{x} it\\'s \\\\'
        </match>
        """).elements().get(0);
        assertThat(e.string("pattern", null)).isEqualTo("^\\d+ #{x} it's \\");
    }

    @Test
    void unsetEnvironmentVariableWarnsAndGivesEmpty() throws IOException {
        ConfParser parser = new ConfParser(env);
        ConfElement root = parser.parse(write("test.conf", "<system>\n  root_dir \"#{ENV['NOPE']}\"\n</system>\n"));
        assertThat(root.elements().get(0).string("root_dir", null)).isEmpty();
        assertThat(parser.warnings())
                .containsExactly(file() + ":2: root_dir: environment variable NOPE is not set; using an empty string");
    }

    @Test
    void otherEmbeddedCodeIsAnErrorNamingFileAndLine() throws IOException {
        assertThatThrownBy(() -> parse("<match a>\n  x 1\n  cmd \"#{`rm -rf /`}\"\n</match>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessage(file() + ":3: cmd: unsupported embedded code #{`rm -rf /`}"
                        + " (expected: ENV['NAME'], ENV[\"NAME\"] or Socket.gethostname)");
    }

    @Test
    void multiLineArraysAndHashesWithComments() throws IOException {
        ConfElement e = parse("""
        <match a>
          keys [
            "a",   # first
            "b#not-a-comment",
            "#{ENV['REGION']}"
          ]
          map {
            "k": "v",
            "n": 1,   # a number
            "nested": {"x": [1, 2]}
          }
          after yes
        </match>
        """).elements().get(0);
        assertThat(e.array("keys", null)).containsExactly("a", "b#not-a-comment", "ap-northeast-1");
        assertThat(e.string("keys", null)).isEqualTo("[\"a\",\"b#not-a-comment\",\"ap-northeast-1\"]");
        assertThat(e.hash("map", null))
                .containsExactly(Map.entry("k", "v"), Map.entry("n", "1"), Map.entry("nested", "{\"x\":[1,2]}"));
        assertThat(e.bool("after", false)).isTrue();
        assertThat(e.param("after").location().line()).isEqualTo(12);
    }

    @Test
    void commaSeparatedArraysAndHashes() throws IOException {
        ConfElement e = parse("<match a>\n  keys a, b ,c\n  map k1:v1, k2:v2\n</match>\n")
                .elements()
                .get(0);
        assertThat(e.array("keys", null)).containsExactly("a", "b", "c");
        assertThat(e.hash("map", null)).containsExactly(Map.entry("k1", "v1"), Map.entry("k2", "v2"));
    }

    @Test
    void incompleteJsonIsAnError() throws IOException {
        assertThatThrownBy(() -> parse("<match a>\n  keys [\"a\",\n    \"b\"\n</match>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageStartingWith(file() + ":")
                .hasMessageContaining("keys: invalid JSON array");
    }

    @Test
    void includeRelativeToTheIncludingFileWithGlobsSorted() throws IOException {
        write("conf.d/20-b.conf", "<match b>\n  @type null\n</match>\n");
        write("conf.d/10-a.conf", "<match a>\n  @type null\n</match>\n");
        write("conf.d/skip.txt", "<match never>\n</match>\n");
        write("parts/buffer.conf", "flush_interval 5s\n");
        Path main = write("main.conf", """
        @include conf.d/*.conf
        <match c>
          @type stdout
          @include parts/buffer.conf
        </match>
        """);
        ConfParser parser = new ConfParser(env);
        ConfElement root = parser.parse(main);
        assertThat(root.elements()).extracting(ConfElement::arg).containsExactly("a", "b", "c");
        assertThat(root.elements().get(0).location())
                .isEqualTo(new ConfLocation(dir.resolve("conf.d/10-a.conf").toString(), 1));
        ConfParam flush = root.elements().get(2).param("flush_interval");
        assertThat(flush.location())
                .isEqualTo(new ConfLocation(dir.resolve("parts/buffer.conf").toString(), 1));
        assertThat(parser.warnings()).isEmpty();
    }

    @Test
    void includeErrors() throws IOException {
        assertThatThrownBy(() -> parse("@include http://example.invalid/x.conf\n"))
                .hasMessage(file() + ":1: @include http://example.invalid/x.conf: only local files can be included"
                        + " (expected: a path or a glob, not a URL)");
        assertThatThrownBy(() -> parse("\n@include missing.conf\n"))
                .hasMessageStartingWith(file() + ":2: @include missing.conf: no such file");
        write("loop.conf", "@include test.conf\n");
        assertThatThrownBy(() -> parse("@include loop.conf\n")).hasMessageContaining("@include cycle");
    }

    @Test
    void emptyGlobWarns() throws IOException {
        ConfParser parser = new ConfParser(env);
        parser.parse(write("test.conf", "@include none/*.conf\n"));
        assertThat(parser.warnings()).containsExactly(file() + ":1: @include none/*.conf matched no file");
    }

    @Test
    void syntaxErrorsAreAllReportedInFileOrderAfterRecovering() {
        assertThatThrownBy(() -> parse("""
                <source>
                  @type forward
                  @bad 1
                  tag "a" b
                </source>
                <match a.**
                  @type null
                </match>
                <match b.**>
                  @type file
                  <buffer>
                    path /x
                </match>
                <match c.**> extra
                  @type null
                </match>
                </label>
                <filter **>
                  @type stdout
                  x 'unclosed
                </filter>
                """))
                .isInstanceOf(ConfErrors.class)
                .hasMessage("7 errors, in file order:"
                        + "\n  " + file() + ":3: '@' is the system reserved prefix. Don't use '@' prefix parameter in"
                        + " the configuration: @bad (expected: one of @type, @id, @label, @log_level, @include)"
                        + "\n  " + file() + ":4: expected end of line after the value of tag (got \"b\")"
                        + "\n  " + file() + ":6: expected '>' to close <match a.**"
                        + "\n  " + file() + ":13: unmatched end tag </match> (expected: </buffer> for <buffer> at "
                        + file() + ":11)"
                        + "\n  " + file() + ":14: expected end of line after tag <match> (got \"extra\")"
                        + "\n  " + file() + ":17: end tag </label> without a start tag"
                        + "\n  " + file()
                        + ":20: unexpected end of line in a single quoted string (expected: a closing ')");
    }

    @Test
    void structuralErrorsNameFileAndLine() {
        assertThatThrownBy(() -> parse("<match a>\n  @type null\n"))
                .hasMessage(file() + ":1: expected end tag '</match>' for <match a> but got end of file " + file());
        // </match> closes the <match> the <buffer> is in: the unclosed <buffer> is the error, then the stray end tag
        assertThatThrownBy(() -> parse("<match a>\n  <buffer>\n  </match>\n</match>\n"))
                .hasMessage("2 errors, in file order:\n  " + file()
                        + ":3: unmatched end tag </match> (expected: </buffer> for <buffer> at " + file() + ":2)\n  "
                        + file() + ":4: end tag </match> without a start tag");
        assertThatThrownBy(() -> parse("</match>\n")).hasMessage(file() + ":1: end tag </match> without a start tag");
        assertThatThrownBy(() -> parse("<match a\n</match>\n"))
                .hasMessageStartingWith(file() + ":1: expected '>' to close <match a");
        assertThatThrownBy(() -> parse("<match a> extra\n</match>\n"))
                .hasMessageStartingWith(file() + ":1: expected end of line after tag <match>");
        assertThatThrownBy(() -> parse("<match a>\n  @foo bar\n</match>\n"))
                .hasMessageStartingWith(file() + ":2: '@' is the system reserved prefix");
        assertThatThrownBy(() -> parse("<match a>\n  x \"abc\\q\"\n</match>\n"))
                .hasMessageStartingWith(file() + ":2: x: unexpected back-slash escape character 'q'");
        assertThatThrownBy(() -> parse("<match a>\n  x \"abc\n"))
                .hasMessage(file() + ":2: x: unexpected end of file in a double quoted string");
        assertThatThrownBy(() -> parse("<match a>\n  x 'abc\n</match>\n"))
                .hasMessage(file() + ":2: unexpected end of line in a single quoted string (expected: a closing ')");
        assertThatThrownBy(() -> parse("<match a>\n  x \"a\" b\n</match>\n"))
                .hasMessageStartingWith(file() + ":2: expected end of line after the value of x");
    }

    @Test
    void parameterGivenTwiceWarnsAndKeepsTheLast() throws IOException {
        ConfParser parser = new ConfParser(env);
        ConfElement root = parser.parse(write("test.conf", "<match a>\n  x 1\n  x 2\n</match>\n"));
        assertThat(root.elements().get(0).integer("x", 0)).isEqualTo(2);
        assertThat(parser.warnings())
                .containsExactly(file() + ":3: parameter 'x' in <match a> is given twice (also at " + file()
                        + ":2); the last one is used");
    }

    @Test
    void crlfLineEndsAndQuotedArguments() throws IOException {
        ConfElement root = parse("<label @OUT>\r\n  <match \"a.**\">\r\n    @type null\r\n  </match>\r\n</label>\r\n");
        ConfElement label = root.elements().get(0);
        assertThat(label.arg()).isEqualTo("@OUT");
        assertThat(label.elements().get(0).arg()).isEqualTo("a.**");
        assertThat(label.elements().get(0).type()).isEqualTo("null");
    }

    @Test
    void typedAccessErrorsNameFileLineAndParameter() throws IOException {
        ConfElement e = parse("""
        <match a>
          flush_interval abc
          chunk_limit_size 8 pages
          flush_at_shutdown maybe
          flush_thread_count two
          overflow_action explode
          ratio lots
          retry_max_times 99999999999
        </match>
        """).elements().get(0);
        String f = file();
        assertThatThrownBy(() -> e.time("flush_interval", null))
                .hasMessage(f + ":2: flush_interval: \"abc\" is not a time (expected: a number with optional s/m/h/d)");
        assertThatThrownBy(() -> e.size("chunk_limit_size", 0))
                .hasMessage(
                        f
                                + ":3: chunk_limit_size: \"8 pages\" is not a size (expected: an integer with optional k/m/g/t)");
        assertThatThrownBy(() -> e.bool("flush_at_shutdown", false))
                .hasMessage(f + ":4: flush_at_shutdown: \"maybe\" is not a boolean (expected: true, false, yes or no)");
        assertThatThrownBy(() -> e.integer("flush_thread_count", 1))
                .hasMessage(f
                        + ":5: flush_thread_count: \"two\" is not an integer (expected: digits with an optional sign)");
        assertThatThrownBy(() ->
                        e.choice("overflow_action", "block", List.of("throw_exception", "block", "drop_oldest_chunk")))
                .hasMessage(
                        f + ":6: overflow_action: \"explode\" is not one of throw_exception, block, drop_oldest_chunk");
        assertThatThrownBy(() -> e.decimal("ratio", 0.5))
                .hasMessage(f + ":7: ratio: \"lots\" is not a number (expected: e.g. 0.95)");
        assertThatThrownBy(() -> e.integer("retry_max_times", 0, 0, Integer.MAX_VALUE))
                .hasMessage(f + ":8: retry_max_times: 99999999999 (expected: 0..2147483647)");
        assertThatThrownBy(() -> e.requiredString("path"))
                .hasMessage(f + ":1: <match a>: missing required parameter 'path'");
    }

    @Test
    void unusedParametersAndSectionsAreReportedFluentdStyle() throws IOException {
        ConfElement root = parse("""
        <match a>
          @type null
          foo bar
          <buffer>
            flush_interval 1s
            typo 1
          </buffer>
          <nonsense>
          </nonsense>
        </match>
        """);
        ConfElement match = root.elements().get(0);
        match.markUsed();
        match.type();
        match.element("buffer").time("flush_interval", null);
        String f = file();
        assertThat(root.unused())
                .containsExactly(
                        f + ":3: parameter 'foo' in <match a> is not used.",
                        f + ":6: parameter 'typo' in <buffer> is not used.",
                        f + ":8: section <nonsense> in <match a> is not used.");
    }

    @Test
    void invalidUtf8AndLegacyInclude() throws IOException {
        Path bad = dir.resolve("bad.conf");
        Files.write(bad, new byte[] {'<', 'm', 'a', 't', 'c', 'h', ' ', (byte) 0xC3, (byte) 0x28, '>', '\n'});
        assertThatThrownBy(() -> new ConfParser(env).parse(bad))
                .hasMessage(bad + ":0: not valid UTF-8 (expected: a UTF-8 text file)");
        write("part.conf", "<match p>\n  @type null\n</match>\n");
        ConfParser parser = new ConfParser(env);
        ConfElement root = parser.parse(write("test.conf", "include part.conf\n"));
        assertThat(root.elements()).extracting(ConfElement::arg).containsExactly("p");
        assertThat(parser.warnings()).containsExactly(file() + ":1: 'include' is deprecated; use '@include'");
    }

    @Test
    void arrayAndHashErrors() throws IOException {
        ConfElement e = parse("<match a>\n  keys [{\"nested\": 1}]\n  map a-b\n</match>\n")
                .elements()
                .get(0);
        assertThatThrownBy(() -> e.array("keys", null))
                .hasMessage(file()
                        + ":2: keys: \"[{\\\"nested\\\":1}]\" is not an array of scalars (expected: [\"a\", \"b\"])");
        assertThatThrownBy(() -> e.hash("map", null))
                .hasMessage(file() + ":3: map: \"a-b\" is not a hash (expected: k1:v1,k2:v2; no ':' in \"a-b\")");
    }

    /** Found by ConfParserFuzzTest (corpus input include-unbalanced-brace-glob): the JDK's glob syntax error escaped. */
    @Test
    void includeOfAMalformedGlobIsAConfErrorWithItsLocation() {
        assertThatThrownBy(() -> parse("<system>\n</system>\n@include x{a,b.conf\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageStartingWith(file() + ":3: @include x{a,b.conf: not a valid glob")
                .hasMessageContaining("expected:");
    }

    /** Found by ConfParserFuzzTest (corpus input include-path-with-nul): InvalidPathException escaped. */
    @Test
    void includeOfAPathWithANulIsAConfErrorWithItsLocation() {
        assertThatThrownBy(() -> parse("@include a\u0000b.conf\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageStartingWith(file() + ":1: @include a\u0000b.conf: not a valid path");
    }

    /**
     * Found by the fuzzer (ConfParserFuzzTest input include-glob-over-proc): a glob over a tree with an unreadable
     * directory threw UncheckedIOException (AccessDeniedException on /proc/1/task/1/fdinfo) out of the parser.
     * Unreadable entries are skipped with a warning, as Fluentd's Dir.glob does, and a glob that walks too much
     * is a conf error at its line.
     */
    @Test
    void anIncludeGlobOverUnreadableOrHugeTreesIsAWarningOrAConfErrorNeverAnException() throws IOException {
        ConfParser parser = new ConfParser(env);
        Path conf = write("test.conf", "@include /proc/**/no-such-include.conf\n");
        try {
            parser.parse(conf);
            assertThat(parser.warnings())
                    .anySatisfy(w -> assertThat(w).startsWith(file() + ":1: @include /proc/**/no-such-include.conf"));
        } catch (ConfException e) {
            assertThat(e)
                    .hasMessageStartingWith(file() + ":1: @include /proc/**/no-such-include.conf: the glob walks more"
                            + " than " + ConfParser.MAX_GLOB_ENTRIES + " entries under /proc");
        }
    }
}
