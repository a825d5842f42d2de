package org.kinesisaggregator.server.input;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * {@code <source> @type http}, in_http's parameters.
 *
 * @param bind {@code bind}, default {@code 0.0.0.0}
 * @param port {@code port}, default 9880 (0: an ephemeral port)
 * @param bodySizeLimit {@code body_size_limit}: the largest request body, default 32m; a larger one is
 *     answered 413
 * @param keepaliveTimeout {@code keepalive_timeout}: an idle connection is closed after it, default 10s
 * @param addHttpHeaders {@code add_http_headers}: the request's headers go into each record as
 *     {@code HTTP_<NAME>} keys
 * @param addRemoteAddr {@code add_remote_addr}: {@code REMOTE_ADDR} (the first X-Forwarded-For entry, else
 *     the peer's address) goes into each record
 * @param corsAllowOrigins {@code cors_allow_origins}: the origins allowed ({@code *}: any); empty: no CORS
 * @param corsAllowCredentials {@code cors_allow_credentials}
 * @param respondWithEmptyImg {@code respond_with_empty_img}: a 1x1 GIF instead of an empty 200
 * @param use204Response {@code use_204_response}: 204 instead of an empty 200
 * @param format the body's format: {@link Format#DEFAULT} chooses by Content-Type as in_http does
 * @param timeKey {@code <parse> time_key}: the record field holding the event time, or null
 * @param keepTimeKey {@code keep_time_key}: leave {@code timeKey} in the record
 * @param addQueryParams {@code add_query_params}: the query parameters go into each record as
 *     {@code QUERY_<NAME>} keys
 * @param dumpErrorLog {@code dump_error_log}: 400s and 500s are logged at WARN (at most once per 10 s),
 *     else at DEBUG only
 * @param backlog {@code backlog}: the listen backlog, or 0 for the system's default
 */
public record HttpSettings(
        String bind,
        int port,
        int bodySizeLimit,
        Duration keepaliveTimeout,
        boolean addHttpHeaders,
        boolean addRemoteAddr,
        List<String> corsAllowOrigins,
        boolean corsAllowCredentials,
        boolean respondWithEmptyImg,
        boolean use204Response,
        Format format,
        String timeKey,
        boolean keepTimeKey,
        boolean addQueryParams,
        boolean dumpErrorLog,
        int backlog) {

    /** How a body is read. */
    public enum Format {
        /** in_http without {@code <parse>}: by Content-Type, then the {@code json} / {@code msgpack} parameter. */
        DEFAULT,
        /** {@code <parse> @type json}: every body is JSON. */
        JSON,
        /** {@code <parse> @type msgpack}: every body is msgpack. */
        MSGPACK
    }

    public HttpSettings {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(keepaliveTimeout, "keepaliveTimeout");
        Objects.requireNonNull(format, "format");
        corsAllowOrigins = List.copyOf(corsAllowOrigins);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " (expected: 0 … 65535)");
        }
        if (bodySizeLimit < 1) {
            throw new IllegalArgumentException("body_size_limit " + bodySizeLimit + " (expected: >= 1)");
        }
    }
}
