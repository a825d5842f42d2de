package org.kinesisaggregator.server.app;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.server.input.HttpInput;
import org.kinesisaggregator.server.input.HttpSettings;
import org.kinesisaggregator.server.route.Router;

/** Maps {@code <source> @type http} onto {@link HttpSettings} (in_http's names and defaults). Stateless. */
final class HttpConf {
    static final int DEFAULT_PORT = 9880;
    static final long DEFAULT_BODY_SIZE_LIMIT = 32L * 1024 * 1024;

    private HttpConf() {}

    /**
     * {@code @type http} ({@link Plugins#sources()}): in_http into its label's router, counted as input,
     * carried over a reload.
     */
    static void addSource(SourceSection source) {
        HttpSettings settings = settings(source.element());
        Router router = source.router();
        Clock clock = source.env().clock();
        source.input(new SourceSection.InputSpec(
                router,
                settings,
                "http " + settings.bind() + ":" + settings.port(),
                "in_http_" + settings.port(),
                " (POST /TAG)",
                new SourceSection.Port(settings.bind(), settings.port(), false),
                (sink, registry) -> new HttpInput(settings, sink, clock, registry)));
    }

    static HttpSettings settings(ConfElement source) {
        String bind = source.string("bind", "0.0.0.0");
        int port = source.integer("port", DEFAULT_PORT, 0, 65535);
        long limit = source.size("body_size_limit", DEFAULT_BODY_SIZE_LIMIT);
        if (limit < 1 || limit > Integer.MAX_VALUE - 1024) {
            throw source.error("body_size_limit", limit + " (expected: 1 … 2g)");
        }
        Duration keepalive = source.time("keepalive_timeout", Duration.ofSeconds(10));
        if (keepalive.isNegative() || keepalive.isZero()) {
            throw source.error("keepalive_timeout", keepalive + " (expected: more than 0)");
        }
        boolean headers = source.bool("add_http_headers", false);
        boolean remote = source.bool("add_remote_addr", false);
        List<String> origins = source.array("cors_allow_origins", List.of());
        boolean credentials = source.bool("cors_allow_credentials", false);
        if (credentials && (origins.isEmpty() || origins.contains("*"))) {
            throw source.error(
                    "cors_allow_credentials",
                    "true without specific cors_allow_origins (expected: the origins listed; browsers refuse"
                            + " credentials with *)");
        }
        boolean queryParams = source.bool("add_query_params", false);
        boolean dumpErrorLog = source.bool("dump_error_log", true);
        int backlog = source.integer("backlog", 0, 0, 65535);
        source.time("blocking_timeout", Duration.ofMillis(500)); // in_http's event loop tick: nothing to set here
        boolean img = source.bool("respond_with_empty_img", false);
        boolean use204 = source.bool("use_204_response", false);
        boolean keepTimeKey = source.bool("keep_time_key", false);
        HttpSettings.Format format = HttpSettings.Format.DEFAULT;
        String timeKey = "time";
        ConfElement parse = source.element("parse");
        // v0.12's format parameter (Fluentd's example/in_http.conf has "format default")
        ConfElement conf = parse != null ? parse : source.has("format") ? source : null;
        if (conf != null) {
            String type;
            String typeParam;
            if (parse != null) {
                parse.markUsed();
                type = parse.type();
                if (type == null) {
                    throw parse.missing("@type");
                }
                typeParam = parse.has("@type") ? "@type" : "type";
            } else {
                type = source.string("format", "default");
                typeParam = "format";
            }
            format = switch (type) {
                case "json" -> HttpSettings.Format.JSON;
                case "msgpack" -> HttpSettings.Format.MSGPACK;
                case "in_http", "default" -> HttpSettings.Format.DEFAULT;
                default ->
                    throw conf.error(
                            typeParam,
                            "\"" + type + "\" is not supported by the http source (expected: json or msgpack, or"
                                    + " no <parse> for in_http's Content-Type rules)");
            };
            timeKey = conf.string("time_key", format == HttpSettings.Format.MSGPACK ? null : "time");
            if (conf != source) {
                keepTimeKey = conf.bool("keep_time_key", keepTimeKey);
            }
        }
        try {
            return new HttpSettings(
                    bind,
                    port,
                    (int) limit,
                    keepalive,
                    headers,
                    remote,
                    origins,
                    credentials,
                    img,
                    use204,
                    format,
                    timeKey,
                    keepTimeKey,
                    queryParams,
                    dumpErrorLog,
                    backlog);
        } catch (IllegalArgumentException e) {
            throw source.error(e.getMessage());
        }
    }
}
