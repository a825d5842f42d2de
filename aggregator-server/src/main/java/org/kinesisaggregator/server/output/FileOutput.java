package org.kinesisaggregator.server.output;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.EventFormatting;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.kinesisaggregator.kinesis.format.ChunkPlaceholders;
import org.kinesisaggregator.kinesis.format.EventFormatter;
import org.kinesisaggregator.kinesis.format.StrftimeFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code @type file} (Fluentd's out_file): formats events into files whose names follow out_file's
 * rules.
 *
 * <ul>
 *   <li>{@code path /dir/access}: with a time key (the default, {@code timekey 1d}) the file is
 *       {@code /dir/access.%Y%m%d[_N].log}; a {@code *} in the path is replaced by the time part;
 *       a path that already holds the time placeholders is used as it is; without a time key
 *       ({@code <buffer>} without {@code time}) there is no time part.
 *   <li>{@code append false} (default): each write creates a new file, {@code _0}, {@code _1}, …
 *       (the first free index); {@code append true}: one file per time slice, appended to.
 *   <li>{@code ${tag}} and {@code ${tag[N]}} in the path: one file per tag; {@code ${KEY}} of a
 *       record chunk key ({@code <buffer $.log_path>} and {@code ${$.log_path}}): the chunk's value
 *       ({@link Chunk#metadata()}); {@code ${chunk_id}}: the chunk's id. A value's {@code /} becomes
 *       {@code _} and a value of {@code .} or {@code ..} becomes {@code _}, so that no event picks a
 *       directory outside the path.
 *   <li>{@code add_path_suffix} (true) / {@code path_suffix} ({@code .log}); {@code compress gzip}
 *       adds {@code .gz} and writes one gzip member per write (concatenated members are one valid
 *       gzip file).
 *   <li>v0.12's {@code time_slice_format} (without {@code <buffer>}) is the time part of the name
 *       and sets the slice length by its finest field ({@code %H}: 1h).
 *   <li>The time slice of an event is its time floored to the time key in {@code timekey_zone}
 *       (or UTC with {@code timekey_use_utc true}; default: the machine's zone).
 *   <li>{@code symlink_path}: after each write, a symbolic link there points at the file just written
 *       for the newest time slice written so far (a retried older chunk does not move it back), replaced
 *       atomically; {@code symlink_path_use_relative true} makes the target relative. Fluentd links to
 *       its buffer chunk, which holds the formatted lines; here the chunk is framed msgpack, so the link
 *       goes to the output file the lines are in. A failure to update the link is logged, the write
 *       stands.
 * </ul>
 *
 * <p>An event that cannot be formatted (its time, its record) is rejected alone, with the reason
 * ({@link EventFormatting}); the rest of the chunk is written.
 *
 * <p>Writes run on the output's own thread, one at a time. Thread-safe.
 */
public final class FileOutput implements Output {
    private static final Logger log = LoggerFactory.getLogger(FileOutput.class);
    /** Fluentd's index placeholder of non-append paths. */
    static final String INDEX = "_**";

    private static final Pattern TAG_PLACEHOLDER = Pattern.compile("\\$\\{tag(?:\\[(-?\\d+)])?}");

    private final Settings settings;
    private final StrftimeFormatter pathFormat; // confined to the worker thread (it caches a second)
    private final EventFormatter.Workspace workspace; // confined to the worker thread
    private final OutputWorker worker;
    /** The time slice the symlink's target holds; confined to the worker thread. */
    private long linkedSliceStart = Long.MIN_VALUE;

    /**
     * @param pathTemplate the full path with time placeholders, {@code _**} where the index goes
     *     (non-append) and suffixes, as {@link #pathTemplate} builds it
     * @param append {@code append}
     * @param gzip {@code compress gzip}
     * @param timekey the time slice length, or null for no time part
     * @param timekeyZone zone of the time slices and path placeholders
     * @param format the {@code <format>} and {@code <inject>}
     * @param symlinkPath {@code symlink_path}, or null
     * @param symlinkRelative {@code symlink_path_use_relative}
     */
    public record Settings(
            String pathTemplate,
            boolean append,
            boolean gzip,
            Duration timekey,
            ZoneId timekeyZone,
            FormatSettings format,
            Path symlinkPath,
            boolean symlinkRelative) {
        /** Without a symlink. */
        public Settings(
                String pathTemplate,
                boolean append,
                boolean gzip,
                Duration timekey,
                ZoneId timekeyZone,
                FormatSettings format) {
            this(pathTemplate, append, gzip, timekey, timekeyZone, format, null, false);
        }

        public Settings {
            Objects.requireNonNull(pathTemplate, "pathTemplate");
            Objects.requireNonNull(timekeyZone, "timekeyZone");
            Objects.requireNonNull(format, "format");
            if (timekey != null && timekey.getSeconds() <= 0) {
                throw new IllegalArgumentException("timekey: " + timekey + " (expected: >= 1s)");
            }
        }
    }

    public FileOutput(String outputId, Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.pathFormat = StrftimeFormatter.of(settings.pathTemplate(), settings.timekeyZone());
        this.workspace = new EventFormatter(settings.format()).newWorkspace();
        this.worker = new OutputWorker("output-file-" + outputId);
    }

    /** out_file's path template rules (see the class comment). */
    static String pathTemplate(String path, Duration timekey, boolean append, boolean gzip, String suffix) {
        return pathTemplate(path, timekey, null, append, gzip, suffix);
    }

    /**
     * As above; {@code sliceFormat} (v0.12 {@code time_slice_format}), when set, is the time part.
     *
     * @throws IllegalArgumentException when {@code path} has some of the time placeholders the time key needs
     */
    public static String pathTemplate(
            String path, Duration timekey, String sliceFormat, boolean append, boolean gzip, String suffix) {
        String index = append ? "" : INDEX;
        String gz = gzip ? ".gz" : "";
        if (timekey == null) {
            return path + index + suffix + gz;
        }
        if (sliceFormat != null && !path.contains("*")) {
            return path + "." + sliceFormat + index + suffix + gz;
        }
        String timePart = sliceFormat != null ? sliceFormat : timeFormatOf(timekey);
        if (path.contains("*")) {
            return path.replace("*", timePart + index) + gz;
        }
        List<Character> needed = List.copyOf(StrftimeFormatter.conversions(timePart));
        Set<Character> given = StrftimeFormatter.conversions(path);
        long present = needed.stream().filter(given::contains).count();
        if (present == 0) {
            return path + "." + timePart + index + suffix + gz;
        }
        if (present < needed.size()) {
            throw new IllegalArgumentException("insufficient timestamp placeholders in path (expected: all of "
                    + String.join(" ", needed.stream().map(c -> "%" + c).toList()) + " for timekey "
                    + timekey.toSeconds() + "s)");
        }
        return path + index + suffix + gz;
    }

    static String timeFormatOf(Duration timekey) {
        long s = timekey.toSeconds();
        if (s < 60) {
            return "%Y%m%d%H%M%S";
        } else if (s < 3600) {
            return "%Y%m%d%H%M";
        } else if (s < 86_400) {
            return "%Y%m%d%H";
        }
        return "%Y%m%d";
    }

    @Override
    public String type() {
        return "file";
    }

    @Override
    public void start() {
        worker.start();
    }

    @Override
    public CompletableFuture<WriteResult> write(Chunk chunk) {
        return worker.submit(() -> {
            Map<String, ByteArrayOutputStream> byPath = new LinkedHashMap<>();
            Map<String, Long> sliceOf = new LinkedHashMap<>();
            EventFormatting formatting = EventFormatting.formatEach(chunk, c -> {
                String path = resolve(c.tag(), c.epochSecond(), chunk);
                sliceOf.merge(path, sliceStart(c.epochSecond()), Math::max);
                workspace.load(c.record());
                workspace.format(c.tag(), c.epochSecond(), c.nanos());
                byPath.computeIfAbsent(path, p -> new ByteArrayOutputStream())
                        .write(workspace.array(), 0, workspace.length());
            });
            Path newest = null;
            long newestSlice = Long.MIN_VALUE;
            for (Map.Entry<String, ByteArrayOutputStream> e : byPath.entrySet()) {
                Path written = writeFile(e.getKey(), e.getValue());
                long slice = sliceOf.get(e.getKey());
                if (newest == null || slice >= newestSlice) {
                    newest = written;
                    newestSlice = slice;
                }
            }
            if (settings.symlinkPath() != null && newest != null && newestSlice >= linkedSliceStart) {
                linkedSliceStart = newestSlice;
                link(newest);
            }
            return formatting.delivered();
        });
    }

    /** The path of an event (index placeholder still in it for non-append). On the worker thread (or a test's). */
    String resolve(String tag, long epochSecond) {
        return resolve(tag, epochSecond, null);
    }

    /** As above, with the chunk's placeholders ({@code ${KEY}}, {@code ${chunk_id}}) when {@code chunk} is set. */
    String resolve(String tag, long epochSecond, Chunk chunk) {
        String path = pathFormat.format(sliceStart(epochSecond), 0);
        if (chunk != null) {
            return ChunkPlaceholders.resolve(path, tag, chunk.id(), chunk.metadata(), FileOutput::clean);
        }
        if (path.contains("${tag")) {
            String[] parts = tag.split("\\.", -1);
            Matcher m = TAG_PLACEHOLDER.matcher(path);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String value;
                if (m.group(1) == null) {
                    value = tag;
                } else {
                    int i = Integer.parseInt(m.group(1));
                    i = i < 0 ? parts.length + i : i;
                    value = i >= 0 && i < parts.length ? parts[i] : "";
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(value.replace('/', '_')));
            }
            m.appendTail(sb);
            path = sb.toString();
        }
        return path;
    }

    /** The start of the time slice of {@code epochSecond} (itself without a time key). */
    private long sliceStart(long epochSecond) {
        if (settings.timekey() == null) {
            return epochSecond;
        }
        long key = settings.timekey().toSeconds();
        long offset = settings.timekeyZone()
                .getRules()
                .getOffset(Instant.ofEpochSecond(epochSecond))
                .getTotalSeconds();
        return Math.floorDiv(epochSecond + offset, key) * key - offset;
    }

    /** Points {@code symlink_path} at {@code target}: a new link renamed over the old one. */
    private void link(Path target) {
        Path link = settings.symlinkPath().toAbsolutePath();
        Path tmp = link.resolveSibling(link.getFileName() + ".tmp-link");
        try {
            createParent(link);
            Path absolute = target.toAbsolutePath();
            Path to = settings.symlinkRelative() ? link.getParent().relativize(absolute) : absolute;
            Files.deleteIfExists(tmp);
            Files.createSymbolicLink(tmp, to);
            Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("symlink_path {}: could not point it at {}: {}", link, target, e.toString());
        }
    }

    /** A placeholder's value as a path part: no {@code /}, not {@code .} or {@code ..}. */
    static String clean(String value) {
        String v = value.replace('/', '_').replace('\0', '_');
        return v.equals(".") || v.equals("..") ? "_" : v;
    }

    /** Writes one file's bytes; returns the file written. */
    private Path writeFile(String template, ByteArrayOutputStream bytes) throws IOException {
        if (settings.append()) {
            Path path = Path.of(template);
            createParent(path);
            try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                copy(bytes, out);
            }
            return path;
        }
        for (int i = 0; ; i++) {
            Path path = Path.of(template.replace(INDEX, "_" + i));
            createParent(path);
            try (OutputStream out =
                    Files.newOutputStream(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                copy(bytes, out);
                return path;
            } catch (FileAlreadyExistsException taken) {
                // next index
            }
        }
    }

    private static void createParent(Path path) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }

    private void copy(ByteArrayOutputStream bytes, OutputStream out) throws IOException {
        if (settings.gzip()) {
            GZIPOutputStream gz = new GZIPOutputStream(out);
            bytes.writeTo(gz);
            gz.finish();
        } else {
            bytes.writeTo(out);
        }
    }

    @Override
    public void close() {
        worker.close();
    }
}
