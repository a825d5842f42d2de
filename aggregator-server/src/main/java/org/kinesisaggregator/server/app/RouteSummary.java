package org.kinesisaggregator.server.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.kinesisaggregator.conf.ConfElement;

/**
 * The route summary {@code --dry-run} prints and the start-up log repeats ({@code Conf: …} lines):
 * {@code <system>}, then the sources, then each label's filters and outputs with what their
 * factories noted, nested under the output that owns them (a {@code <store>} of a copy under the
 * copy). The lines about one plugin's values come from {@link DryRunReport}.
 *
 * <p>Confined to the assembling thread; {@link #text} is read once the conf is mapped.
 */
final class RouteSummary {
    private static final Set<String> SOURCE_PARAMS_SHOWN_ELSEWHERE = Set.of("@type", "type");

    private final List<String> sourceLines = new ArrayList<>();
    private final Map<String, List<String>> routeLines = new LinkedHashMap<>();

    /**
     * A source's line ({@code "forward 0.0.0.0:24224 → @ROOT (file:3)"}, without indentation) and
     * the effective values of its section.
     */
    void source(String line, ConfElement section) {
        sourceLines.add("  " + line);
        sourceLines.addAll(DryRunReport.parameters(section, SOURCE_PARAMS_SHOWN_ELSEWHERE, "    "));
    }

    /** A source's line without a parameters list (the Prometheus monitors: they have nothing to show). */
    void source(String line) {
        sourceLines.add("  " + line);
    }

    /** The lines of {@code label}'s routes, in file order; the label is listed even without any. */
    Routes routes(String label) {
        return new Routes(routeLines.computeIfAbsent(label, k -> new ArrayList<>()));
    }

    /** The whole summary, one line per {@code \n}-terminated line. */
    String text(SystemSettings system) {
        StringBuilder sb = new StringBuilder();
        DryRunReport.system(system, "").forEach(l -> sb.append(l).append('\n'));
        sb.append("sources:\n");
        if (sourceLines.isEmpty()) {
            sb.append("  (none)\n");
        }
        sourceLines.forEach(l -> sb.append(l).append('\n'));
        for (Map.Entry<String, List<String>> r : routeLines.entrySet()) {
            sb.append("routes of ").append(r.getKey()).append(":\n");
            if (r.getValue().isEmpty()) {
                sb.append("  (none)\n");
            }
            r.getValue().forEach(l -> sb.append(l).append('\n'));
        }
        return sb.toString();
    }

    /** One label's routes. */
    static final class Routes {
        private final List<String> lines;

        private Routes(List<String> lines) {
            this.lines = lines;
        }

        /** A {@code <filter>}: its description and type. */
        void filter(String description, String type) {
            lines.add("  " + description + " " + type);
        }

        /** A {@code <match>} whose output (mapped without error) wrote {@code output}. */
        void match(String description, Block output) {
            lines.add("  " + description);
            lines.addAll(output.lines);
        }
    }

    /**
     * The lines of one output section, indented under its {@code <match>} (or its copy): gathered
     * while the output is mapped and added to the routes only if it mapped without error.
     */
    static final class Block {
        private final List<String> lines;
        private final String indent;

        private Block(List<String> lines, String indent) {
            this.lines = lines;
            this.indent = indent;
        }

        /** The block of a {@code <match>}'s output. */
        static Block ofMatch() {
            return new Block(new ArrayList<>(), "    ");
        }

        /** The block of an output nested in this one ({@code <store>}): its lines go here, indented once more. */
        Block nested() {
            return new Block(lines, indent + "  ");
        }

        /** {@code → TYPE [id ID]}: the output's heading. */
        void heading(String type, String outputId) {
            lines.add(indent + "→ " + type + " [id " + outputId + "]");
        }

        /** A line about the output ({@code buffer …}, {@code to label …}, a factory's note). */
        void line(String text) {
            lines.add(indent + "  " + text);
        }

        /** The effective values of the output's section, without {@code skip}. */
        void parameters(ConfElement section, Set<String> skip) {
            lines.addAll(DryRunReport.parameters(section, skip, indent + "  "));
        }

        /** The buffer's v0.12 names, values and drain ceiling ({@link DryRunReport#buffer}). */
        void buffer(BufferConf.Mapped mapped) {
            lines.addAll(DryRunReport.buffer(mapped, indent + "    "));
        }
    }
}
