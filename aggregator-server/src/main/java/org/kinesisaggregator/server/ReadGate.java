package org.kinesisaggregator.server;

import io.netty.channel.Channel;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Whether a forward connection reads from its socket: a set of named {@link Reason}s to pause it.
 * Reading is on while the set is empty. {@code setAutoRead(false)} is called exactly when the set
 * becomes non-empty, {@code setAutoRead(true)} exactly when it becomes empty again (Netty's
 * {@code setAutoRead(true)} issues the {@code read()} that restarts reading); no other call touches
 * the channel's reading, so a pause by one reason is never undone by another.
 *
 * <p>Owned by {@link ForwardIngestHandler}, created on {@code channelActive}. Not thread-safe;
 * confined to the channel's event loop.
 */
final class ReadGate {

    /** Why reading is paused; each is set and cleared by its own owner in the ingest handler. */
    enum Reason {
        /** {@code source_hostname_key}: the peer's hostname is being resolved, messages are held. */
        RESOLVING_HOSTNAME,
        /** The connection failed or closes once settled ({@link ConnectionState#stopsReading()}). */
        CLOSING,
        /** Decoded messages wait, in order, for the sink (or for the source keys). */
        HELD_MESSAGES,
        /** {@code max_in_flight} appends/pieces or bytes wait for the sink. */
        IN_FLIGHT_LIMIT,
        /** The peer does not read its acks: the channel is not writable. */
        UNREAD_ACKS,
        /**
         * The decoder stopped at its slice bound with bytes left; it is resumed one slice per pass
         * of the event loop while this is the only reason.
         */
        DECODER_BACKLOG
    }

    private static final Reason[] REASONS = Reason.values();

    private final Channel channel;
    private final EnumSet<Reason> reasons = EnumSet.noneOf(Reason.class);

    /** The gate of {@code channel}, open; the channel is expected to read (auto-read on). */
    ReadGate(Channel channel) {
        this.channel = channel;
    }

    /** Pauses reading for {@code reason} (no-op if it already holds). */
    void pause(Reason reason) {
        if (reasons.add(reason) && reasons.size() == 1) {
            channel.config().setAutoRead(false);
        }
    }

    /** Clears {@code reason}; reading resumes if it was the last one (no-op if it did not hold). */
    void resume(Reason reason) {
        if (reasons.remove(reason) && reasons.isEmpty()) {
            channel.config().setAutoRead(true);
        }
    }

    /** {@link #pause} if {@code paused}, else {@link #resume}. */
    void set(Reason reason, boolean paused) {
        if (paused) {
            pause(reason);
        } else {
            resume(reason);
        }
    }

    /**
     * Makes {@code paused} the set of reasons: adds the new ones before it clears the old ones, so
     * that going from one set of reasons to another never opens the gate in between.
     */
    void update(Set<Reason> paused) {
        for (Reason reason : paused) {
            pause(reason);
        }
        for (Reason reason : REASONS) {
            if (!paused.contains(reason)) {
                resume(reason);
            }
        }
    }

    /** No reason holds: the channel reads. */
    boolean isOpen() {
        return reasons.isEmpty();
    }

    /** {@code reason} holds (perhaps among others). */
    boolean isPausedBy(Reason reason) {
        return reasons.contains(reason);
    }

    /** {@code reason} is the one reason that holds. */
    boolean isPausedOnlyBy(Reason reason) {
        return reasons.size() == 1 && reasons.contains(reason);
    }

    /** The reasons that hold now (a copy). */
    Set<Reason> reasons() {
        return Collections.unmodifiableSet(EnumSet.copyOf(reasons));
    }

    @Override
    public String toString() {
        return reasons.isEmpty() ? "ReadGate[open]" : "ReadGate[paused: " + reasons + "]";
    }
}
