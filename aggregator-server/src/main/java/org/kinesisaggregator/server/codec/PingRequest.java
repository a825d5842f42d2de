package org.kinesisaggregator.server.codec;

/**
 * The client's handshake message, {@code ["PING", client_hostname, shared_key_salt,
 * shared_key_hexdigest, username, password_hexdigest]}, with each field's raw bytes (digests are
 * computed over bytes). {@code problem} is non-null when the message was not such a PING.
 */
public record PingRequest(
        String problem,
        byte[] hostname,
        byte[] sharedKeySalt,
        byte[] sharedKeyHexdigest,
        byte[] username,
        byte[] passwordHexdigest) {

    static PingRequest invalid(String problem) {
        return new PingRequest(problem, null, null, null, null, null);
    }

    public boolean isWellFormed() {
        return problem == null;
    }
}
