package org.kinesisaggregator.buffer;

import java.io.IOException;
import java.util.BitSet;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The per-event part of an {@link Output#write}: formats each pending event of a chunk, and turns
 * an event that cannot be formatted into a rejection of that event alone (with its reason), so
 * that the rest of its chunk is delivered and the rejected one goes to {@code <secondary>} or
 * {@code failed/}. An event cannot be formatted when its time is outside {@link EventTimes}' range
 * (checked before the step runs: chunks buffered by an older version may hold such times) or when
 * the format step throws for it. The reason is the step's exception message (a formatter's own
 * exception), or the exception's name and message for anything unforeseen.
 *
 * <p>The step formats into the output's own memory only, and only keeps what it formatted when it
 * completes (format into a scratch buffer, then append): it must not touch the destination, whose
 * failures are the whole write's, never one event's. The chunk itself being unreadable (the
 * cursor throws) is the whole write's failure too.
 *
 * <p>Not thread-safe; one per write.
 */
public final class EventFormatting {

    /** Formats the cursor's current event into the output's memory; throws when it cannot. */
    @FunctionalInterface
    public interface Step {
        void format(EventCursor event) throws Exception;
    }

    private final BitSet formatted = new BitSet();
    private final Map<Integer, String> rejected = new TreeMap<>();

    private EventFormatting() {}

    /**
     * Runs {@code step} on every pending event of {@code chunk}.
     *
     * @throws IOException when the chunk cannot be read (nothing of this write is delivered)
     */
    public static EventFormatting formatEach(Chunk chunk, Step step) throws IOException {
        EventFormatting run = new EventFormatting();
        try (EventCursor c = chunk.events()) {
            while (c.next()) {
                String reason = tryFormat(c, step);
                if (reason == null) {
                    run.formatted.set(c.index());
                } else {
                    run.rejected.put(c.index(), reason);
                }
            }
        }
        return run;
    }

    /**
     * Runs {@code step} on the cursor's current event: null when it formatted, else why the event
     * cannot be formatted (the event is then to be rejected alone).
     */
    public static String tryFormat(EventCursor event, Step step) {
        String reason = EventTimes.whyNotRepresentable(event.epochSecond(), event.nanos());
        if (reason != null) {
            return reason;
        }
        try {
            step.format(event);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "cannot format: interrupted";
        } catch (RuntimeException e) {
            // not foreseen by the formatter: name the exception
            return "cannot format: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage());
        } catch (Exception e) {
            // the formatter's own reason (e.g. "data_key payload: missing in the record ...")
            return e.getMessage() != null
                    ? e.getMessage()
                    : "cannot format: " + e.getClass().getSimpleName();
        }
    }

    /** Indexes of the events rejected, with their reasons (read-only view). */
    public Map<Integer, String> rejected() {
        return Collections.unmodifiableMap(rejected);
    }

    /** How many events were formatted. */
    public int formattedCount() {
        return formatted.cardinality();
    }

    /**
     * The write's result once every formatted event reached the destination: all delivered, or
     * the formatted ones delivered and the others rejected with their reasons.
     */
    public WriteResult delivered() {
        return rejected.isEmpty() ? WriteResult.allDelivered() : WriteResult.partial(formatted, rejected, null);
    }
}
