package dev.flywheel.data.corpus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flywheel.data.DataException;
import dev.flywheel.data.Json;
import dev.flywheel.data.util.Hashing;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads a {@link Source} as documents, in a fixed order, any number of times (the pipeline reads twice: once to
 * learn the vocabulary, once to encode). Everything that is not turned into a document is recorded in the
 * {@link SkipLog} with its reason: binary files, lines that are not JSON, files the globs filter out.
 *
 * <p>Inside folders and archives the file name picks the reader: {@code .jsonl}/{@code .ndjson} are JSONL,
 * {@code .gz} is decompressed first, anything else is text. Globs without a '/' match the file name at any depth
 * ({@code *.java}); globs with one match the relative path ({@code src/**}).
 */
public final class Corpus implements DocumentSource {
    public static final String FILTERED = "left out by the include/exclude globs";
    public static final String HIDDEN = "hidden file or folder";
    public static final String NESTED_ARCHIVE = "archive inside a folder or archive (unpack it, or pass it as --data)";
    public static final String UTF16 = "UTF-16 text (convert it to UTF-8, e.g. iconv -f UTF-16 -t UTF-8)";
    public static final String NOT_JSON = "JSONL line is not valid JSON";
    public static final String NO_FIELD = "JSONL line has no string field \"%s\"";
    public static final String LINE_TOO_LONG = "JSONL line longer than 256 MB";
    public static final String BINARY_FILE = "binary file";
    private static final int MAX_JSON_LINE = 256 << 20;

    private final Source source;
    private final CorpusSettings settings;
    private final List<PathMatcher> include;
    private final List<PathMatcher> exclude;

    public Corpus(Source source, CorpusSettings settings) {
        this.source = source;
        this.settings = settings;
        this.include = matchers(settings.include());
        this.exclude = matchers(settings.exclude());
    }

    public Source source() {
        return source;
    }

    @Override
    public String describe() {
        return source.describe();
    }

    private static List<PathMatcher> matchers(List<String> globs) {
        var fs = FileSystems.getDefault();
        var out = new ArrayList<PathMatcher>();
        for (String g : globs) {
            try {
                PathMatcher m = fs.getPathMatcher("glob:" + g);
                out.add(g.contains("/") ? m : p -> m.matches(p.getFileName()));
            } catch (IllegalArgumentException e) {
                throw new DataException("the glob '" + g + "' is not valid (" + e.getMessage() + "); fix --include/--exclude");
            }
        }
        return out;
    }

    boolean selected(String relativePath) {
        Path p = Path.of(relativePath);
        if (!include.isEmpty() && include.stream().noneMatch(m -> m.matches(p))) return false;
        return exclude.stream().noneMatch(m -> m.matches(p));
    }

    @Override
    public long sizeOnDisk() {
        try {
            return switch (source) {
                case Source.TextFile t -> Files.size(t.path());
                case Source.JsonLines j -> Files.size(j.path());
                case Source.Archive a -> Files.size(a.zip());
                case Source.JdkSource j -> j.sampleBytes();
                case Source.Folder f -> {
                    try (var files = Files.walk(f.dir())) {
                        yield files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
                    }
                }
            };
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void read(DocumentSink sink, SkipLog skips) {
        var reading = new Reading(sink, skips);
        try {
            switch (source) {
                case Source.TextFile t -> reading.file(t.path(), t.name(), true);
                case Source.JsonLines j -> reading.file(j.path(), j.name(), true);
                case Source.Folder f -> reading.folder(f.dir(), f.name());
                case Source.Archive a -> reading.archive(a.zip(), a.name(), null);
                case Source.JdkSource j -> reading.archive(j.srcZip(), j.name(), jdkSample(j));
            }
        } catch (Stop stop) {
            // the sink has what it wanted
        } catch (IOException | UncheckedIOException e) {
            throw new DataException("cannot read " + source.describe() + " (" + e.getMessage() + "); check that it is readable and not damaged", e);
        }
    }

    /** The JDK entries in the sample: .java files ordered by a hash of their name, taken until the size is reached. */
    static List<String> jdkSample(Source.JdkSource j) throws IOException {
        try (var zip = new ZipFile(j.srcZip().toFile())) {
            var entries = zip.stream().filter(e -> !e.isDirectory() && e.getName().endsWith(".java")).toList();
            record Ranked(ZipEntry entry, double rank) {}
            var ranked = entries.stream().map(e -> new Ranked(e, Hashing.unitInterval(e.getName())))
                    .sorted(Comparator.comparingDouble(Ranked::rank)).toList();
            var chosen = new ArrayList<String>();
            long total = 0;
            for (var r : ranked) {
                if (total >= j.sampleBytes()) break;
                chosen.add(r.entry().getName());
                total += Math.max(0, r.entry().getSize());
            }
            chosen.sort(Comparator.naturalOrder());
            return chosen;
        }
    }

    /** Thrown through the readers when the sink is full. */
    private static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }

    @FunctionalInterface
    private interface Opener {
        InputStream open() throws IOException;
    }

    private final class Reading {
        final DocumentSink sink;
        final SkipLog skips;
        long documents; // emitted so far: tells a file that failed before its first document from one that broke midway

        Reading(DocumentSink sink, SkipLog skips) {
            this.sink = sink;
            this.skips = skips;
        }

        void folder(Path dir, String name) throws IOException {
            var files = new ArrayList<Path>();
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    if (!d.equals(dir) && d.getFileName().toString().startsWith(".")) {
                        skips.skip(name + "/" + relative(dir, d) + "/", HIDDEN, 0);
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile()) files.add(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    skips.skip(name + "/" + relative(dir, f), "cannot read (" + e.getClass().getSimpleName() + ")", 0);
                    return FileVisitResult.CONTINUE;
                }
            });
            files.sort(Comparator.comparing(p -> relative(dir, p)));
            for (Path f : files) {
                String rel = relative(dir, f);
                String id = name + "/" + rel;
                if (f.getFileName().toString().startsWith(".")) {
                    skips.skip(id, HIDDEN, 0);
                } else if (!selected(rel)) {
                    skips.skip(id, FILTERED, 0);
                } else {
                    entry(id, rel, Files.size(f), () -> Files.newInputStream(f), false);
                }
            }
        }

        void archive(Path zipPath, String name, List<String> only) throws IOException {
            try (var zip = new ZipFile(zipPath.toFile())) {
                List<? extends ZipEntry> entries;
                if (only != null) {
                    entries = only.stream().map(zip::getEntry).toList();
                } else {
                    entries = zip.stream().filter(e -> !e.isDirectory()).sorted(Comparator.comparing(ZipEntry::getName)).toList();
                }
                for (ZipEntry e : entries) {
                    String rel = e.getName();
                    String id = name + "/" + rel;
                    if (only == null && Arrays.stream(rel.split("/")).anyMatch(s -> s.startsWith("."))) {
                        skips.skip(id, HIDDEN, 0);
                    } else if (only == null && !selected(rel)) {
                        skips.skip(id, FILTERED, 0);
                    } else {
                        entry(id, rel, e.getSize(), () -> zip.getInputStream(e), false);
                    }
                }
            } catch (java.util.zip.ZipException e) {
                throw new DataException(zipPath + " is not a readable zip archive (" + e.getMessage() + "); check the file or unpack it and pass the folder", e);
            }
        }

        /** A file given directly as the source: read errors are fatal rather than skips. */
        void file(Path path, String name, boolean standalone) throws IOException {
            entry(name, path.getFileName().toString(), Files.size(path), () -> Files.newInputStream(path), standalone);
        }

        void entry(String id, String fileName, long size, Opener opener, boolean standalone) {
            String lower = fileName.toLowerCase(Locale.ROOT);
            boolean gzip = lower.endsWith(".gz");
            if (gzip) lower = lower.substring(0, lower.length() - 3);
            if (!standalone && (lower.endsWith(".zip") || lower.endsWith(".jar"))) {
                skips.skip(id, NESTED_ARCHIVE, size);
                return;
            }
            boolean jsonl = lower.endsWith(".jsonl") || lower.endsWith(".ndjson");
            long before = documents;
            try (InputStream raw = opener.open();
                 InputStream in = new BufferedInputStream(gzip ? new GZIPInputStream(raw, 1 << 16) : raw, 1 << 16)) {
                if (jsonl) {
                    jsonLines(in, id);
                } else {
                    if (!looksLikeText(in, id, size)) return;
                    boolean split = standalone || (gzip ? size * 3 : size) > settings.splitFilesAbove();
                    TextBlocks.split(in, id, split ? settings.blockBytes() : Integer.MAX_VALUE, settings.maxDocumentBytes(),
                            (blockId, bytes, length) -> emit(blockId, bytes, length));
                }
            } catch (Stop stop) {
                throw stop;
            } catch (IOException | UncheckedIOException e) {
                String what = gzip && e.getMessage() != null && e.getMessage().contains("GZIP") ? "not a valid gzip file" : e.getMessage();
                if (standalone && documents == before) {
                    throw new DataException("cannot read " + id + " (" + what + "); check the file, or decompress it and pass the plain file", e);
                }
                skips.skip(id, (documents == before ? "cannot read (" : "damaged after " + (documents - before) + " documents (") + what + ")", 0);
            }
        }

        /** Refuses a whole file by its first bytes: NULs (binary) or a UTF-16 byte order mark. */
        boolean looksLikeText(InputStream in, String id, long size) throws IOException {
            in.mark(8192);
            byte[] head = in.readNBytes(8192);
            in.reset();
            if (head.length >= 2 && ((head[0] == (byte) 0xFF && head[1] == (byte) 0xFE) || (head[0] == (byte) 0xFE && head[1] == (byte) 0xFF))) {
                skips.skip(id, UTF16, size);
                return false;
            }
            for (byte b : head) {
                if (b == 0) {
                    skips.skip(id, BINARY_FILE, size);
                    return false;
                }
            }
            // a UTF-8 byte order mark is not text: drop it
            if (head.length >= 3 && head[0] == (byte) 0xEF && head[1] == (byte) 0xBB && head[2] == (byte) 0xBF) {
                in.skipNBytes(3);
            }
            return true;
        }

        void jsonLines(InputStream in, String name) throws IOException {
            var lines = new LineReader(in);
            long lineNo = 0;
            String field = settings.textField();
            byte[] line;
            while ((line = lines.next(MAX_JSON_LINE)) != null) {
                lineNo++;
                String id = name + ":" + lineNo;
                if (lines.tooLong()) {
                    skips.skip(id, LINE_TOO_LONG, lines.length());
                    continue;
                }
                int len = lines.length();
                if (isBlank(line, len)) continue;
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(line, 0, len);
                } catch (JsonProcessingException e) {
                    skips.skip(id, NOT_JSON, len);
                    continue;
                }
                JsonNode text = node == null ? null : node.get(field);
                if (text == null || !text.isTextual()) {
                    skips.skip(id, String.format(NO_FIELD, field), len);
                    continue;
                }
                byte[] utf8 = text.textValue().getBytes(StandardCharsets.UTF_8);
                JsonNode own = node.get("id");
                String sourceId = own != null && (own.isTextual() || own.isNumber()) ? own.asText() : null;
                int max = settings.maxDocumentBytes();
                if (utf8.length <= max) {
                    emit(id, utf8, utf8.length, sourceId);
                } else {
                    for (int off = 0; off < utf8.length; ) {
                        int end = Math.min(utf8.length, off + max);
                        while (end < utf8.length && (utf8[end] & 0xC0) == 0x80) end--;
                        emit(off == 0 ? id : id + "@" + off, Arrays.copyOfRange(utf8, off, end), end - off,
                                sourceId == null || off == 0 ? sourceId : sourceId + "@" + off);
                        off = end;
                    }
                }
            }
        }

        boolean emit(String id, byte[] bytes, int length) {
            return emit(id, bytes, length, null);
        }

        boolean emit(String id, byte[] bytes, int length, String sourceId) {
            switch (TextCheck.check(bytes, 0, length)) {
                case TextCheck.Verdict.Refused r -> skips.skip(id, r.reason(), length);
                case TextCheck.Verdict.Text t -> {
                    if (t.repaired()) skips.repair(id, TextCheck.REPAIRED);
                    // the block buffer is reused by the splitter: a document needs its own copy
                    byte[] utf8 = t.utf8() == bytes ? Arrays.copyOf(bytes, length) : t.utf8();
                    documents++;
                    if (!sink.accept(new Document(id, utf8, sourceId))) throw new Stop();
                }
            }
            return true;
        }
    }

    private static boolean isBlank(byte[] b, int len) {
        for (int i = 0; i < len; i++) if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') return false;
        return true;
    }

    private static String relative(Path root, Path p) {
        return root.relativize(p).toString().replace('\\', '/');
    }

    /** Lines of a stream as bytes (without the line end), long lines included, in bounded buffers. */
    static final class LineReader {
        private final InputStream in;
        private final byte[] chunk = new byte[1 << 16];
        private int pos;
        private int limit;
        private byte[] line = new byte[1 << 12];
        private int length;
        private boolean tooLong;

        LineReader(InputStream in) {
            this.in = in;
        }

        /** The next line (valid up to {@link #length()}), or null at the end; longer than max → {@link #tooLong()}. */
        byte[] next(int max) throws IOException {
            length = 0;
            tooLong = false;
            long seen = 0;
            boolean any = false;
            while (true) {
                if (pos == limit) {
                    limit = in.read(chunk, 0, chunk.length);
                    pos = 0;
                    if (limit <= 0) {
                        limit = 0;
                        if (!any) return null;
                        break;
                    }
                }
                any = true;
                int start = pos;
                while (pos < limit && chunk[pos] != '\n') pos++;
                int n = pos - start;
                seen += n;
                if (!tooLong) {
                    if (seen > max) {
                        tooLong = true;
                        length = (int) Math.min(Integer.MAX_VALUE, seen);
                    } else {
                        if (length + n > line.length) line = Arrays.copyOf(line, Math.max(line.length * 2, length + n));
                        System.arraycopy(chunk, start, line, length, n);
                        length += n;
                    }
                }
                if (pos < limit) {
                    pos++; // the '\n'
                    break;
                }
            }
            if (tooLong) length = (int) Math.min(Integer.MAX_VALUE, seen);
            else if (length > 0 && line[length - 1] == '\r') length--;
            return line;
        }

        int length() {
            return length;
        }

        boolean tooLong() {
            return tooLong;
        }
    }
}
