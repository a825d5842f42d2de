package org.kinesisaggregator.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /api/plugins.json} and {@code /api/config.json} stay valid JSON (strict UTF-8, parsed back
 * by Jackson) whatever the plugin ids, types and conf values hold: quotes, backslashes, control
 * characters, non-ASCII, surrogate pairs and unpaired surrogates (written as U+FFFD).
 */
class PluginsJsonEscapingTest {
    private static final String NASTY = "q\"b\\s/ nl\n cr\r tab\t nul\u0000 esc\u001b del\u007f é ü 日本 😀 ls\u2028 end";
    private static final String LONE_HIGH = "high\uD83Dalone";
    private static final String LONE_LOW = "\uDE00low first";
    private static final String TRAILING_HIGH = "trailing\uD800";

    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private AdminServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void pluginsJsonParsesBackWithEveryStringAsGivenAndUnpairedSurrogatesReplaced() throws Exception {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("path", NASTY);
        config.put(LONE_HIGH, LONE_LOW);
        config.put("k\u0001\"", TRAILING_HIGH);
        List<PluginInfo> plugins = List.of(
                new PluginInfo(NASTY, "output", "type\"" + LONE_LOW, config, null),
                new PluginInfo(LONE_HIGH, "input", "forward", Map.of(), null));
        start(plugins, Map.of("config_path", TRAILING_HIGH, "note", NASTY));

        Object parsed = parse(get("/api/plugins.json"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> list = (List<Map<String, Object>>) ((Map<String, Object>) parsed).get("plugins");
        assertThat(list).hasSize(2);
        assertThat(list.get(0).get("plugin_id")).isEqualTo(NASTY);
        assertThat(list.get(0).get("type")).isEqualTo("type\"\uFFFDlow first");
        assertThat(list.get(0).get("config"))
                .isEqualTo(Map.of(
                        "path", NASTY,
                        "high\uFFFDalone", "\uFFFDlow first",
                        "k\u0001\"", "trailing\uFFFD"));
        assertThat(list.get(1).get("plugin_id")).isEqualTo("high\uFFFDalone");

        @SuppressWarnings("unchecked")
        Map<String, Object> processConfig = (Map<String, Object>) parse(get("/api/config.json"));
        assertThat(processConfig).containsEntry("config_path", "trailing\uFFFD").containsEntry("note", NASTY);
    }

    @Test
    void wellFormedKeepsPairsAndReplacesOnlyUnpairedSurrogates() {
        String plain = "no surrogates é";
        assertThat(MonitorInfo.wellFormed(plain)).isSameAs(plain);
        assertThat(MonitorInfo.wellFormed("a😀b")).isEqualTo("a😀b");
        assertThat(MonitorInfo.wellFormed("\uDE00\uD83D")).isEqualTo("\uFFFD\uFFFD");
        assertThat(MonitorInfo.wellFormed("x\uD83D😀")).isEqualTo("x\uFFFD😀");
    }

    private void start(List<PluginInfo> plugins, Map<String, Object> processInfo) throws Exception {
        server = new AdminServer(
                new AdminSettings("127.0.0.1", 0),
                () -> "",
                List::of,
                () -> plugins,
                () -> processInfo,
                ZoneOffset.UTC);
        server.start();
    }

    private byte[] get(String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + server.localAddress().getPort() + path);
        HttpResponse<byte[]> response = client.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    /** Strict UTF-8, then Jackson's parser, into maps, lists, strings, numbers, booleans and null. */
    private static Object parse(byte[] body) throws IOException {
        StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(body));
        try (JsonParser p = new JsonFactory().createParser(body)) {
            Object value = read(p, p.nextToken());
            assertThat(p.nextToken()).isNull();
            return value;
        }
    }

    private static Object read(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    m.put(name, read(p, p.nextToken()));
                }
                yield m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(read(p, e));
                }
                yield l;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> p.getLongValue();
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> null;
            default -> throw new IOException("unexpected " + t);
        };
    }
}
