package org.kinesisaggregator.server.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * Logback appender (declared in logback-test.xml) keeping every log line of the test JVM, so that
 * tests can assert what a user would see, and {@link LeakCheck} can find Netty's LEAK reports.
 */
public final class LogCapture extends AppenderBase<ILoggingEvent> {
    private static final List<Line> LINES = new CopyOnWriteArrayList<>();

    /** One formatted log line. */
    public record Line(String level, String logger, String message) {
        @Override
        public String toString() {
            return level + " " + logger + " - " + message;
        }
    }

    @Override
    protected void append(ILoggingEvent event) {
        LINES.add(new Line(event.getLevel().toString(), event.getLoggerName(), event.getFormattedMessage()));
    }

    public static List<Line> lines() {
        return List.copyOf(LINES);
    }

    public static List<Line> matching(Predicate<Line> p) {
        return LINES.stream().filter(p).toList();
    }

    /** Lines whose message contains every one of {@code parts}. */
    public static List<Line> containing(String... parts) {
        return matching(l -> {
            for (String part : parts) {
                if (!l.message().contains(part)) {
                    return false;
                }
            }
            return true;
        });
    }

    public static void clear() {
        LINES.clear();
    }
}
