package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import org.kinesisaggregator.admin.ComponentMeters;
import org.kinesisaggregator.admin.PluginInfo;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfParam;
import org.kinesisaggregator.conf.ConfValues;
import org.kinesisaggregator.server.output.ChunkKeySpec;
import org.kinesisaggregator.server.output.OutputDefaults;
import org.kinesisaggregator.server.output.SyncOutputSink;
import org.kinesisaggregator.server.route.ChunkKeySink;
import org.kinesisaggregator.server.route.Router;

/**
 * What the factory of one output section ({@code <match>} or {@code <store>}) gets: its id, its
 * buffer mapped from {@code <buffer>} / v0.12 {@code buffer_*} ({@link BufferConf}) with its
 * {@code <secondary>}, a running output taken over on a reload ({@link Carryover}), nested outputs,
 * relabel targets ({@link LabelGraph}), the application's clock, zone, host name and standard
 * output, and the section's lines of the route summary ({@link RouteSummary.Block}).
 *
 * <p>One per output section; confined to the assembling thread.
 */
final class OutputSection implements OutputContext {
    private final Assembler a;
    private final ConfElement element;
    private final String outputId;
    private final String label;
    private final boolean explicitId;
    private final RouteSummary.Block block;
    private int stores;
    /** The meters of this section's output, buffer and secondary; made at the first registry() call. */
    private ComponentMeters meters;

    EventSink terminalSink;

    OutputSection(
            Assembler assembler,
            ConfElement element,
            String outputId,
            String label,
            boolean explicitId,
            RouteSummary.Block block) {
        this.a = assembler;
        this.element = element;
        this.outputId = outputId;
        this.label = label;
        this.explicitId = explicitId;
        this.block = block;
    }

    @Override
    public String outputId() {
        return outputId;
    }

