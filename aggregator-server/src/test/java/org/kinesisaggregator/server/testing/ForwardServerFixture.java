package org.kinesisaggregator.server.testing;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.ForwardSettings;

/**
 * The forward-server set-up the server tests share: a {@link CollectingSink}, a meter registry, and
 * the servers a test starts, all closed after each test (after the test's own {@code @AfterEach}
 * methods, so that clients a test closes there go first). Register it with
 * {@code @RegisterExtension final ForwardServerFixture fx = new ForwardServerFixture();}.
 *
 * <p>Not thread-safe; one per test instance.
 */
public final class ForwardServerFixture implements AfterEachCallback {
    public final CollectingSink sink = new CollectingSink();
    public final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<ForwardServer> servers = new ArrayList<>();

    /** Starts a server on {@code settings} that appends to {@link #sink}. */
    public ForwardServer start(Settings settings) throws Exception {
        return start(settings.build(), sink);
    }

    /** Starts a server on {@code settings} that appends to {@code target}. */
    public ForwardServer start(ForwardSettings settings, EventSink target) throws Exception {
        return started(new ForwardServer(settings, target, registry));
    }

    /** Starts a server with its own clock and tuning. */
    public ForwardServer start(ForwardSettings settings, EventSink target, Clock clock, ForwardServer.Tuning tuning)
            throws Exception {
        return started(new ForwardServer(settings, target, registry, clock, tuning));
    }

    /** A counter's count (0 when it was never registered); {@code tags} are key, value pairs. */
    public double counter(String name, String... tags) {
        var search = registry.find(name);
        if (tags.length > 0) {
            search = search.tags(tags);
        }
        var c = search.counter();
        return c == null ? 0 : c.count();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        servers.forEach(ForwardServer::close);
        servers.clear();
        sink.close();
    }

    private ForwardServer started(ForwardServer server) throws Exception {
        servers.add(server);
        server.start();
        return server;
    }
}
