package org.kinesisaggregator.server.app;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfParam;
import org.kinesisaggregator.kinesis.format.ChunkPlaceholders;
import org.kinesisaggregator.server.output.ChunkKeySpec;

/**
 * Start-up checks of chunk placeholders in output parameters (out_file's {@code path}, Kinesis'
 * {@code stream_name}, secondary_file's {@code basename} and {@code directory}), as Fluentd's
 * {@code placeholder_validate!} does: a {@code ${KEY}} that no record chunk key of the output's
 * {@code <buffer KEYS>} provides, or a {@code ${...}} that is no placeholder (Ruby), is a conf error
 * naming the file, line and parameter — never a literal directory named {@code ${$.log_path}}.
 *
 * <p>{@code ${tag}} and {@code ${tag[N]}} are accepted without the {@code tag} chunk key (outputs
 * here resolve them per event), where Fluentd would refuse them. Stateless.
 */
final class PlaceholderConf {
    private PlaceholderConf() {}

    /**
     * Checks {@code param} of {@code element} (when set) against {@code chunkKeys}, the keys of the
     * {@code <buffer>} that feeds it (tag, time and record keys, as written).
     */
    static void check(ConfElement element, String param, List<String> chunkKeys) {
        if (!element.has(param)) {
            return;
        }
        ConfParam p = element.param(param);
        String value = p.value();
        List<String> unsupported = ChunkPlaceholders.unsupported(value);
        if (!unsupported.isEmpty()) {
            String first = unsupported.get(0);
            String hint = first.startsWith("${tag_parts[")
                    ? "; ${tag_parts[N]} is ${tag[N]} here"
                    : first.contains("record[") || first.contains("record.")
                            ? "; a record value needs a chunk key: <buffer $.a.b> and ${$.a.b}"
                            : "";
            throw element.error(
                    param,
                    "placeholder " + first + " is not supported: Ruby is not run here (expected: ${tag}, ${tag[N]},"
                            + " ${chunk_id} or ${KEY} of a chunk key in <buffer KEY>" + hint
                            + "; see docs/configuration.md, \"Chunk keys and placeholders\")");
        }
        Set<String> missing = new LinkedHashSet<>(ChunkPlaceholders.keysOf(value));
        missing.removeAll(ChunkKeySpec.recordKeys(chunkKeys));
        if (!missing.isEmpty()) {
            String keys = String.join(",", missing);
            throw element.error(
                    param,
                    "'" + value + "' has placeholders, but the chunk keys ("
                            + (chunkKeys.isEmpty() ? "none" : String.join(",", chunkKeys)) + ") do not have " + keys
                            + " (expected: <buffer " + String.join(",", union(chunkKeys, missing))
                            + ">, so that each chunk holds one value of them)");
        }
    }

    /**
     * Refuses a placeholder in {@code param}, a parameter that names a record field (Kinesis'
     * {@code partition_key}: fluent-plugin-kinesis takes no placeholders there).
     */
    static void refuseIn(ConfElement element, String param) {
        if (!element.has(param)) {
            return;
        }
        String value = element.param(param).value();
        if (value.contains("${")) {
            throw element.error(
                    param,
                    "\"" + value + "\" has a placeholder, but " + param + " names a record field, as in"
                            + " fluent-plugin-kinesis (expected: a field name such as pod_name; placeholders go in"
                            + " stream_name)");
        }
    }

    private static List<String> union(List<String> a, Set<String> b) {
        Set<String> all = new LinkedHashSet<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }
}