    @Override
    public EventSink terminal(Output output, OutputDefaults defaults) {
        BufferConf.Mapped mapped = BufferConf.map(element, outputId, defaults, a.system, a.warnings);
        ConfElement bufferSection = element.element("buffer");
        List<String> chunkKeys = bufferSection == null ? List.of() : ChunkKeySpec.parse(bufferSection.arg());
        for (String param : defaults.placeholderParams()) {
            PlaceholderConf.check(element, param, chunkKeys);
        }
        if (defaults.placeholderParams().contains("stream_name")) {
            // Kinesis outputs: these name record fields
            PlaceholderConf.refuseIn(element, "partition_key");
            PlaceholderConf.refuseIn(element, "explicit_hash_key");
        }
        ConfElement secondarySection = element.element("secondary");
        if (secondarySection != null) {
            for (String param : List.of("path", "basename", "directory")) {
                PlaceholderConf.check(secondarySection, param, chunkKeys);
            }
        }
        List<String> recordKeys = ChunkKeySpec.recordKeys(chunkKeys);
        TimekeyConf.TimeSlices slices =
                defaults.chunkKeysHandledByOutput().contains("time") ? null : TimekeyConf.of(element, a.env.zone());
        if (slices != null && mapped != null) {
            // Fluentd's rule for time-sliced chunks: sealed once the slice ended and timekey_wait passed
            mapped = new BufferConf.Mapped(
                    mapped.settings().toBuilder()
                            .timeSlices(slices.timekey(), slices.timekeyWait())
                            .build(),
                    mapped.description(),
                    mapped.pathLocation(),
                    mapped.renamed(),
                    mapped.values());
        }
        List<Object> key = List.of(
                label,
                outputId,
                LoadedConf.sectionText(element),
                mapped == null ? "unbuffered" : mapped.settings(),
                String.valueOf(a.system.rootDir()));
        Terminal running = a.carryover.claimTerminal(key);
        if (running != null) {
            // the output this section made is dropped unstarted: the running one stays
            output = running.output();
            a.carryover.carry(output);
            if (meters != null) {
                meters.discard();
            }
            meters = running.meters();
            a.carryover.carryMeters(meters);
        } else if (meters == null) {
            meters = new ComponentMeters(a.env.registry());
        }
        a.outputs.add(new Named<>(outputId, output));
        if (mapped == null) {
            SyncOutputSink sync = running != null && running.sink() instanceof SyncOutputSink s
                    ? s
                    : new SyncOutputSink(outputId, output, a.env.clock());
            a.terminals.add(new Terminal(key, outputId, output, null, null, sync, meters));
            a.pluginInfos.add(new PluginInfo(
                    outputId, "output", output.type(), PluginConfig.of(element), null, sync::counters, null));
            if (element.element("secondary") != null) {
                throw new ConfException(
                        element.element("secondary").location(),
                        "<secondary> needs a buffered output" + " (expected: a <buffer> section in "
                                + element.describe() + ")");
            }
            block.line("unbuffered (written synchronously; the ack waits for it)");
            terminalSink = sync;
            return terminalSink;
        }
        if (!explicitId && mapped.settings().type() == BufferSettings.BufferType.FILE) {
            a.warnings.add(element.location() + ": " + element.describe() + " has no @id: its buffer directory "
                    + mapped.settings().path()
                    + " is derived from its pattern and type, so changing either moves the"
                    + " buffer; set @id");
        }
        ConfElement sec = element.element("secondary");
        Output secondary = sec == null ? null : a.secondary(sec, outputId);
        if (running != null && running.secondary() != null) {
            secondary = running.secondary();
            a.carryover.carry(secondary);
        }
        if (secondary != null) {
            a.outputs.add(new Named<>(outputId + "-secondary", secondary));
        }
        if (mapped.settings().type() == BufferSettings.BufferType.FILE) {
            a.environment.writableDirectory(
                    mapped.pathLocation(), "path", mapped.settings().path());
        }
        EventBuffer buffer = running != null && running.buffer() != null
                ? running.buffer()
                : a.bufferFactory.create(outputId, mapped.settings(), output, secondary, meters.registry());
        if (running != null) {
            a.carryover.carry(buffer);
        }
        a.terminals.add(new Terminal(key, outputId, output, secondary, buffer, buffer, meters));
        a.buffers.add(new Named<>(outputId, buffer));
        a.pluginInfos.add(new PluginInfo(outputId, "output", output.type(), PluginConfig.of(element), buffer::stats));
        block.line("buffer " + mapped.description());
        block.buffer(mapped);
        String slowDrain = DryRunReport.drainWarning(element, mapped.settings());
        if (slowDrain != null) {
            a.warnings.add(slowDrain);
        }
        if (secondary != null) {
            block.line("secondary " + secondary.type());
        }
        if (!recordKeys.isEmpty() || slices != null) {
            // a chunk per distinct values of the record keys (Fluentd's metadata variables)
            // and per time slice (Fluentd's metadata timekey)
            terminalSink = slices == null
                    ? new ChunkKeySink(buffer, recordKeys)
                    : new ChunkKeySink(buffer, recordKeys, slices.timekey(), slices.zone());
            List<String> shown = new ArrayList<>(recordKeys);
            if (slices != null) {
                shown.add("time (timekey " + ConfValues.formatTime(slices.timekey()) + " in " + slices.zone() + ")");
            }
            block.line("chunk keys " + String.join(", ", shown)
                    + ": a chunk per distinct values, at most "
                    + mapped.settings().stagedChunksLimit()
                    + " staged at once");
            return terminalSink;
        }
        terminalSink = buffer;
        return buffer;
    }

    @Override
    public EventSink child(ConfElement child) {
        stores++;
        String id = child.has("@id") ? null : a.ids.store(outputId, stores);
        return a.output(child, label, id, block.nested());
    }

    @Override
    public EventSink label(String name, ConfElement referencedFrom) {
        Router target = a.labels.relabel(label, name, referencedFrom);
        block.line("to label " + name);
        return target;
    }

    @Override
    public OutputStream stdout() {
        return a.env.stdout();
    }

    @Override
    public ZoneId timekeyZone() {
        TimekeyConf.TimeSlices slices = TimekeyConf.of(element, a.env.zone());
        return slices == null ? null : slices.zone();
    }

    @Override
    public ZoneId zone() {
        return a.env.zone();
    }

    @Override
    public MeterRegistry registry() {
        if (meters == null) {
            meters = new ComponentMeters(a.env.registry());
        }
        return meters.registry();
    }

    @Override
    public Clock clock() {
        return a.env.clock();
    }

    @Override
    public String hostname() {
        return a.env.hostname();
    }

    @Override
    public Path rootDir() {
        return a.system.rootDir();
    }

    @Override
    public void warn(String paramName, String message) {
        ConfParam p = element.params().get(paramName);
        a.warnings.add((p == null ? element.location() : p.location()) + ": parameter '" + paramName + "' in "
                + element.describe() + " " + message);
    }

    @Override
    public void note(String message) {
        block.line(message);
    }
}
