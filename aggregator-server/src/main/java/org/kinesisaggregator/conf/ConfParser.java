package org.kinesisaggregator.conf;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads Fluentd v1 conf syntax into a {@link ConfElement} tree (see {@code docs/configuration.md},
 * "Syntax"). Learned from Fluentd's {@code config/v1_parser.rb} and {@code literal_parser.rb}:
 *
 * <ul>
 *   <li>Elements {@code <name arg>} … {@code </name>}, nested to any depth; the argument may
 *       contain spaces ({@code <match a.** b.*>}) or be quoted.
 *   <li>Parameters {@code name value} one per line; a name alone is the empty value. Values are
 *       double-quoted (escapes {@code \" \' \\ \r \n \t \f \b \0}, a backslash before another symbol
 *       keeps the symbol, before a letter or digit is an error; a raw line break is dropped;
 *       {@code #{...}}), single-quoted (literal, only {@code \'} and {@code \\}), a JSON array or
 *       hash that may span lines and hold {@code #} comments, or plain text to the end of the line
 *       (a {@code #} after a space starts a comment; trailing spaces are dropped).
 *   <li>{@code #{ENV['X']}}, {@code #{ENV["X"]}} and {@code #{Socket.gethostname}} (also
 *       {@code #{hostname}}) in double-quoted strings; any other code is an error naming file and
 *       line. An unset variable gives "" and a warning.
 *   <li>{@code @include PATH} (or {@code include} at the top): local files only, relative to the
 *       including file's directory, globs allowed ({@code conf.d/*.conf}, sorted); its elements and
 *       parameters join the element it appears in. A URL is an error; an include cycle is an error.
 *   <li>{@code @} is reserved: only {@code @type @id @label @log_level @include} are accepted.
 * </ul>
 *
 * <p>Every element and parameter keeps its file and line. Errors are {@link ConfException}s with
 * {@code file:line:}. Not thread-safe: one parser per load.
 */
public final class ConfParser {
    private static final Set<String> RESERVED = Set.of("@type", "@id", "@label", "@log_level", "@include");
    private static final Pattern ENV_CODE = Pattern.compile("ENV\\s*\\[\\s*(?:'([^']*)'|\"([^\"]*)\")\\s*\\]");
    private static final Pattern HOSTNAME_CODE =
            Pattern.compile("Socket\\s*\\.\\s*gethostname(?:\\s*\\(\\s*\\))?|hostname");
    private static final int MAX_INCLUDE_DEPTH = 32;
    /** Syntax errors reported at most: past them (not a conf at all?) reading stops. */
    static final int MAX_SYNTAX_ERRORS = 50;

    private final ConfEnvironment environment;
    private final List<String> warnings = new ArrayList<>();
    private final JsonFactory json = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_YAML_COMMENTS)
            .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
            .build();
    private final Deque<Path> includeStack = new ArrayDeque<>();
    /** The syntax errors of the current {@link #parse}: it goes on after each one it can recover from. */
    private ConfProblems problems = new ConfProblems();

    public ConfParser(ConfEnvironment environment) {
        this.environment = environment;
    }

    /** Warnings met while parsing (unset environment variables, parameters given twice, empty globs). */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** Parses {@code file} and what it includes; messages name it as given. */
    public ConfElement parse(Path file) {
        problems = new ConfProblems();
        ConfElement root = new ConfElement(ConfElement.ROOT, "", new ConfLocation(file.toString(), 1));
        parseFileInto(file, file.toString(), root, null);
        throwProblems();
        return root;
    }

    /** Parses {@code text} as if it were the file {@code displayName} in {@code baseDir}. */
    public ConfElement parse(String text, String displayName, Path baseDir) {
        problems = new ConfProblems();
        ConfElement root = new ConfElement(ConfElement.ROOT, "", new ConfLocation(displayName, 1));
        new Scanner(text, displayName, baseDir).parseBody(root, null);
        throwProblems();
        return root;
    }

    /**
     * Every syntax error met (the parser skips the bad line, or takes a bad tag line as the tag it
     * starts, and goes on), in file order: one run names them all.
     */
    private void throwProblems() {
        if (problems.size() >= MAX_SYNTAX_ERRORS) {
            problems.add(new ConfException(
                    null, "more than " + MAX_SYNTAX_ERRORS + " syntax errors; the rest of the conf was not read"));
        }
        problems.throwIfAny();
    }

    private void parseFileInto(Path file, String displayName, ConfElement into, ConfLocation includedAt) {
        Path real;
        String text;
        try {
            real = file.toRealPath();
            byte[] bytes = Files.readAllBytes(real);
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ConfException(
                    new ConfLocation(displayName, 0), "not valid UTF-8 (expected: a UTF-8 text file)", e);
        } catch (IOException e) {
            String what = includedAt == null ? "cannot read the conf file" : "@include: cannot read " + displayName;
            throw new ConfException(
                    includedAt == null ? new ConfLocation(displayName, 0) : includedAt, what + ": " + e, e);
        }
        if (includeStack.contains(real)) {
            throw new ConfException(
                    includedAt, "@include cycle: " + displayName + " includes itself (through " + includeStack + ")");
        }
        if (includeStack.size() >= MAX_INCLUDE_DEPTH) {
            throw new ConfException(includedAt, "@include nested deeper than " + MAX_INCLUDE_DEPTH + " files");
        }
        includeStack.push(real);
        try {
            Path dir = real.getParent();
            new Scanner(text, displayName, dir == null ? Path.of(".") : dir).parseBody(into, null);
        } finally {
            includeStack.pop();
        }
    }

    /** Scans one file. */
    private final class Scanner {
        private final String text;
        private final String file;
        private final Path baseDir;
        private final int[] lineStarts;
        private int pos;
        /** The names of the elements open around the current position, innermost first. */
        private final Deque<String> open = new ArrayDeque<>();
        /** An error consumed the rest of the file (an unclosed quote): the ends missing after it are not news. */
        private boolean stoppedByError;

        Scanner(String text, String file, Path baseDir) {
            this.text = text.startsWith("\uFEFF") ? text.substring(1) : text;
            this.file = file;
            this.baseDir = baseDir;
            List<Integer> starts = new ArrayList<>();
            starts.add(0);
            for (int i = 0; i < this.text.length(); i++) {
                if (this.text.charAt(i) == '\n') {
                    starts.add(i + 1);
                }
            }
            this.lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
        }

        ConfLocation here() {
            return at(pos);
        }

        ConfLocation at(int position) {
            int idx = Arrays.binarySearch(lineStarts, position);
            int line = idx >= 0 ? idx + 1 : -idx - 1;
            return new ConfLocation(file, line);
        }

        ConfException error(String message) {
            return new ConfException(here(), message);
        }

        boolean eof() {
            return pos >= text.length();
        }

        char peek() {
            return text.charAt(pos);
        }

        boolean startsWith(String s) {
            return text.startsWith(s, pos);
        }

        /** Spaces, line breaks and comment lines. */
        void skipSpacing() {
            while (!eof()) {
                char c = peek();
                if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                    pos++;
                } else if (c == '#') {
                    skipToLineEnd();
                } else {
                    return;
                }
            }
        }

        void skipBlanks() {
            while (!eof() && (peek() == ' ' || peek() == '\t')) {
                pos++;
            }
        }

        void skipToLineEnd() {
            while (!eof() && peek() != '\n') {
                pos++;
            }
        }

        boolean atLineEnd() {
            return eof()
                    || peek() == '\n'
                    || peek() == '\r' && (pos + 1 >= text.length() || text.charAt(pos + 1) == '\n');
        }

        /** Blanks, an optional comment, then a line break or the end of the file. */
        void expectLineEnd(String after) {
            skipBlanks();
            if (!eof() && peek() == '#') {
                skipToLineEnd();
            }
            if (eof()) {
                return;
            }
            if (peek() == '\r') {
                pos++;
            }
            if (eof() || peek() != '\n') {
                throw error("expected end of line after " + after + " (got " + ConfValues.quote(rest(20)) + ")");
            }
            pos++;
        }

        String rest(int max) {
            int end = text.indexOf('\n', pos);
            end = end < 0 ? text.length() : end;
            return text.substring(pos, Math.min(end, pos + max)).stripTrailing();
        }

        String readName() {
            int start = pos;
            while (!eof() && (Character.isLetterOrDigit(peek()) && peek() < 128 || peek() == '_')) {
                pos++;
            }
            return text.substring(start, pos);
        }

        /** Records a syntax error; past {@value #MAX_SYNTAX_ERRORS} of them, reading stops. */
        void problem(ConfException e) {
            problems.add(e);
            if (problems.size() >= MAX_SYNTAX_ERRORS) {
                pos = text.length();
                stoppedByError = true;
            }
        }

        /** After an error in a line: on to the next line (or the end, if the error took the rest). */
        void recover(ConfException e) {
            problem(e);
            if (eof()) {
                stoppedByError = true;
            } else {
                skipToLineEnd();
            }
        }

        /** True when {@code name} is the name of an element enclosing the innermost open one. */
        boolean enclosesCurrent(String name) {
            boolean first = true;
            for (String o : open) {
                if (!first && o.equals(name)) {
                    return true;
                }
                first = false;
            }
            return false;
        }

        /**
         * Parses parameters and elements into {@code into} until {@code </endName>} (or EOF at the top).
         * A syntax error is recorded and parsing goes on: a bad line is skipped; a start tag with a bad
         * end of line still opens its element; an end tag naming an enclosing element closes the
         * unclosed ones in between (each reported).
         */
        void parseBody(ConfElement into, String endName) {
            while (true) {
                skipSpacing();
                if (eof()) {
                    if (endName != null && !stoppedByError) {
                        problem(new ConfException(
                                into.location(),
                                "expected end tag '</" + endName + ">' for " + into.describe() + " but got end of file "
                                        + file));
                    }
                    return;
                }
                ConfLocation lineLoc = here();
                int lineStart = pos;
                if (startsWith("</")) {
                    pos += 2;
                    String name = readName();
                    skipBlanks();
                    try {
                        if (eof() || peek() != '>') {
                            throw error("expected '>' to close the end tag </" + name);
                        }
                        pos++;
                        expectLineEnd("end tag </" + name + ">");
                    } catch (ConfException e) {
                        recover(e);
                    }
                    if (endName == null) {
                        problem(new ConfException(lineLoc, "end tag </" + name + "> without a start tag"));
                        continue;
                    }
                    if (!name.equals(endName)) {
                        problem(new ConfException(
                                lineLoc,
                                "unmatched end tag </" + name + "> (expected: </" + endName + "> for " + into.describe()
                                        + " at " + into.location() + ")"));
                        if (enclosesCurrent(name)) {
                            pos = lineStart; // <endName> was left open: the end tag is an enclosing element's
                        }
                    }
                    return;
                }
                if (peek() == '<') {
                    pos++;
                    String name = readName();
                    if (name.isEmpty()) {
                        recover(error("expected an element name after '<' (letters, digits, _)"));
                        continue;
                    }
                    skipBlanks();
                    String arg = "";
                    try {
                        arg = readArg();
                        if (eof() || peek() != '>') {
                            throw error("expected '>' to close <" + name + (arg.isEmpty() ? "" : " " + arg));
                        }
                        pos++;
                        expectLineEnd("tag <" + name + ">");
                    } catch (ConfException e) {
                        recover(e); // the element still starts here, so that its end tag matches
                    }
                    ConfElement child = new ConfElement(name, arg, lineLoc);
                    open.push(name);
                    try {
                        parseBody(child, name);
                    } finally {
                        open.pop();
                    }
                    into.addChild(child);
                    continue;
                }
                try {
                    parseStatement(into, endName, lineLoc);
                } catch (ConfException e) {
                    recover(e);
                }
            }
        }

        /** One parameter line or {@code @include}. */
        void parseStatement(ConfElement into, String endName, ConfLocation lineLoc) {
            String key = readKey();
            if (key.equals("@include") || endName == null && key.equals("include")) {
                if (key.equals("include")) {
                    warnings.add(lineLoc + ": 'include' is deprecated; use '@include'");
                }
                skipBlanks();
                String target = atLineEnd() ? "" : readValue(key);
                expectLineEnd("@include " + target);
                include(target, into, lineLoc);
                return;
            }
            if (key.startsWith("@") && !RESERVED.contains(key)) {
                throw new ConfException(
                        lineLoc,
                        "'@' is the system reserved prefix. Don't use '@' prefix parameter in the"
                                + " configuration: " + key + " (expected: one of "
                                + String.join(", ", List.of("@type", "@id", "@label", "@log_level", "@include"))
                                + ")");
            }
            skipBlanks();
            String value;
            if (atLineEnd() || isCommentStart()) {
                value = "";
            } else {
                value = readValue(key);
            }
            expectLineEnd("the value of " + key);
            ConfParam previous = into.put(new ConfParam(key, value, lineLoc));
            if (previous != null) {
                warnings.add(lineLoc + ": parameter '" + key + "' in " + into.describe() + " is given twice (also at "
                        + previous.location() + "); the last one is used");
            }
        }

        /** {@code #} followed by a blank or the line end: a comment, not a value like {@code #{...}} or {@code #ff}. */
        boolean isCommentStart() {
            return peek() == '#' && (pos + 1 >= text.length() || Character.isWhitespace(text.charAt(pos + 1)));
        }

        String readKey() {
            if (peek() == '"' || peek() == '\'') {
                char q = peek();
                pos++;
                return q == '"' ? readDoubleQuoted("parameter name") : readSingleQuoted();
            }
            int start = pos;
            while (!eof() && !Character.isWhitespace(peek())) {
                pos++;
            }
            return text.substring(start, pos);
        }

        String readArg() {
            if (eof()) {
                return "";
            }
            if (peek() == '"') {
                pos++;
                String s = readDoubleQuoted("element argument");
                skipBlanks();
                return s;
            }
            if (peek() == '\'') {
                pos++;
                String s = readSingleQuoted();
                skipBlanks();
                return s;
            }
            int start = pos;
            while (!eof() && peek() != '>' && peek() != '\n') {
                pos++;
            }
            return text.substring(start, pos).trim();
        }

        String readValue(String key) {
            char c = peek();
            if (c == '"') {
                pos++;
                return readDoubleQuoted(key);
            }
            if (c == '\'') {
                pos++;
                return readSingleQuoted();
            }
            if (c == '[' || c == '{') {
                return readJson(key);
            }
            int start = pos;
            int end = pos;
            while (!eof() && peek() != '\n') {
                char ch = peek();
                if (ch == '#' && pos > start && (text.charAt(pos - 1) == ' ' || text.charAt(pos - 1) == '\t')) {
                    break;
                }
                pos++;
                if (ch != ' ' && ch != '\t' && ch != '\r') {
                    end = pos;
                }
            }
            String value = text.substring(start, end);
            pos = end;
            return value;
        }

        String readDoubleQuoted(String what) {
            ConfLocation started = here();
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (eof()) {
                    throw new ConfException(started, what + ": unexpected end of file in a double quoted string");
                }
                char c = peek();
                if (c == '"') {
                    pos++;
                    return sb.toString();
                }
                if (c == '\\') {
                    if (pos + 1 >= text.length()) {
                        throw new ConfException(started, what + ": unexpected end of file in a double quoted string");
                    }
                    char e = text.charAt(pos + 1);
                    pos += 2;
                    switch (e) {
                        case '"', '\'' -> sb.append(e);
                        case 'r' -> sb.append('\r');
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        case 'f' -> sb.append('\f');
                        case 'b' -> sb.append('\b');
                        case '0' -> sb.append('\0');
                        case '\n' -> {} // line continuation
                        case '\r' -> {
                            if (!eof() && peek() == '\n') {
                                pos++;
                            }
                        }
                        default -> {
                            if (Character.isLetterOrDigit(e)) {
                                pos -= 2;
                                throw error(what + ": unexpected back-slash escape character '" + e
                                        + "' (expected: \\\" \\' \\\\ \\r \\n \\t \\f \\b \\0)");
                            }
                            sb.append(e);
                        }
                    }
                    continue;
                }
                if (c == '#' && startsWith("#{")) {
                    ConfLocation codeAt = here();
                    int close = text.indexOf('}', pos + 2);
                    int lineEnd = text.indexOf('\n', pos);
                    if (close < 0 || lineEnd >= 0 && close > lineEnd) {
                        throw new ConfException(
                                codeAt, what + ": embedded code #{ without a closing } on the same line");
                    }
                    String code = text.substring(pos + 2, close);
                    pos = close + 1;
                    sb.append(evaluate(code, codeAt, what));
                    continue;
                }
                if (c == '\n' || c == '\r') {
                    pos++; // Fluentd drops raw line breaks inside double-quoted strings
                    continue;
                }
                sb.append(c);
                pos++;
            }
        }

        String readSingleQuoted() {
            ConfLocation started = here();
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (eof() || peek() == '\n') {
                    throw new ConfException(
                            started, "unexpected end of line in a single quoted string (expected: a closing ')");
                }
                char c = peek();
                if (c == '\'') {
                    pos++;
                    return sb.toString();
                }
                if (startsWith("\\'")) {
                    sb.append('\'');
                    pos += 2;
                } else if (startsWith("\\\\")) {
                    sb.append('\\');
                    pos += 2;
                } else {
                    sb.append(c);
                    pos++;
                }
            }
        }

        String readJson(String key) {
            ConfLocation started = here();
            String kind = peek() == '[' ? "array" : "hash";
            String rest = text.substring(pos);
            StringWriter out = new StringWriter();
            try (JsonParser p = json.createParser(rest);
                    JsonGenerator g = json.createGenerator(out)) {
                int depth = 0;
                do {
                    JsonToken t = p.nextToken();
                    if (t == null) {
                        throw new ConfException(
                                started,
                                key + ": got incomplete JSON " + kind + " (expected: a closing "
                                        + (kind.equals("array") ? "]" : "}") + ")");
                    }
                    switch (t) {
                        case START_ARRAY -> {
                            g.writeStartArray();
                            depth++;
                        }
                        case START_OBJECT -> {
                            g.writeStartObject();
                            depth++;
                        }
                        case END_ARRAY -> {
                            g.writeEndArray();
                            depth--;
                        }
                        case END_OBJECT -> {
                            g.writeEndObject();
                            depth--;
                        }
                        case FIELD_NAME -> g.writeFieldName(p.currentName());
                        case VALUE_STRING -> {
                            String s = p.getText();
                            g.writeString(
                                    s.contains("#{")
                                            ? interpolate(
                                                    s,
                                                    at(pos
                                                            + (int) p.currentTokenLocation()
                                                                    .getCharOffset()),
                                                    key)
                                            : s);
                        }
                        default -> g.copyCurrentEvent(p);
                    }
                } while (depth > 0);
                g.flush();
                JsonLocation end = p.currentLocation();
                pos += (int) end.getCharOffset();
                return out.toString();
            } catch (JsonProcessingException e) {
                JsonLocation loc = e.getLocation();
                ConfLocation where =
                        loc == null ? started : new ConfLocation(file, started.line() + loc.getLineNr() - 1);
                throw new ConfException(where, key + ": invalid JSON " + kind + ": " + e.getOriginalMessage(), e);
            } catch (IOException e) {
                throw new ConfException(started, key + ": invalid JSON " + kind + ": " + e.getMessage(), e);
            }
        }

        /** Evaluates {@code #{...}} inside a JSON string value. */
        String interpolate(String s, ConfLocation where, String key) {
            StringBuilder sb = new StringBuilder();
            int i = 0;
            while (i < s.length()) {
                int open = s.indexOf("#{", i);
                if (open < 0) {
                    sb.append(s, i, s.length());
                    break;
                }
                int close = s.indexOf('}', open + 2);
                if (close < 0) {
                    sb.append(s, i, s.length());
                    break;
                }
                sb.append(s, i, open).append(evaluate(s.substring(open + 2, close), where, key));
                i = close + 1;
            }
            return sb.toString();
        }

        String evaluate(String code, ConfLocation where, String key) {
            String trimmed = code.trim();
            Matcher env = ENV_CODE.matcher(trimmed);
            if (env.matches()) {
                String name = env.group(1) != null ? env.group(1) : env.group(2);
                String value = environment.env().apply(name);
                if (value == null) {
                    warnings.add(where + ": " + key + ": environment variable " + name
                            + " is not set; using an empty string");
                    return "";
                }
                return value;
            }
            if (HOSTNAME_CODE.matcher(trimmed).matches()) {
                return environment.hostname().get();
            }
            throw new ConfException(
                    where,
                    key + ": unsupported embedded code #{" + code
                            + "} (expected: ENV['NAME'], ENV[\"NAME\"] or Socket.gethostname)");
        }

        void include(String target, ConfElement into, ConfLocation at) {
            if (target.isEmpty()) {
                throw new ConfException(at, "@include: missing path (expected: a file or a glob)");
            }
            if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]+://.*")) {
                if (!target.startsWith("file://")) {
                    throw new ConfException(
                            at,
                            "@include " + target + ": only local files can be included (expected: a path"
                                    + " or a glob, not a URL)");
                }
                target = target.substring("file://".length());
            }
            Path pattern;
            try {
                pattern = baseDir.resolve(target).normalize();
            } catch (InvalidPathException e) {
                throw new ConfException(
                        at,
                        "@include " + target + ": not a valid path (" + e.getReason()
                                + ") (expected: a path or a glob)",
                        e);
            }
            if (!hasGlob(target)) {
                if (!Files.isRegularFile(pattern)) {
                    throw new ConfException(at, "@include " + target + ": no such file " + pattern);
                }
                parseFileInto(pattern, display(pattern), into, at);
                return;
            }
            List<Path> matches = glob(pattern, target, at);
            if (matches.isEmpty()) {
                warnings.add(at + ": @include " + target + " matched no file");
            }
            for (Path match : matches) {
                parseFileInto(match, display(match), into, at);
            }
        }

        /** An included file as messages show it: beside the including file's name when below its directory. */
        private String display(Path included) {
            if (included.startsWith(baseDir)) {
                return Path.of(file)
                        .resolveSibling(baseDir.relativize(included))
                        .toString();
            }
            return included.toString();
        }

        private List<Path> glob(Path pattern, String target, ConfLocation at) {
            Path base = globBase(pattern);
            if (!Files.isDirectory(base)) {
                return List.of();
            }
            PathMatcher matcher;
            try {
                matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
            } catch (PatternSyntaxException e) {
                throw new ConfException(
                        at,
                        "@include " + target + ": not a valid glob (" + e.getDescription()
                                + ") (expected: a path, or a glob with balanced { } and [ ])",
                        e);
            }
            int depth = pattern.toString().contains("**")
                    ? Integer.MAX_VALUE
                    : pattern.getNameCount() - base.getNameCount();
            List<Path> matches = new ArrayList<>();
            long[] visited = {0};
            try {
                Files.walkFileTree(base, EnumSet.noneOf(FileVisitOption.class), depth, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                        return count();
                    }

                    @Override
                    public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                        if (attrs.isRegularFile() && matcher.matches(f)) {
                            matches.add(f);
                        }
                        return count();
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path f, IOException e) {
                        // as Fluentd's Dir.glob: what cannot be read is skipped, and said
                        warnings.add(at + ": @include " + target + ": skipped " + f + " (" + e + ")");
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult postVisitDirectory(Path d, IOException e) {
                        if (e != null) {
                            warnings.add(at + ": @include " + target + ": skipped the rest of " + d + " (" + e + ")");
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    private FileVisitResult count() {
                        if (++visited[0] > MAX_GLOB_ENTRIES) {
                            throw new ConfException(
                                    at,
                                    "@include " + target + ": the glob walks more than " + MAX_GLOB_ENTRIES
                                            + " entries under " + base + " (expected: a narrower glob)");
                        }
                        return FileVisitResult.CONTINUE;
                    }
                });
            } catch (IOException e) {
                throw new ConfException(at, "@include " + pattern + ": " + e, e);
            }
            matches.sort(null);
            return matches;
        }
    }

    /** How many directory entries one {@code @include} glob may walk (a glob such as {@code /**} would walk the disk). */
    static final int MAX_GLOB_ENTRIES = 100_000;

    private static boolean hasGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('{') >= 0;
    }

    /** The longest leading directory of {@code pattern} without glob characters. */
    private static Path globBase(Path pattern) {
        Path base = pattern.getRoot();
        for (Path part : pattern) {
            if (hasGlob(part.toString())) {
                break;
            }
            base = base == null ? part : base.resolve(part);
        }
        if (base == null) {
            return Path.of(".");
        }
        return base.equals(pattern) ? pattern.getParent() : base;
    }
}
