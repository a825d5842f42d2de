package org.kinesisaggregator.conf;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What {@code "#{...}"} in a double-quoted conf string can see: environment variables
 * ({@code ENV['X']}, {@code ENV["X"]}) and the host name ({@code Socket.gethostname}). Injected so
 * that tests do not depend on the machine.
 *
 * <p>Immutable; thread-safe if its functions are (the system ones are).
 *
 * @param env looks up an environment variable, null when unset
 * @param hostname the host name
 */
public record ConfEnvironment(Function<String, String> env, Supplier<String> hostname) {
    public ConfEnvironment {
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(hostname, "hostname");
    }

    /** The process environment and this machine's host name. */
    public static ConfEnvironment system() {
        return new ConfEnvironment(System::getenv, ConfEnvironment::localHostname);
    }

    private static String localHostname() {
        String fromEnv = System.getenv("HOSTNAME");
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return fromEnv != null ? fromEnv : "localhost";
        }
    }
}
