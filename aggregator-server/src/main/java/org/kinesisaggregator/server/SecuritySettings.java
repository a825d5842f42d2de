package org.kinesisaggregator.server;

import java.util.List;
import java.util.Objects;

/**
 * {@code <security>} of a forward source: the HELO / PING / PONG handshake of the forward protocol.
 *
 * @param selfHostname {@code self_hostname}: sent in PONG, checked against the client's
 * @param sharedKey {@code shared_key}: default key for clients without their own
 * @param userAuth {@code user_auth}: require username/password in PING
 * @param allowAnonymousSource {@code allow_anonymous_source}: accept peers matching no {@code <client>}
 * @param users {@code <user>} sections
 * @param clients {@code <client>} sections
 */
public record SecuritySettings(
        String selfHostname,
        String sharedKey,
        boolean userAuth,
        boolean allowAnonymousSource,
        List<User> users,
        List<Client> clients) {

    public SecuritySettings {
        Objects.requireNonNull(selfHostname, "self_hostname");
        Objects.requireNonNull(sharedKey, "shared_key");
        users = List.copyOf(users);
        clients = List.copyOf(clients);
        if (userAuth && users.isEmpty()) {
            throw new IllegalArgumentException("user_auth: true (expected: at least one <user> section)");
        }
    }

    /** {@code <user>}: {@code username}, {@code password}. */
    public record User(String username, String password) {
        public User {
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(password, "password");
        }
    }

    /**
     * {@code <client>}: matched by {@code host} (a name) or {@code network} (CIDR, e.g. 10.0.0.0/8);
     * its own {@code shared_key} (null: the section's) and allowed {@code users} (empty: all).
     */
    public record Client(String host, String network, String sharedKey, List<String> users) {
        public Client {
            if ((host == null) == (network == null)) {
                throw new IllegalArgumentException("<client>: exactly one of host or network (expected: one)");
            }
            users = List.copyOf(users);
        }
    }
}
