package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LogSafeTest {

    @Test
    void printableTextIsKeptAsItIs() {
        assertThat(LogSafe.escape("app.log")).isEqualTo("app.log");
        assertThat(LogSafe.escape("ログ.ü.€ x")).isEqualTo("ログ.ü.€ x");
        assertThat(LogSafe.escape((String) null)).isEqualTo("null");
    }

    @Test
    void lineBreaksEscapesAndControlsBecomeVisibleEscapes() {
        assertThat(LogSafe.escape("evil\n[ERROR] forged\r\n")).isEqualTo("evil\\n[ERROR] forged\\r\\n");
        assertThat(LogSafe.escape("\u001b[31mred\u001b[0m\tx")).isEqualTo("\\e[31mred\\e[0m\\tx");
        assertThat(LogSafe.escape("a\u0000b\u0007c\u007f")).isEqualTo("a\\x00b\\x07c\\x7f");
        assertThat(LogSafe.escape("nel\u0085ls\u2028ps\u2029rtl\u202e"))
                .isEqualTo("nel\\u0085ls\\u2028ps\\u2029rtl\\u202e");
        assertThat(LogSafe.escape("lone\ud800x")).isEqualTo("lone\\ud800x");
        assertThat(LogSafe.escape("pua\udb80\udc00")).isEqualTo("pua\\u{f0000}");
    }

    @Test
    void aBackslashIsDoubledSoThatAnEscapeCannotBeForged() {
        assertThat(LogSafe.escape("a\\nb")).isEqualTo("a\\\\nb");
        assertThat(LogSafe.escape("a\nb")).isNotEqualTo(LogSafe.escape("a\\nb"));
    }

    @Test
    void longValuesAreCappedAndSayHowMuchWasLeftOut() {
        String escaped = LogSafe.escape("x".repeat(1000));
        assertThat(escaped).isEqualTo("x".repeat(LogSafe.MAX_CHARS) + "...(744 more chars)");
        // a surrogate pair is never cut in half
        String pairs = "a" + "\ud83d\ude00".repeat(200);
        assertThat(LogSafe.escape(pairs, 4)).isEqualTo("a\ud83d\ude00...(398 more chars)");
    }

    @Test
    void bytesAreReadAsUtf8WithInvalidSequencesReplaced() {
        assertThat(LogSafe.escape("host\n".getBytes(StandardCharsets.UTF_8))).isEqualTo("host\\n");
        assertThat(LogSafe.escape(new byte[] {'h', (byte) 0xff, 0x1b})).isEqualTo("h\ufffd\\e");
        assertThat(LogSafe.escape((byte[]) null)).isEqualTo("null");
    }
}
