package org.kinesisaggregator.server.security;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;

/**
 * One {@code <client>} of {@code <security>}, resolved: an address or a network (CIDR), the shared
 * key its peers must use, and the usernames they may authenticate as (empty: any {@code <user>}).
 * Immutable; thread-safe.
 */
public record ClientRule(byte[] network, int prefixBits, String sharedKey, List<String> users) {

    public ClientRule {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(sharedKey, "sharedKey");
        users = List.copyOf(users);
        if (prefixBits < 0 || prefixBits > network.length * 8) {
            throw new IllegalArgumentException(
                    "network prefix: /" + prefixBits + " (expected: 0.." + network.length * 8 + ")");
        }
    }

    /**
     * A rule for {@code host} (resolved now: this does DNS I/O) or {@code network} ({@code a.b.c.d/n},
     * an IPv6 CIDR or a bare address).
     */
    public static ClientRule resolve(String host, String network, String sharedKey, List<String> users)
            throws UnknownHostException {
        if (host != null) {
            InetAddress address = InetAddress.getByName(host);
            byte[] bytes = address.getAddress();
            return new ClientRule(bytes, bytes.length * 8, sharedKey, users);
        }
        String spec = network.trim();
        int slash = spec.indexOf('/');
        String addressPart = slash < 0 ? spec : spec.substring(0, slash);
        if (!addressPart.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException(
                    "network: " + network + " (expected: an address or CIDR, e.g. 10.0.0.0/8)");
        }
        byte[] bytes = InetAddress.getByName(addressPart).getAddress();
        int prefix;
        try {
            prefix = slash < 0 ? bytes.length * 8 : Integer.parseInt(spec.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "network: " + network + " (expected: an address or CIDR, e.g. 10.0.0.0/8)", e);
        }
        return new ClientRule(bytes, prefix, sharedKey, users);
    }

    /** Whether {@code address} is inside this rule's network. */
    public boolean matches(InetAddress address) {
        byte[] candidate = address.getAddress();
        if (candidate.length != network.length) {
            return false;
        }
        int full = prefixBits / 8;
        for (int i = 0; i < full; i++) {
            if (candidate[i] != network[i]) {
                return false;
            }
        }
        int rest = prefixBits % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (candidate[full] & mask) == (network[full] & mask);
    }
}
