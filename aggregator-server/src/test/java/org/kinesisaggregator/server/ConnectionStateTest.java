package org.kinesisaggregator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.kinesisaggregator.server.ConnectionState.CLOSED;
import static org.kinesisaggregator.server.ConnectionState.CLOSE_WHEN_SETTLED;
import static org.kinesisaggregator.server.ConnectionState.DRAINING;
import static org.kinesisaggregator.server.ConnectionState.FAILED;
import static org.kinesisaggregator.server.ConnectionState.FAILED_CLOSE_WHEN_SETTLED;
import static org.kinesisaggregator.server.ConnectionState.NEW;
import static org.kinesisaggregator.server.ConnectionState.OPEN;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The transitions of {@link ConnectionState}: each from the states it names, none from {@code NEW} but activate. */
class ConnectionStateTest {

    @ParameterizedTest(name = "{0}: drain {1}, closeWhenSettled {2}, fail {3}")
    @CsvSource({
        "OPEN,                      DRAINING,                  CLOSE_WHEN_SETTLED,        FAILED",
        "DRAINING,                  DRAINING,                  CLOSE_WHEN_SETTLED,        FAILED",
        "CLOSE_WHEN_SETTLED,        CLOSE_WHEN_SETTLED,        CLOSE_WHEN_SETTLED,        FAILED_CLOSE_WHEN_SETTLED",
        "FAILED,                    FAILED,                    FAILED_CLOSE_WHEN_SETTLED, FAILED",
        "FAILED_CLOSE_WHEN_SETTLED, FAILED_CLOSE_WHEN_SETTLED, FAILED_CLOSE_WHEN_SETTLED, FAILED_CLOSE_WHEN_SETTLED",
        "CLOSED,                    CLOSED,                    CLOSED,                    CLOSED",
    })
    void transitions(ConnectionState from, ConnectionState drained, ConnectionState closing, ConnectionState failed) {
        assertThat(from.drain()).isEqualTo(drained);
        assertThat(from.closeWhenSettled()).isEqualTo(closing);
        assertThat(from.fail()).isEqualTo(failed);
        assertThat(from.close()).isEqualTo(CLOSED);
    }

    @Test
    void onlyNewActivates() {
        assertThat(NEW.activate()).isEqualTo(OPEN);
        for (ConnectionState state : ConnectionState.values()) {
            if (state != NEW) {
                assertThatThrownBy(state::activate)
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessage("connection state: activate from " + state
                                + " (expected: a state this transition is defined for)");
            }
        }
    }

    @Test
    void nothingButActivateLeavesNew() {
        assertThatThrownBy(NEW::drain).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(NEW::closeWhenSettled).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(NEW::fail).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(NEW::close).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @EnumSource(ConnectionState.class)
    void predicatesMatchTheFlagsTheyReplace(ConnectionState state) {
        assertThat(state.isActive()).isEqualTo(state != NEW && state != CLOSED);
        assertThat(state.isFailed()).isEqualTo(state == FAILED || state == FAILED_CLOSE_WHEN_SETTLED);
        assertThat(state.closesWhenSettled())
                .isEqualTo(state == CLOSE_WHEN_SETTLED || state == FAILED_CLOSE_WHEN_SETTLED);
        assertThat(state.stopsReading()).isEqualTo(state.isFailed() || state.closesWhenSettled());
        assertThat(state.stopsReading())
                .isEqualTo(state != NEW && state != OPEN && state != DRAINING && state != CLOSED);
    }
}
