package org.kinesisaggregator.server.app;

import java.time.Duration;
import java.util.Objects;
import org.kinesisaggregator.admin.AdminServer;
import org.kinesisaggregator.server.Input;

/**
 * An admin source as one of the application's inputs: the {@link AdminServer}'s lifecycle behind the
 * {@link Input} interface, so that the admin package depends on nothing of the server. Thread-safe
 * as the server is.
 */
final class AdminInput implements Input {
    private final AdminServer server;

    AdminInput(AdminServer server) {
        this.server = Objects.requireNonNull(server, "server");
    }

    AdminServer server() {
        return server;
    }

    @Override
    public String type() {
        return server.type();
    }

    @Override
    public void start() throws Exception {
        server.start();
    }

    @Override
    public void drain(Duration timeout) {
        server.drain(timeout);
    }

    @Override
    public void close() {
        server.close();
    }

    @Override
    public String toString() {
        return "AdminInput[" + server + "]";
    }
}
