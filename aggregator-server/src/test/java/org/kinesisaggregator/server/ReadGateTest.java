package org.kinesisaggregator.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.server.ReadGate.Reason;

/** {@link ReadGate} on an {@link EmbeddedChannel}: auto-read follows "no reason holds", one read() per reopening. */
class ReadGateTest {
    private ReadCounter reads;
    private EmbeddedChannel channel;
    private ReadGate gate;

    /** Counts the read() operations that reach the channel's head. */
    private static final class ReadCounter extends ChannelOutboundHandlerAdapter {
        int count;

        @Override
        public void read(ChannelHandlerContext ctx) {
            count++;
            ctx.read();
        }
    }

    @BeforeEach
    void setUp() {
        reads = new ReadCounter();
        channel = new EmbeddedChannel(reads);
        gate = new ReadGate(channel);
        reads.count = 0; // the read() of channelActive
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    @Test
    void opensAndReadsWithoutReasons() {
        assertThat(gate.isOpen()).isTrue();
        assertThat(gate.reasons()).isEmpty();
        assertThat(channel.config().isAutoRead()).isTrue();
        assertThat(gate).hasToString("ReadGate[open]");
    }

    @Test
    void oneReasonPausesAndItsResumeReadsOnce() {
        gate.pause(Reason.IN_FLIGHT_LIMIT);

        assertThat(channel.config().isAutoRead()).isFalse();
        assertThat(gate.isOpen()).isFalse();
        assertThat(gate.isPausedBy(Reason.IN_FLIGHT_LIMIT)).isTrue();
        assertThat(gate).hasToString("ReadGate[paused: [IN_FLIGHT_LIMIT]]");

        gate.resume(Reason.IN_FLIGHT_LIMIT);

        assertThat(channel.config().isAutoRead()).isTrue();
        assertThat(gate.isOpen()).isTrue();
        assertThat(reads.count).isEqualTo(1);
    }

    @Test
    void staysPausedUntilTheLastReasonClears() {
        gate.pause(Reason.UNREAD_ACKS);
        gate.pause(Reason.DECODER_BACKLOG);

        gate.resume(Reason.UNREAD_ACKS);
        assertThat(channel.config().isAutoRead()).isFalse();
        assertThat(gate.isPausedOnlyBy(Reason.DECODER_BACKLOG)).isTrue();
        assertThat(reads.count).isZero();

        gate.resume(Reason.DECODER_BACKLOG);
        assertThat(channel.config().isAutoRead()).isTrue();
        assertThat(reads.count).isEqualTo(1);
    }

    @Test
    void reasonsAreASetNotACounter() {
        gate.pause(Reason.CLOSING);
        gate.pause(Reason.CLOSING);
        gate.resume(Reason.CLOSING);

        assertThat(gate.isOpen()).isTrue();
        assertThat(channel.config().isAutoRead()).isTrue();
        assertThat(reads.count).isEqualTo(1);
    }

    @Test
    void resumingAReasonThatDoesNotHoldChangesNothing() {
        gate.resume(Reason.HELD_MESSAGES);
        assertThat(reads.count).isZero();

        gate.pause(Reason.HELD_MESSAGES);
        gate.resume(Reason.RESOLVING_HOSTNAME);
        assertThat(channel.config().isAutoRead()).isFalse();
        assertThat(gate.reasons()).containsExactly(Reason.HELD_MESSAGES);
    }

    @Test
    void updateFromOneSetToAnotherNeverOpensInBetween() {
        gate.update(EnumSet.of(Reason.HELD_MESSAGES));

        gate.update(EnumSet.of(Reason.IN_FLIGHT_LIMIT, Reason.UNREAD_ACKS));

        assertThat(gate.reasons()).containsExactlyInAnyOrder(Reason.IN_FLIGHT_LIMIT, Reason.UNREAD_ACKS);
        assertThat(channel.config().isAutoRead()).isFalse();
        assertThat(reads.count)
                .as("a read() would mean the gate opened in between")
                .isZero();

        gate.update(EnumSet.noneOf(Reason.class));
        assertThat(gate.isOpen()).isTrue();
        assertThat(reads.count).isEqualTo(1);
    }

    @Test
    void setPausesOrResumes() {
        gate.set(Reason.RESOLVING_HOSTNAME, true);
        assertThat(gate.isPausedBy(Reason.RESOLVING_HOSTNAME)).isTrue();
        gate.set(Reason.RESOLVING_HOSTNAME, false);
        assertThat(gate.isOpen()).isTrue();
    }

    @Test
    void reasonsIsACopy() {
        gate.pause(Reason.CLOSING);
        Set<Reason> before = gate.reasons();
        gate.resume(Reason.CLOSING);
        assertThat(before).containsExactly(Reason.CLOSING);
    }

    @Test
    void randomPausesAndResumesFollowTheModel() {
        long seed = 20261202L;
        Random random = new Random(seed);
        Reason[] all = Reason.values();
        EnumSet<Reason> model = EnumSet.noneOf(Reason.class);
        int expectedReads = 0;
        for (int step = 0; step < 5_000; step++) {
            Reason reason = all[random.nextInt(all.length)];
            boolean wasEmpty = model.isEmpty();
            int action = random.nextInt(3);
            if (action == 0) {
                gate.pause(reason);
                model.add(reason);
            } else if (action == 1) {
                gate.resume(reason);
                model.remove(reason);
            } else {
                EnumSet<Reason> next = EnumSet.noneOf(Reason.class);
                for (Reason r : all) {
                    if (random.nextInt(4) == 0) {
                        next.add(r);
                    }
                }
                gate.update(next);
                model.clear();
                model.addAll(next);
            }
            if (!wasEmpty && model.isEmpty()) {
                expectedReads++;
            }
            String at = "seed " + seed + ", step " + step;
            assertThat(gate.reasons()).as(at).isEqualTo(model);
            assertThat(channel.config().isAutoRead()).as(at).isEqualTo(model.isEmpty());
            assertThat(reads.count).as(at).isEqualTo(expectedReads);
        }
        assertThat(expectedReads).isPositive();
    }
}
