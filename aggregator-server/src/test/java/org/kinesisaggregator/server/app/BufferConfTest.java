package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.BufferSettings.ChunkKeys;
import org.kinesisaggregator.buffer.BufferSettings.OverflowAction;
import org.kinesisaggregator.buffer.Buffers;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.RetrySettings;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.server.output.NullOutput;
import org.kinesisaggregator.server.output.OutputDefaults;

/** {@code <buffer>} (v1) and v0.12 flat names → BufferSettings, captured at the BufferFactory. */
class BufferConfTest {
    @TempDir
    Path dir;

    private TestConfs confs;
    private final Map<String, BufferSettings> captured = new LinkedHashMap<>();
    private final Map<String, Output> secondaries = new LinkedHashMap<>();
    private Plugins plugins;

    @BeforeEach
    void setUp() {
        confs = new TestConfs(dir);
        plugins = Plugins.defaults()
                .withBufferFactory((id, settings, output, secondary, registry) -> {
                    captured.put(id, settings);
                    if (secondary != null) {
                        secondaries.put(id, secondary);
                    }
                    return Buffers.create(
                            id, settings, output, secondary, Clock.systemUTC(), new SimpleMeterRegistry());
                })
                // a Kinesis-like type for this test: buffered, 8m chunks by default (what kpl-bridge's factory does)
                .withOutput("kinesis_like", (e, ctx) -> {
                    e.markAllUsed();
                    return ctx.terminal(new NullOutput(), OutputDefaults.kinesis());
                });
    }

