package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.app.AggregatorFixture.SYSTEM;
import static org.kinesisaggregator.server.app.AggregatorFixture.fileOutput;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kinesisaggregator.conf.ConfException;

/**
 * {@code <source> @type sample} / {@code dummy} in a running application, shaped like Fluentd's own
 * {@code example/} confs: the generated events reach a file output in turn, numbered by
 * {@code auto_increment_key}, and are counted as input.
 */
class SampleInputTest {
    @RegisterExtension
    final AggregatorFixture app = new AggregatorFixture();

    private Aggregator aggregator;

    private static final String OUTPUT = SYSTEM + fileOutput("dummy.**", "dummy");

    private List<String> lines() throws IOException {
        return app.outputLines("dummy");
    }

    @Test
    void dummyGeneratesTheSamplesInTurnNumberedAndCounted() throws Exception {
        aggregator = app.start("""
                <source>
                  @type dummy
                  tag dummy.app
                  rate 20
                  size 2
                  auto_increment_key seq
                  dummy [{"msg":"a"},{"msg":"b","n":1}]
                </source>
                """ + OUTPUT);
        await().atMost(Duration.ofSeconds(20)).until(() -> lines().size() >= 6);
        assertThat(lines().subList(0, 4))
                .containsExactly(
                        "{\"msg\":\"a\",\"seq\":0}",
                        "{\"msg\":\"b\",\"n\":1,\"seq\":1}",
                        "{\"msg\":\"a\",\"seq\":2}",
                        "{\"msg\":\"b\",\"n\":1,\"seq\":3}");
        aggregator.close();
        double counted = app.registry()
                .get("fluentd.input.status.num.records")
                .tag("tag", "dummy.app")
                .counter()
                .count();
        assertThat(counted).isGreaterThanOrEqualTo(6.0);
        assertThat(aggregator.summary()).contains("dummy dummy.app (20 events/s) → @ROOT");
    }

    @Test
    void sampleDefaultsToFluentdsRecord() throws Exception {
        aggregator = app.start("<source>\n  @type sample\n  tag dummy.default\n</source>\n" + OUTPUT);
        await().atMost(Duration.ofSeconds(20)).until(() -> !lines().isEmpty());
        assertThat(lines().get(0)).isEqualTo("{\"message\":\"sample\"}");
    }

    @Test
    void confErrorsNameFileLineAndParameter() {
        assertThatThrownBy(() -> app.assemble("<source>\n  @type sample\n  tag t\n  sample nope\n</source>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(app.conf() + ":4")
                .hasMessageContaining("sample: not JSON");
        assertThatThrownBy(() -> app.assemble("<source>\n  @type dummy\n  tag t\n  dummy [{\"a\":1}, 2]\n</source>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(app.conf() + ":4")
                .hasMessageContaining("dummy: element 1, 2, is not a hash");
        assertThatThrownBy(() -> app.assemble("<source>\n  @type sample\n</source>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(app.conf() + ":1")
                .hasMessageContaining("missing required parameter 'tag'");
    }
}
