package dev.flywheel.data.corpus;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.util.Hashing;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Where documents come from, resolved to local files: what {@code --data} named. {@link #resolve} downloads
 * named data sets and URLs first; {@link #fingerprint} identifies the source's content without downloading
 * anything, for the prepared-data cache.
 */
public sealed interface Source {

    /** The short name that prefixes document ids. */
    String name();

    /** One line for people, e.g. "text file /data/input.txt". */
    String describe();

    /** A text file, read as blocks ({@code .gz} allowed). */
    record TextFile(Path path, String name) implements Source {
        public String describe() {
            return "text file " + path;
        }
    }

    /** One JSON object per line with a text field ({@code .jsonl}, {@code .ndjson}, {@code .gz} allowed). */
    record JsonLines(Path path, String name) implements Source {
        public String describe() {
            return "JSONL file " + path;
        }
    }

    /** Every file below a folder, recursively, in path order. */
    record Folder(Path dir, String name) implements Source {
        public String describe() {
            return "folder " + dir;
        }
    }

    /** Every file in a zip archive, in entry-name order. */
    record Archive(Path zip, String name) implements Source {
        public String describe() {
            return "zip archive " + zip;
        }
    }

    /** A deterministic sample of the running JDK's {@code lib/src.zip}: Java source with its Javadoc. */
    record JdkSource(Path srcZip, long sampleBytes) implements Source {
        public String name() {
            return "jdk-src";
        }

        public String describe() {
            return "JDK source sample (" + (sampleBytes >> 20) + " MB of " + srcZip + ")";
        }
    }

    String JDK_SOURCE = "jdk-src";

    static String usage(CorpusSettings settings) {
        return "--data FILE|DIR|URL|" + String.join("|", settings.catalog().keySet()) + "|" + JDK_SOURCE;
    }

    /** The JDK source archive of the running JVM. */
    static Path jdkSourceZip() {
        return Path.of(System.getProperty("java.home"), "lib", "src.zip");
    }

    /** Resolves what {@code --data} said (null or empty means {@code jdk-src}); downloads when needed. */
    static Source resolve(String spec, CorpusSettings settings, Progress progress) {
        String s = spec == null || spec.isBlank() ? JDK_SOURCE : spec.trim();
        if (s.equals(JDK_SOURCE)) {
            Path zip = jdkSourceZip();
            if (!Files.isRegularFile(zip)) {
                throw new DataException("the default corpus is the JDK's own source archive, but " + zip + " does not exist"
                        + " (this JDK was installed without its sources); point Flywheel at other data with " + usage(settings)
                        + ", or install a full JDK (e.g. Temurin) that ships lib/src.zip");
            }
            return new JdkSource(zip, settings.jdkSourceBytes());
        }
        NamedDataset named = settings.catalog().get(s.toLowerCase(Locale.ROOT));
        if (named != null) {
            Path file = settings.downloadDir().resolve(named.name()).resolve(named.fileName());
            new Downloader().fetch(named.url(), file, named.sha256(), progress);
            return ofFile(file, named.name());
        }
        if (s.startsWith("http://") || s.startsWith("https://")) {
            URI url;
            try {
                url = URI.create(s);
            } catch (IllegalArgumentException e) {
                throw new DataException("--data " + s + " is not a valid URL (" + e.getMessage() + ")");
            }
            String fileName = Downloader.fileNameOf(url);
            Path file = settings.downloadDir().resolve("url-" + Hashing.sha256Hex(s).substring(0, 16)).resolve(fileName);
            new Downloader().fetch(url, file, null, progress);
            return ofFile(file, fileName);
        }
        Path path = Path.of(s).toAbsolutePath().normalize();
        if (!Files.exists(path)) {
            throw new DataException("--data " + s + ": no such file, folder or data set; give " + usage(settings));
        }
        if (Files.isDirectory(path)) return new Folder(path, nameOf(path));
        if (!Files.isReadable(path)) throw new DataException("--data " + s + ": the file is not readable; check its permissions");
        return ofFile(path, nameOf(path));
    }

    private static String nameOf(Path path) {
        Path f = path.getFileName();
        return f == null ? path.toString() : f.toString();
    }

    private static Source ofFile(Path file, String name) {
        String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (lower.endsWith(".gz")) lower = lower.substring(0, lower.length() - 3);
        if (lower.endsWith(".zip") || lower.endsWith(".jar")) return new Archive(file, name);
        if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return new JsonLines(file, name);
        return new TextFile(file, name);
    }

    /**
     * A string that changes whenever the documents of {@code spec} could: the path with sizes and modification
     * times of its files, the URL and pinned hash of a download, the JDK's version and sample size. Never downloads.
     */
    static String fingerprint(String spec, CorpusSettings settings) {
        String s = spec == null || spec.isBlank() ? JDK_SOURCE : spec.trim();
        try {
            if (s.equals(JDK_SOURCE)) {
                Path zip = jdkSourceZip();
                String stat = Files.isRegularFile(zip) ? Files.size(zip) + ":" + Files.getLastModifiedTime(zip).toMillis() : "missing";
                return "jdk-src|" + zip + "|" + stat + "|" + System.getProperty("java.version") + "|" + settings.jdkSourceBytes();
            }
            NamedDataset named = settings.catalog().get(s.toLowerCase(Locale.ROOT));
            if (named != null) return "named|" + named.name() + "|" + named.url() + "|" + named.sha256();
            if (s.startsWith("http://") || s.startsWith("https://")) return "url|" + s;
            Path path = Path.of(s).toAbsolutePath().normalize();
            if (!Files.exists(path)) return "missing|" + path;
            if (!Files.isDirectory(path)) return "file|" + path + "|" + Files.size(path) + "|" + Files.getLastModifiedTime(path).toMillis();
            var sb = new StringBuilder("dir|" + path);
            try (Stream<Path> files = Files.walk(path)) {
                for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                    sb.append('|').append(path.relativize(p)).append(':').append(Files.size(p)).append(':')
                            .append(Files.getLastModifiedTime(p).toMillis());
                }
            }
            return "dir|" + path + "|" + Hashing.sha256Hex(sb.toString());
        } catch (IOException e) {
            throw new DataException("cannot read --data " + s + " (" + e.getMessage() + ")", e);
        }
    }
}
