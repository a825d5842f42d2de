package org.kinesisaggregator.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** CPU time and memory of processes, read from /proc (Linux); 0 where a process is gone. */
public final class ProcStats {
    private ProcStats() {}

    /** utime + stime of {@code pid}, seconds (clock ticks of 1/100 s). */
    public static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The live descendants of {@code pid} (children, grandchildren ...). */
    public static List<Long> descendants(long pid) {
        List<Long> pids = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
        return pids;
    }

    /** Peak resident set ({@code VmHWM}) of {@code pid}, KiB. */
    public static long peakRssKib(long pid) {
        return statusKib(pid, "VmHWM:");
    }

    /** Current resident set ({@code VmRSS}) of {@code pid}, KiB. */
    public static long rssKib(long pid) {
        return statusKib(pid, "VmRSS:");
    }

    private static long statusKib(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }

    /** The first {@code model name} of /proc/cpuinfo, spaces as underscores. */
    public static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim().replace(' ', '_');
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return "unknown";
    }
}
