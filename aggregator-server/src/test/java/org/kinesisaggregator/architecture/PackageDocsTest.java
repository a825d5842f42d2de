package org.kinesisaggregator.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.server.testing.ChildProcess;

/**
 * Every package of every module has a {@code package-info.java} that states its invariants and
 * its threads (what always holds, and who runs its code), so that a
 * maintainer learns both before changing it.
 */
class PackageDocsTest {
    private static final List<String> MODULES = List.of("buffer-store", "kpl-bridge", "aggregator-server", "bench");

    @Test
    void everyPackageStatesItsInvariantsAndThreads() throws IOException {
        Path root = ChildProcess.projectRoot();
        List<String> problems = new ArrayList<>();
        int packages = 0;
        for (String module : MODULES) {
            Path sources = root.resolve(module).resolve("src/main/java");
            List<Path> dirs;
            try (Stream<Path> walk = Files.walk(sources)) {
                dirs = walk.filter(Files::isDirectory)
                        .filter(PackageDocsTest::holdsJava)
                        .toList();
            }
            for (Path dir : dirs) {
                packages++;
                Path info = dir.resolve("package-info.java");
                String where = root.relativize(dir).toString();
                if (!Files.exists(info)) {
                    problems.add(where + ": no package-info.java");
                    continue;
                }
                String text = Files.readString(info, StandardCharsets.UTF_8);
                String lower = text.toLowerCase(Locale.ROOT);
                if (!lower.contains("invariant")) {
                    problems.add(where + ": package-info states no invariants ");
                }
                if (!lower.contains("thread")) {
                    problems.add(where + ": package-info says nothing of threads");
                }
            }
        }
        assertThat(packages).as("packages found").isGreaterThan(20);
        assertThat(problems).as("package docs to complete").isEmpty();
    }

    private static boolean holdsJava(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".java")
                    && !f.getFileName().toString().equals("package-info.java"));
        } catch (IOException e) {
            return false;
        }
    }
}
