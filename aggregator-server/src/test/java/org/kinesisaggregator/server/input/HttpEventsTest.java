package org.kinesisaggregator.server.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.EventEntries;
import org.kinesisaggregator.buffer.Frame;

/** {@link HttpEvents}: in_http's reading of a request, without a server. */
class HttpEventsTest {
    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05.5Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private static HttpSettings settings(HttpSettings.Format format, String timeKey, boolean keep) {
        return new HttpSettings(
                "127.0.0.1",
                0,
                1024,
                Duration.ofSeconds(10),
                false,
                false,
                List.of(),
                false,
                false,
                false,
                format,
                timeKey,
                keep,
                false,
                true,
                0);
    }

    private static HttpHeaders json() {
        return new DefaultHttpHeaders().set("Content-Type", "application/json; charset=utf-8");
    }

    private static List<String> times(HttpEvents.Batch batch) throws IOException {
        List<String> out = new ArrayList<>();
        try (EventCursor c =
                EventEntries.cursor(List.of(new Frame(batch.tag(), batch.entries(), batch.count(), 0)), i -> false)) {
            while (c.next()) {
                out.add(Instant.ofEpochSecond(c.epochSecond(), c.nanos()).toString());
            }
        }
        return out;
    }

    private static HttpEvents.Batch read(HttpSettings s, String uri, String body) throws Exception {
        return HttpEvents.read(s, uri, json(), body.getBytes(StandardCharsets.UTF_8), "192.0.2.1", CLOCK);
    }

    @Test
    void thePathIsTheTag() throws Exception {
        assertThat(HttpEvents.tag("/a/b.c/")).isEqualTo("a.b.c");
        assertThat(HttpEvents.tag("/app.log")).isEqualTo("app.log");
        assertThatThrownBy(() -> HttpEvents.tag("/")).hasMessageContaining("no tag");
        assertThatThrownBy(() -> HttpEvents.tag("/a\u0001b")).hasMessageContaining("control character");
    }

    @Test
    void timeParameterWinsThenTheTimeKeyThenNow() throws Exception {
        HttpSettings s = settings(HttpSettings.Format.DEFAULT, "time", false);
        assertThat(times(read(s, "/t?time=1700000000.25", "[{\"time\":5},{}]")))
                .containsExactly("2023-11-14T22:13:20.250Z", "2023-11-14T22:13:20.250Z");
        assertThat(times(read(s, "/t", "[{\"time\":5},{\"time\":\"6.5\"},{}]")))
                .containsExactly("1970-01-01T00:00:05Z", "1970-01-01T00:00:06.500Z", NOW.toString());
        // in_http's to_f: 0 or not a number is now
        assertThat(times(read(s, "/t?time=abc", "{}"))).containsExactly(NOW.toString());
        assertThatThrownBy(() -> read(s, "/t", "{\"time\":4294967296}")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> read(s, "/t", "{\"time\":\"soon\"}")).hasMessageContaining("is not a number");
        HttpSettings msgpack = settings(HttpSettings.Format.JSON, null, false);
        assertThat(times(read(msgpack, "/t", "{\"time\":5}"))).containsExactly(NOW.toString());
    }

    @Test
    void forwardedForNamesTheFirstHop() {
        HttpHeaders h = new DefaultHttpHeaders().set("X-Forwarded-For", "198.51.100.7 , 10.0.0.1");
        assertThat(HttpEvents.remoteAddr(h, "192.0.2.1")).isEqualTo("198.51.100.7");
        assertThat(HttpEvents.remoteAddr(new DefaultHttpHeaders(), "192.0.2.1")).isEqualTo("192.0.2.1");
    }

    @Test
    void anEmptyArrayIsNoEventAndOtherJsonIsRefused() throws Exception {
        HttpSettings s = settings(HttpSettings.Format.DEFAULT, "time", false);
        assertThat(read(s, "/t", "[]").count()).isZero();
        assertThatThrownBy(() -> read(s, "/t", "\"text\"")).hasMessageContaining("is not a hash");
        assertThatThrownBy(() -> read(s, "/t", "{} {}")).hasMessageContaining("not JSON");
    }
}
