package org.kinesisaggregator.server.codec;

import io.netty.handler.codec.DecoderException;
import java.util.Objects;

/**
 * A forward-protocol message that cannot be accepted: malformed msgpack, a value of the wrong type,
 * a limit exceeded. The message is {@code "<field>: <actual> (expected: <rule>)"} (Netty's codec
 * style); {@link #reason()} is the bounded metric tag. After one of these the decoder discards
 * everything until the connection closes: the stream is never re-synchronised.
 *
 * @see <a href="https://github.com/fluent/fluentd/wiki/Forward-Protocol-Specification-v1">Forward Protocol Specification v1</a>
 */
public class ForwardProtocolException extends DecoderException {
    private static final long serialVersionUID = 1L;

    private final ErrorReason reason;

    public ForwardProtocolException(ErrorReason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public ForwardProtocolException(ErrorReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Why, as a metric tag value. */
    public ErrorReason reason() {
        return reason;
    }

    /** {@code "<field>: <actual> (expected: <rule>)"}. */
    static ForwardProtocolException malformed(String field, Object actual, String rule) {
        return new ForwardProtocolException(ErrorReason.MALFORMED, field + ": " + actual + " (expected: " + rule + ")");
    }

    static ForwardProtocolException limit(String field, Object actual, String rule) {
        return new ForwardProtocolException(ErrorReason.LIMIT, field + ": " + actual + " (expected: " + rule + ")");
    }

    /**
     * What a decoder throws for {@code e}, thrown while decoding: a protocol error stays as it is;
     * an index or argument error of a buffer read means a malformed message; anything else is a bug
     * and is passed on unchanged.
     */
    static RuntimeException of(RuntimeException e) {
        if (e instanceof ForwardProtocolException) {
            return e;
        }
        if (e instanceof IndexOutOfBoundsException || e instanceof IllegalArgumentException) {
            return new ForwardProtocolException(
                    ErrorReason.MALFORMED,
                    "message: " + e.getMessage() + " (expected: a well-formed forward message)",
                    e);
        }
        return e;
    }

    /** The connection ended after {@code received} bytes of a message (of {@code tag}, if known). */
    static ForwardProtocolException truncated(long received, String tag) {
        return new ForwardProtocolException(
                ErrorReason.TRUNCATED,
                "message: connection ended after " + received + " bytes of it"
                        + (tag != null ? " (tag " + tag + ")" : "") + " (expected: whole messages)");
    }
}
