package org.kinesisaggregator.server.app;

import java.nio.file.Path;
import org.kinesisaggregator.conf.ConfElement;

/**
 * The parts of out_file's conf read here rather than in the output package (which takes typed
 * settings): {@code symlink_path} and {@code symlink_path_use_relative}.
 *
 * <p>Stateless; thread-safe.
 */
public final class FileOutputConf {
    private FileOutputConf() {}

    /** {@code symlink_path} and how its target is written. */
    public record Symlink(Path path, boolean relative) {}

    /**
     * @return the symlink of an out_file element (or its {@code <secondary>}), or null without
     *     {@code symlink_path}
     */
    public static Symlink symlink(ConfElement e) {
        String symlink = e.string("symlink_path", null);
        boolean relative = e.bool("symlink_path_use_relative", false);
        if (symlink == null) {
            return null;
        }
        if (e.name().equals("secondary")) {
            throw e.error(
                    "symlink_path",
                    "option is unavailable in <secondary>: consider to use secondary_file plugin (expected: no"
                            + " symlink_path)");
        }
        if (symlink.contains("${") || symlink.contains("%")) {
            throw e.error(
                    "symlink_path",
                    "\"" + symlink + "\": placeholders in symlink_path are not supported (expected: a fixed path;"
                            + " the link always points at the newest file written)");
        }
        return new Symlink(Path.of(symlink), relative);
    }
}
