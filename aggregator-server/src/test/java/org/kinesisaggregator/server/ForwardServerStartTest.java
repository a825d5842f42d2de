package org.kinesisaggregator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kinesisaggregator.server.testing.Mp.map;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.kinesisaggregator.server.testing.CollectingSink;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.LogCapture;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.RawClient;
import org.kinesisaggregator.server.testing.Settings;

/** start(): a connection that arrives while the server is starting is served, never hit by a half-built pipeline. */
@ExtendWith(LeakCheck.class)
class ForwardServerStartTest {
    private final CollectingSink sink = new CollectingSink();
    private ForwardServer server;
    private Socket early;

    @AfterEach
    void tearDown() throws IOException {
        if (early != null) {
            early.close();
        }
        if (server != null) {
            server.close();
        }
        sink.close();
    }

    /**
     * While start() registers the meters, this registry connects to the port the server is about
     * to listen on and sends a message. If the port is already accepting then (the metrics were
     * created after bind), that connection must still be served: before the fix it met a null
     * initializer (a NullPointerException, "Failed to initialize a channel") and was closed.
     */
    @Test
    void aConnectionRacingStartIsServedOrNotYetAccepted() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        AtomicBoolean registering = new AtomicBoolean();
        AtomicBoolean closedDuringStart = new AtomicBoolean();
        SimpleMeterRegistry registry = new SimpleMeterRegistry() {
            @Override
            protected <T> Gauge newGauge(Meter.Id id, T obj, ToDoubleFunction<T> valueFunction) {
                if (id.getName().equals("forward.connections.active") && registering.compareAndSet(false, true)) {
                    early = connectIfListening(port, closedDuringStart);
                }
                return super.newGauge(id, obj, valueFunction);
            }
        };
        server = new ForwardServer(Settings.local().port(port).build(), sink, registry);
        server.start();

        assertThat(registering).as("the registry saw the server's meters").isTrue();
        assertThat(closedDuringStart)
                .as("a connection accepted during start() was closed")
                .isFalse();
        if (early != null) {
            byte[] expected = ForwardServerTest.ack("early");
            assertThat(early.getInputStream().readNBytes(expected.length)).isEqualTo(expected);
        }
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(Mp.message("t", 1L, map(), map("chunk", "after")));
            byte[] expected = ForwardServerTest.ack("after");
            assertThat(client.read(expected.length)).isEqualTo(expected);
        }
        assertThat(LogCapture.containing("Failed to initialize a channel")).isEmpty();
    }

    /** Connects when something listens on {@code port}: sends a message, and notes an immediate close. */
    private static Socket connectIfListening(int port, AtomicBoolean closed) {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
        } catch (IOException refused) {
            // not bound yet: nothing can race
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a socket that never connected
            }
            return null;
        }
        try {
            socket.getOutputStream().write(Mp.message("t", 1L, map(), map("chunk", "early")));
            // a broken pipeline closes the connection at once; a working one answers once start() returned
            socket.setSoTimeout(2000);
            InputStream in = socket.getInputStream();
            if (in.read() < 0) {
                closed.set(true);
            }
        } catch (SocketTimeoutException e) {
            // still waiting for the ack: fine, start() has not finished
        } catch (IOException e) {
            closed.set(true);
        }
        return socket;
    }
}
