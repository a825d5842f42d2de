package org.kinesisaggregator.server.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The cases of Fluentd's own {@code test/test_match.rb}, as a table: pattern, tag, expected. */
class TagPatternTest {

    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                // simple
                "a | a | true",
                "a.b | a.b | true",
                "a | b | false",
                "a.b | aab | false",
                // wildcard
                "a* | a | true",
                "a* | ab | true",
                "a* | abc | true",
                "*a | a | true",
                "*a | ba | true",
                "*a | cba | true",
                "*a* | a | true",
                "*a* | ba | true",
                "*a* | ac | true",
                "*a* | bac | true",
                "a* | a.b | false",
                "a* | ab.c | false",
                "a* | ba | false",
                "*a | ab | false",
                "a.* | a.b | true",
                "a.* | a.c | true",
                "a.* | ab | false",
                "a.*.c | a.b.c | true",
                "a.*.c | a.c.c | true",
                "a.*.c | a.c | false",
                // recursive wildcard
                "a.** | a | true",
                "a.** | ab | false",
                "a.** | abc | false",
                "a.** | a.b | true",
                "a.** | ab.c | false",
                "a.** | ab.d.e | false",
                "a** | a | true",
                "a** | ab | true",
                "a** | abc | true",
                "a** | a.b | true",
                "a** | ab.c | true",
                "a** | ab.d.e | true",
                "**.a | a | true",
                "**.a | ba | false",
                "**.a | c.ba | false",
                "**.a | b.a | true",
                "**.a | cb.a | true",
                "**.a | d.e.a | true",
                "**a | a | true",
                "**a | ba | true",
                "**a | c.ba | true",
                "**a | b.a | true",
                "**a | cb.a | true",
                "**a | d.e.a | true",
                "a.**.c | a.c | true",
                "a.**.c | a.b.c | true",
                "a.**.c | a.b.d.c | true",
                "a.**.c | a.bc | false",
                "** | anything.at.all | true",
                "** | x | true",
                // or
                "a.{b,c} | a.b | true",
                "a.{b,c} | a.c | true",
                "a.{b,c} | a.d | false",
                "a.{b,c}.** | a.b | true",
                "a.{b,c}.** | a.c | true",
                "a.{b,c}.** | a.d | false",
                "a.{b,c}.** | a.cd | false",
                "a.{b.**,c} | a.b | true",
                "a.{b.**,c} | a.b.c | true",
                "a.{b.**,c} | a.c | true",
                "a.{b.**,c} | a.c.d | false",
                // several patterns
                "a.b a.c | a.b | true",
                "a.b a.c | a.c | true",
                "a.b a.c | a.d | false",
                "a.b.** a.c.** | a.b | true",
                "a.b.** a.c.** | a.c | true",
                "a.b.** a.c.** | a.d | false",
                "a.b.** a.c.** | a.cd | false",
                "a.b.** a.c | a.b | true",
                "a.b.** a.c | a.b.c | true",
                "a.b.** a.c | a.c | true",
                "a.b.** a.c | a.c.d | false",
                // regex
                "/a/ | a | true",
                "/a/ | abc | false",
                "/a.*/ | abc | true",
                "/b.*/ | abc | false",
                "/a\\..*/ | a.b.c | true",
                "/(?!a\\.).*/ | a.b.c | false",
                "/a\\..*/ | b.b.c | false",
                "/(?!a\\.).*/ | b.b.c | true",
                // literal characters and escapes
                "a-b.c+d | a-b.c+d | true",
                "a-b | a.b | false",
                "a\\*b | a*b | true",
                "a\\*b | axb | false",
                // the seed's pattern
                "kinesis.** | kinesis | true",
                "kinesis.** | kinesis.access | true",
                "kinesis.** | kinesis.photo.upload | true",
                "kinesis.** | kinesisx | false",
                "kinesis.** | web.kinesis | false",
            })
    void matchesAsFluentdDoes(String pattern, String tag, boolean expected) {
        assertThat(TagPattern.compile(pattern).matches(tag)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {"/a | must end with /", "/a(/ | Unclosed group"})
    void badRegexPatterns(String pattern, String reason) {
        assertThatThrownBy(() -> TagPattern.compile(pattern))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }
}
