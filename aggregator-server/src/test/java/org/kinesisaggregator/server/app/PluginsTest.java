package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.server.output.FileOutput;

/**
 * Sources (admin and generated ones too), filters and {@code <secondary>} outputs go through
 * {@link Plugins} as outputs do: a registered type is used, and the unknown-type errors list what is
 * registered.
 */
class PluginsTest {
    @RegisterExtension
    final AggregatorFixture fx = new AggregatorFixture();

    @Test
    void aFilterTypeRegisteredInPluginsIsUsedAndNamedInTheUnknownTypeError() throws Exception {
        List<String> made = new ArrayList<>();
        FilterFactory grep = Plugins.defaults().filters().get("grep");
        Plugins plugins = Plugins.defaults().withFilter("only_errors", (e, env) -> {
            made.add(e.location().toString());
            return grep.create(e, env);
        });
        Aggregator app = fx.assemble("""
                <filter app.**>
                  @type only_errors
                  <regexp>
                    key level
                    pattern /error/
                  </regexp>
                </filter>
                """ + AggregatorFixture.fileOutput("app.**", "app"), plugins, true);
        assertThat(made).singleElement().asString().contains("test.conf:1");
        assertThat(app.router(org.kinesisaggregator.server.route.Router.ROOT_LABEL)
                        .describeRoute("app.x"))
                .contains("grep");

        assertThatThrownBy(() -> fx.assemble("<filter **>\n  @type nope\n</filter>\n", plugins, true))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("test.conf:2")
                .hasMessageContaining(
                        "unknown filter type \"nope\" (known: grep, record_transformer, stdout, parser, only_errors)");
    }

    @Test
    void everySourceTypeComesFromTheRegistryWhichCanReplaceABuiltInOne() throws Exception {
        assertThat(Plugins.defaults().sources().keySet())
                .containsExactly(
                        "forward",
                        "sample",
                        "dummy",
                        "http",
                        "monitor_agent",
                        "prometheus",
                        "prometheus_monitor",
                        "prometheus_output_monitor");
        List<String> made = new ArrayList<>();
        Plugins plugins = Plugins.defaults().withSource("monitor_agent", source -> {
            made.add(source.type() + " " + source.element().string("tag", null));
            source.monitorLabels(java.util.Map.of(), false);
        });
        Aggregator app = fx.assemble("""
                <source>
                  @type monitor_agent
                  tag replaced
                </source>
                """ + AggregatorFixture.fileOutput("app.**", "app"), plugins, true);
        assertThat(made).containsExactly("monitor_agent replaced");
        assertThat(app.inputs(org.kinesisaggregator.admin.AdminServer.class)).isEmpty();
        assertThat(app.summary()).contains("monitor_agent (fluentd_status_* on every admin source's /metrics)");
    }

    @Test
    void aSecondaryTypeRegisteredInPluginsGetsThePrimarysSecondaryIdAndIsNamedInTheError() throws Exception {
        List<String> ids = new ArrayList<>();
        Plugins plugins = Plugins.defaults().withSecondary("archive", (e, id, env) -> {
            ids.add(id);
            return new FileOutput(id, FileOutputConf.settings(e, env.zone(), env.hostname()));
        });
        String conf = """
                <match app.**>
                  @type file
                  @id primary
                  path ${dir}/out/app
                  <buffer>
                    @type memory
                  </buffer>
                  <secondary>
                    @type TYPE
                    path ${dir}/failed/app
                  </secondary>
                </match>
                """;
        fx.assemble(conf.replace("TYPE", "archive"), plugins, true);
        assertThat(ids).containsExactly("primary-secondary");

        assertThatThrownBy(() -> fx.assemble(conf.replace("TYPE", "nope"), plugins, true))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("test.conf:9")
                .hasMessageContaining(
                        "\"nope\" is not supported in <secondary> (expected: file or secondary_file or" + " archive)");
    }
}
