package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.conf.ConfErrors;
import org.kinesisaggregator.conf.ConfException;

/**
 * What a conf tells the person who wrote it: every error of a run at once in file order, the effective
 * values (defaults marked), the v0.12 names as applied, credentials, drain ceilings, and the
 * {@code workers} / {@code <worker>} directives of Fluentd's multi-process mode.
 */
class ConfFeedbackTest {
    @TempDir
    Path dir;

    private TestConfs confs;
    private String f;

    @BeforeEach
    void setUp() {
        confs = new TestConfs(dir);
        f = confs.conf();
    }

    @Test
    void everyErrorOfTheConfIsReportedAtOnceInFileOrder() {
        String conf = """
                <match late.**>
                  @type file
                  path ${dir}/out
                  <buffer>
                    flush_interval abc
                    overflow_action explode
                    chunk_limit_size 1q
                  </buffer>
                </match>
                <filter x.**>
                  @type nonsense
                </filter>
                <match k.**>
                  @type kinesis_producer
                  region ap-northeast-1
                </match>
                <nonsense>
                </nonsense>
                <source>
                  @type forward
                  port many
                  skip_invalid_event maybe
                </source>
                """;
        assertThatThrownBy(() -> confs.assemble(conf))
                .isInstanceOf(ConfErrors.class)
                .satisfies(t -> {
                    List<String> messages = ((ConfErrors) t)
                            .errors().stream().map(ConfException::getMessage).toList();
                    assertThat(messages)
                            .containsExactly(
                                    f + ":5: flush_interval: \"abc\" is not a time (expected: a number with optional"
                                            + " s/m/h/d)",
                                    f + ":6: overflow_action: \"explode\" is not one of throw_exception, block,"
                                            + " drop_oldest_chunk",
                                    f + ":7: chunk_limit_size: \"1q\" is not a size (expected: an integer with"
                                            + " optional k/m/g/t)",
                                    f + ":11: @type: unknown filter type \"nonsense\" (known: grep,"
                                            + " record_transformer, stdout, parser)",
                                    f + ":13: <match k.**>: missing required parameter 'stream_name'",
                                    f + ":17: unknown directive <nonsense> (expected: source, match, filter, label,"
                                            + " system or worker)",
                                    f + ":21: port: \"many\" is not an integer (expected: digits with an optional"
                                            + " sign)",
                                    f + ":22: skip_invalid_event: \"maybe\" is not a boolean (expected: true, false,"
                                            + " yes or no)");
                    assertThat(t.getMessage()).startsWith("8 errors, in file order:\n  " + f + ":5: flush_interval");
                });
    }

    @Test
    void oneErrorKeepsItsOneLineMessage() {
        assertThatThrownBy(() -> confs.assemble(
                        "<match a>\n  @type null\n  <buffer>\n    flush_interval x\n" + "  </buffer>\n</match>\n"))
                .isExactlyInstanceOf(ConfException.class)
                .hasMessageStartingWith(f + ":4: flush_interval: \"x\" is not a time");
    }

    @Test
    void strictUnusedParametersAreReportedTogetherSorted() {
        assertThatThrownBy(() -> confs.assemble(
                        "<match b>\n  @type null\n  colour blue\n</match>\n<match a>\n  @type null\n  size 2\n</match>\n",
                        Plugins.defaults(),
                        true))
                .isInstanceOf(ConfErrors.class)
                .hasMessageContaining(f + ":3: parameter 'colour' in <match b> is not used.")
                .hasMessageContaining(f + ":7: parameter 'size' in <match a> is not used.");
    }

    @Test
    void theSeedsLegacyNamesDefaultsAndDrainCeilingAreShown() throws Exception {
        Aggregator a = confs.assemble("""
                <match kinesis.**>
                  type kinesis_producer
                  region ap-northeast-1
                  stream_name S
                  buffer_type file
                  buffer_chunk_limit 1m
                  buffer_queue_limit 512
                  buffer_path ${dir}/buffer/
                  flush_interval 15s
                  try_flush_interval 1
                  queued_chunk_flush_interval 1
                  num_threads 1
                </match>
                """);
        String summary = a.summary();
        assertThat(summary)
                .contains("v0.12 names applied: buffer_type → @type (" + f + ":5),")
                .contains("buffer_path → path (" + f + ":8),")
                .doesNotContain("flush_interval → flush_interval")
                .contains("buffer_chunk_limit → chunk_limit_size (" + f + ":6)")
                .contains("num_threads → flush_thread_count (" + f + ":12)")
                .contains("queued_chunk_flush_interval → flush_thread_burst_interval (" + f + ":11)")
                .contains("chunk_limit_size 1m,")
                .contains("retry_wait 1s (default)")
                .contains("retry_timeout 3d (default)")
                .contains("region ap-northeast-1,")
                .contains("ssl_verify_peer true (default)")
                .contains(
                        "backlog drain ceiling: flush_thread_count 1 × chunk_limit_size 1m /"
                                + " flush_thread_burst_interval 1s = 1.0 MiB/s (1,048,576 B/s, ~5,242 events/s at ~200 B/event)")
                .contains("credentials: the AWS SDK's default chain (no credentials in the conf); here it finds ")
                .startsWith("system: log_level info (default), workers 0 (default: one event-loop thread per core)");
        assertThat(a.warnings())
                .anySatisfy(w -> assertThat(w)
                        .startsWith(f + ":1: <match kinesis.**>: its buffer drains a backlog at most at 1.0 MiB/s")
                        .contains("50× below what one node ingests (50.0 MiB/s, docs/operations.md)"));
    }

