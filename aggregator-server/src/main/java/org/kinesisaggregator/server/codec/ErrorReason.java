package org.kinesisaggregator.server.codec;

import java.util.Locale;

/**
 * Why a connection was closed or a message refused: the fixed set of values of the
 * {@code forward.errors{reason}} metric tag (never peer addresses or tags).
 */
public enum ErrorReason {
    /** Not msgpack / JSON, a value of the wrong type, a truncated frame. */
    MALFORMED,
    /** A size limit: tag, option, event, nesting, JSON message. */
    LIMIT,
    /** Invalid gzip / zstd data, or more than {@code decompression_size_limit}. */
    DECOMPRESSION,
    /** An invalid event with {@code skip_invalid_event false}: the whole message is refused. */
    INVALID_EVENT,
    /** A message bigger than {@code chunk_size_limit}: dropped, no ack. */
    CHUNK_SIZE_LIMIT,
    /** The HELO/PING/PONG handshake failed (wrong key, unknown user, anonymous source, not a PING). */
    HANDSHAKE,
    /** The TLS handshake failed (plain TCP on a TLS port, bad client certificate, no common version). */
    TLS,
    /** A missing or invalid PROXY protocol header. */
    PROXY,
    /** The sink refused or failed the append (buffer overflow, I/O error): no ack. */
    APPEND_FAILED,
    /** The connection ended in the middle of a message. */
    TRUNCATED,
    /** A socket error (reset by peer and the like). */
    IO;

    /** The metric tag value: lowercase. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