    @Test
    void theSeedsLegacySectionMapsOntoV1Names() throws Exception {
        Aggregator a = confs.assemble("""
        <match kinesis.**>
          type kinesis_like
          region ap-northeast-1
          stream_name YOUR_KINESIS_NAME
          include_tag_key true
          buffer_type file
          buffer_chunk_limit 1m
          buffer_queue_limit 512
          buffer_path ${dir}/buffer/
          flush_interval 15s
          try_flush_interval 1
          queued_chunk_flush_interval 1
          num_threads 1
          detach_process 1
        </match>
        """, plugins, false);
        BufferSettings s = captured.get("kinesis_like-kinesis.all");
        assertThat(s.type()).isEqualTo(BufferType.FILE);
        assertThat(s.path()).isEqualTo(dir.resolve("buffer").resolve("kinesis_like-kinesis.all"));
        assertThat(s.chunkLimitBytes()).isEqualTo(1024 * 1024);
        assertThat(s.queueLimitLength()).isEqualTo(512);
        assertThat(s.flushInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(s.flushThreadInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.flushThreadBurstInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.flushThreadCount()).isEqualTo(1);
        assertThat(a.warnings())
                .anySatisfy(w -> assertThat(w)
                        .isEqualTo(confs.conf() + ":14: parameter 'detach_process'"
                                + " in <match kinesis.**> has no effect (v0.12 forked flush processes; flush_thread_count sets the flush"
                                + " threads)"));
        assertThat(a.warnings()).anySatisfy(w -> assertThat(w).contains("<match kinesis.**> has no @id"));
    }

    @Test
    void legacyRetryAndOverflowNames() throws Exception {
        confs.assemble("""
        <match a>
          @type kinesis_like
          @id a
          retry_limit 7
          retry_wait 2s
          max_retry_wait 1m
          buffer_queue_full_action exception
          flush_at_shutdown true
        </match>
        <match b>
          @type kinesis_like
          @id b
          disable_retry_limit true
          buffer_queue_full_action drop_oldest_chunk
        </match>
        """, plugins, false);
        BufferSettings a = captured.get("a");
        assertThat(a.type()).isEqualTo(BufferType.MEMORY);
        assertThat(a.chunkLimitBytes()).isEqualTo(8L * 1024 * 1024);
        RetrySettings r = a.retry();
        assertThat(r.maxTimes()).isEqualTo(7);
        assertThat(r.initialWait()).isEqualTo(Duration.ofSeconds(2));
        assertThat(r.maxInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(a.overflowAction()).isEqualTo(OverflowAction.THROW_EXCEPTION);
        assertThat(a.flushAtShutdown()).isTrue();
        assertThat(captured.get("b").retry().forever()).isTrue();
        assertThat(captured.get("b").overflowAction()).isEqualTo(OverflowAction.DROP_OLDEST_CHUNK);
    }

    @Test
    void aFileOutputsBufferWithoutPathFallsBackToTheOutputsPathAsFluentdsOutFile() throws Exception {
        confs.assemble("""
        <match a.**>
          @type file
          @id plain
          path ${dir}/logs/access
        </match>
        <match b.**>
          @type file
          @id sliced
          path ${dir}/logs/${tag}/app.*.log
          <buffer tag,time>
            @type file
            timekey 1h
          </buffer>
        </match>
        <match c.**>
          @type file
          @id explicit
          path ${dir}/logs/c
          <buffer>
            path ${dir}/buf
          </buffer>
        </match>
        """, plugins, true);
        // out_file sets the file buffer's path to its own path (a directory: no '*' in it)
        assertThat(captured.get("plain").type()).isEqualTo(BufferSettings.BufferType.FILE);
        assertThat(captured.get("plain").path()).isEqualTo(dir.resolve("logs/access/plain"));
        // a placeholder component ends the directory
        assertThat(captured.get("sliced").path()).isEqualTo(dir.resolve("logs/sliced"));
        assertThat(captured.get("explicit").path()).isEqualTo(dir.resolve("buf/explicit"));
    }

    @Test
    void v1BufferSectionWithOurAdditions() throws Exception {
        confs.assemble("""
        <system>
          root_dir ${dir}/root
          shutdown_timeout 5s
        </system>
        <match a.**>
          @type kinesis_like
          @id ship
          <buffer tag>
            @type file
            chunk_limit_size 2m
            chunk_limit_records 1000
            total_limit_size 1g
            queued_chunks_limit_size 4
            flush_mode interval
            flush_interval 3s
            flush_thread_count 4
            overflow_action block
            retry_type periodic
            retry_timeout 1h
            retry_randomize false
            ack_durability write
            dedup_window 5m
            dedup_memory_limit 64m
          </buffer>
        </match>
        """, plugins, true);
        BufferSettings s = captured.get("ship");
        assertThat(s.path()).isEqualTo(dir.resolve("root/buffer/ship"));
        assertThat(s.chunkKeys()).isEqualTo(ChunkKeys.TAG);
        assertThat(s.chunkLimitBytes()).isEqualTo(2L * 1024 * 1024);
        assertThat(s.chunkLimitRecords()).isEqualTo(1000);
        assertThat(s.totalLimitBytes()).isEqualTo(1024L * 1024 * 1024);
        assertThat(s.queuedChunksLimitCount()).isEqualTo(4);
        assertThat(s.flushMode()).isEqualTo(BufferSettings.FlushMode.INTERVAL);
        assertThat(s.flushInterval()).isEqualTo(Duration.ofSeconds(3));
        assertThat(s.flushThreadCount()).isEqualTo(4);
        assertThat(s.overflowAction()).isEqualTo(OverflowAction.BLOCK);
        assertThat(s.retry().type()).isEqualTo(RetrySettings.RetryType.PERIODIC);
        assertThat(s.retry().timeout()).isEqualTo(Duration.ofHours(1));
        assertThat(s.retry().randomize()).isFalse();
        assertThat(s.ackDurability()).isEqualTo(BufferSettings.AckDurability.WRITE);
        assertThat(s.dedupWindow()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.dedupMemoryLimitBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(s.shutdownTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void errorsNameFileLineAndParameter() {
        String f = confs.conf();
        assertThatThrownBy(() -> confs.assemble("""
        <match a>
          @type kinesis_like
          buffer_chunk_limit 1m
          <buffer>
            chunk_limit_size 2m
          </buffer>
        </match>
        """, plugins, false))
                .isInstanceOf(ConfException.class)
                .hasMessage(f + ":3: buffer_chunk_limit: given both as a v0.12 parameter of <match a> and as"
                        + " 'chunk_limit_size' in <buffer> at " + f + ":5 (expected: one of them)");
        assertThatThrownBy(() -> confs.assemble(
                        "<match a>\n  @type kinesis_like\n  buffer_type file\n</match>\n", plugins, false))
                .hasMessage(f + ":1: <match a>: a file buffer needs a directory (expected: path in <buffer>"
                        + " (buffer_path), or root_dir in <system>)");
        assertThatThrownBy(() -> confs.assemble(
                        "<match a>\n  @type kinesis_like\n  <buffer time>\n  </buffer>\n</match>\n", plugins, false))
                .hasMessage(f + ":3: <buffer time>: chunk key 'time' needs timekey (expected: e.g. timekey 1h in"
                        + " <buffer>, the length of a time slice)");
        assertThatThrownBy(() -> confs.assemble(
                        "<match a>\n  @type kinesis_like\n  flush_interval soon\n</match>\n", plugins, false))
                .hasMessage(f + ":3: flush_interval: \"soon\" is not a time (expected: a number with"
                        + " optional s/m/h/d)");
        assertThatThrownBy(() -> confs.assemble(
                        "<match a>\n  @type kinesis_like\n  buffer_queue_full_action wait\n" + "</match>\n",
                        plugins,
                        false))
                .hasMessage(f + ":3: buffer_queue_full_action: \"wait\" is not one of"
                        + " throw_exception, block, drop_oldest_chunk");
        assertThatThrownBy(() -> confs.assemble(
                        "<match a>\n  @type kinesis_like\n  <buffer>\n    @type disk\n" + "  </buffer>\n</match>\n",
                        plugins,
                        false))
                .hasMessage(f + ":4: @type: \"disk\" is not a buffer type" + " (expected: file or memory)");
        assertThatThrownBy(() -> confs.assemble(
                        "<match a>\n  @type kinesis_like\n  <buffer>\n    dedup_memory_limit 100\n"
                                + "  </buffer>\n</match>\n",
                        plugins,
                        false))
                .hasMessage(f + ":4: dedup_memory_limit: 100 bytes (expected: 1k to 16g; about 32 bytes per"
                        + " remembered message)");
    }

    @Test
    void stdoutWithoutBufferIsUnbufferedAndWithOneIsBuffered() throws Exception {
        confs.assemble("""
        <match a>
          @type stdout
        </match>
        <match b>
          @type stdout
          @id buffered_stdout
          <buffer>
          </buffer>
        </match>
        """, plugins, true);
        assertThat(captured).containsOnlyKeys("buffered_stdout");
        assertThat(captured.get("buffered_stdout").chunkLimitBytes()).isEqualTo(10 * 1024);
        assertThat(captured.get("buffered_stdout").flushAtShutdown()).isTrue();
    }

    @Test
    void secondarySectionsParse() throws Exception {
        Aggregator a = confs.assemble("""
        <match a>
          @type kinesis_like
          @id with_dump
          <secondary>
            @type secondary_file
            directory ${dir}/failed
            basename dump.${chunk_id}
          </secondary>
        </match>
        <match b>
          @type kinesis_like
          @id with_file
          <secondary>
            @type file
            path ${dir}/secondary/b
          </secondary>
        </match>
        """, plugins, true);
        assertThat(secondaries.get("with_dump").type()).isEqualTo("secondary_file");
        assertThat(secondaries.get("with_file").type()).isEqualTo("file");
        assertThat(a.summary()).contains("secondary secondary_file").contains("secondary file");
        assertThatThrownBy(() -> confs.assemble(
                        "<match a>\n  @type kinesis_like\n  <secondary>\n    @type s3\n" + "  </secondary>\n</match>\n",
                        plugins,
                        false))
                .hasMessage(confs.conf() + ":4: @type: \"s3\" is not supported in <secondary> (expected: file or"
                        + " secondary_file)");
        assertThatThrownBy(() -> confs.assemble(
                        "<match a>\n  @type stdout\n  <secondary>\n    @type file\n"
                                + "    path /x\n  </secondary>\n</match>\n",
                        plugins,
                        false))
                .hasMessage(confs.conf() + ":3: <secondary> needs a buffered output (expected: a <buffer> section in"
                        + " <match a>)");
    }
}