    @Test
    void aFastEnoughDrainGetsNoWarning() throws Exception {
        Aggregator a = confs.assemble("<match k.**>\n  @type kinesis_streams_aggregated\n  stream_name S\n"
                + "  region eu-west-1\n  <buffer>\n    flush_thread_count 8\n  </buffer>\n</match>\n");
        assertThat(a.summary()).contains("= 64.0 MiB/s (67,108,864 B/s, ~335,544 events/s");
        assertThat(a.warnings()).noneMatch(w -> w.contains("drains a backlog"));
    }

    @Test
    void drainCeilingIsThreadsTimesChunkOverBurstInterval() {
        BufferSettings s = BufferSettings.builder(BufferSettings.BufferType.MEMORY, null)
                .flushThreadCount(4)
                .chunkLimitBytes(2L * 1024 * 1024)
                .flushThreadBurstInterval(Duration.ofMillis(500))
                .build();
        assertThat(DryRunReport.drainCeilingBytesPerSecond(s)).isEqualTo(16L * 1024 * 1024);
        BufferSettings unlimited =
                s.toBuilder().flushThreadBurstInterval(Duration.ZERO).build();
        assertThat(DryRunReport.drainLine(unlimited)).startsWith("backlog drain ceiling: none from the buffer");
    }

    @Test
    void staticKeysAreNamedButTheSecretNeverShows() throws Exception {
        Aggregator a = confs.assemble(
                "<match k.**>\n  @type kinesis_streams\n  stream_name S\n  region eu-west-1\n"
                        + "  aws_key_id AKIAIOSFODNN7EXAMPLE\n  aws_sec_key wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\n</match>\n");
        assertThat(a.summary())
                .contains("credentials: aws_key_id/aws_sec_key in the conf (key id AKIA…MPLE; secrets not shown)")
                .contains("aws_sec_key ****")
                .doesNotContain("wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY");
    }

    @Test
    void timeSliceWaitIsTimekeyWait() throws Exception {
        Aggregator a = confs.assemble("<match f.**>\n  @type file\n  path ${dir}/out\n  time_slice_format %Y%m%d\n"
                + "  time_slice_wait 10m\n  buffer_path ${dir}/b\n</match>\n");
        assertThat(a.summary()).contains("time_slice_wait → timekey_wait (" + f + ":5)");
        assertThat(a.warnings()).noneMatch(w -> w.contains("time_slice_wait"));
        assertThatThrownBy(() -> confs.assemble(
                        "<match f.**>\n  @type file\n  path ${dir}/out\n" + "  time_slice_wait soon\n</match>\n"))
                .hasMessageStartingWith(f + ":4: time_slice_wait: \"soon\" is not a time");
    }

    @Test
    void workersAboveOneSayOneProcessRuns() throws Exception {
        Aggregator a = confs.assemble("<system>\n  workers 4\n</system>\n<match a>\n  @type null\n</match>\n");
        assertThat(a.warnings())
                .anySatisfy(w -> assertThat(w)
                        .startsWith(f + ":2: <system> workers 4: Fluentd would start 4 worker processes; this"
                                + " aggregator runs one process")
                        .contains("run more nodes behind the load balancer"));
        assertThat(a.system().workers()).isEqualTo(4);
    }

    @Test
    void workerSectionsOfWorkerZeroApplyAndOthersAreIgnoredWithAWarning() throws Exception {
        Aggregator a = confs.assemble("""
                <system>
                  workers 4
                </system>
                <worker 0>
                  <match zero.**>
                    @type null
                  </match>
                </worker>
                <worker 0-3>
                  <match all.**>
                    @type null
                  </match>
                </worker>
                <worker 1-3>
                  <match others.**>
                    @type stdout
                    colour blue
                  </match>
                </worker>
                """);
        assertThat(a.summary())
                .contains("<match zero.**>")
                .contains("<match all.**>")
                .doesNotContain("others");
        assertThat(a.warnings())
                .contains(f + ":14: <worker 1-3> names only workers other than 0: its 1 directives are ignored (one"
                        + " process runs here: worker 0)")
                .contains(f + ":9: <worker 0-3>: its directives apply once, in the one process (Fluentd would run"
                        + " them in each of workers 0-3)")
                .noneMatch(w -> w.contains("colour"));
        assertThatThrownBy(() -> confs.assemble("<worker 1>\n  <match a>\n    @type null\n  </match>\n</worker>\n"))
                .hasMessageStartingWith(f + ":1: <worker 1>: worker ids 1 (expected: ids between 0 and 0");
        assertThatThrownBy(() -> confs.assemble("<worker 0>\n  <system>\n  </system>\n</worker>\n"))
                .hasMessage(f + ":2: <system> inside <worker 0> (expected: source, match, filter or label)");
    }
}
