package org.kinesisaggregator.server.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.kinesisaggregator.server.output.FileOutput;
import org.kinesisaggregator.server.output.NullOutput;
import org.kinesisaggregator.server.output.OutputDefaults;
import org.kinesisaggregator.server.output.StdoutOutput;
import org.kinesisaggregator.server.route.FanOutSink;

/**
 * The output types of this module: {@code stdout}, {@code file}, {@code null}, {@code copy},
 * {@code relabel}, and {@code forward} (relaying to another tier; mapped by {@link ForwardOutputConf}).
 * Stateless.
 */
public final class BuiltinOutputs {
    private BuiltinOutputs() {}

    /** Fluentd's out_stdout buffer defaults, used when it has a {@code <buffer>}: tag chunks, flush at shutdown. */
    public static final OutputDefaults STDOUT = new OutputDefaults(true, 10 * 1024, true, Set.of(), false);
    /** out_null: unbuffered unless it has a {@code <buffer>}. */
    public static final OutputDefaults NULL = new OutputDefaults(true, 0, null, Set.of(), false);
    /** out_file: always buffered; slices files by time itself. */
    public static final OutputDefaults FILE = new OutputDefaults(false, 0, null, Set.of("time"), true, Set.of("path"));

    /** The factories by type, in the order {@code --help} lists them. */
    public static Map<String, OutputFactory> factories() {
        Map<String, OutputFactory> m = new LinkedHashMap<>();
        m.put("stdout", BuiltinOutputs::stdout);
        m.put("file", BuiltinOutputs::file);
        m.put("null", (e, ctx) -> ctx.terminal(new NullOutput(), NULL));
        m.put("copy", BuiltinOutputs::copy);
        m.put("relabel", BuiltinOutputs::relabel);
        m.put("forward", ForwardOutputConf::create);
        return m;
    }

    private static EventSink stdout(ConfElement e, OutputContext ctx) {
        e.bool("use_logger", true); // Fluentd writes through its logger; we always write to standard output
        FormatSettings format = FormatConf.fileOrStdout(e, FormatSettings.Format.STDOUT, ctx.zone(), ctx.hostname());
        return ctx.terminal(new StdoutOutput(ctx.outputId(), format, ctx.stdout()), STDOUT);
    }

    private static EventSink file(ConfElement e, OutputContext ctx) {
        FileOutput.Settings settings = FileOutputConf.settings(e, ctx.zone(), ctx.hostname());
        ctx.note("writes " + settings.pathTemplate() + (settings.append() ? " (append)" : ""));
        return ctx.terminal(new FileOutput(ctx.outputId(), settings), FILE);
    }

    private static EventSink copy(ConfElement e, OutputContext ctx) {
        // copy_mode: every store reads the same immutable bytes, so no_copy/shallow/deep/marshal are the same here.
        e.choice("copy_mode", "no_copy", List.of("no_copy", "shallow", "deep", "marshal"));
        e.bool("deep_copy", false);
        List<ConfElement> stores = e.elements("store");
        if (stores.isEmpty()) {
            throw e.error("has no <store> (expected: at least one <store> section)");
        }
        List<FanOutSink.Member> members = new ArrayList<>();
        for (ConfElement store : stores) {
            String flag = store.arg().trim();
            boolean ignoreError = flag.equals("ignore_error") || store.bool("ignore_error", false);
            boolean ignoreIfPrevSuccess =
                    flag.equals("ignore_if_prev_success") || store.bool("ignore_if_prev_success", false);
            if (!flag.isEmpty() && !flag.equals("ignore_error") && !flag.equals("ignore_if_prev_success")) {
                throw new ConfException(
                        store.location(),
                        "<store " + flag + ">: unknown argument (expected: ignore_error or ignore_if_prev_success)");
            }
            if (ignoreIfPrevSuccess && members.isEmpty()) {
                throw new ConfException(
                        store.location(),
                        "the first <store> cannot be ignore_if_prev_success (expected: a store before it)");
            }
            members.add(new FanOutSink.Member(
                    ctx.child(store),
                    ignoreError,
                    ignoreIfPrevSuccess,
                    store.describe() + " (" + store.location() + ")"));
        }
        return new FanOutSink(members);
    }

    private static EventSink relabel(ConfElement e, OutputContext ctx) {
        String label = e.string("@label", null);
        if (label == null) {
            throw e.missing("@label");
        }
        return ctx.label(label, e);
    }
}
