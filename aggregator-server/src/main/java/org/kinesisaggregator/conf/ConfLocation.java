package org.kinesisaggregator.conf;

import java.util.Objects;

/**
 * Where an element or a parameter was written: the file as it was named (the top file as given on
 * the command line, included files relative to it or absolute) and the 1-based line.
 *
 * <p>Immutable; thread-safe.
 *
 * @param file the conf file, as displayed in messages
 * @param line 1-based line number
 */
public record ConfLocation(String file, int line) {
    public ConfLocation {
        Objects.requireNonNull(file, "file");
        if (line < 0) {
            throw new IllegalArgumentException("line: " + line + " (expected: >= 0)");
        }
    }

    /** {@code file:line}, the prefix of every conf message. */
    @Override
    public String toString() {
        return file + ":" + line;
    }
}
