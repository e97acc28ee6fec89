package dev.flywheel.data.prep;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.corpus.Source;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Prepared data keyed by (source content + settings), so {@code flywheel train --data SOURCE} prepares once and
 * reuses the result. Layout under the root: {@code prepared/<name>-<key>/} for the directories and
 * {@code downloads/} for named data sets and URLs. A directory given as the source that is already prepared
 * (it has meta.json) is used as it is.
 */
public final class DataCache {
    private final Path root;

    public DataCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** $FLYWHEEL_HOME/cache, else ~/.flywheel/cache. */
    public static Path defaultRoot() {
        String home = System.getenv("FLYWHEEL_HOME");
        Path base = home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".flywheel");
        return base.resolve("cache");
    }

    public Path root() {
        return root;
    }

    public Path downloads() {
        return root.resolve("downloads");
    }

    /** The settings as this cache applies them: downloads go under the cache root. */
    public PrepSettings localise(PrepSettings settings) {
        return settings.withDownloadDir(downloads());
    }

    /** Where (source, settings) is or will be prepared. */
    public Path directoryFor(String spec, PrepSettings settings) {
        PrepSettings s = localise(settings);
        String key = DataPrep.cacheKey(spec, s);
        String name = shortName(spec);
        if (name.length() > 40) name = name.substring(0, 40);
        return root.resolve("prepared").resolve(name + "-" + key.substring(0, 16));
    }

    /** The last path segment of the source (or "jdk-src"), made safe for a directory name. */
    public static String shortName(String spec) {
        if (spec == null || spec.isBlank()) return Source.JDK_SOURCE;
        String s = spec.trim().replaceAll("[/\\\\]+$", "");
        String name = s.substring(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
        name = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-");
        return name.isEmpty() ? "data" : name;
    }

    /** The result of {@link #prepare}: the opened data and its summary (with {@code reused} set on a cache hit). */
    public record Result(PreparedData data, PrepSummary summary) {}

    /**
     * Opens the prepared data for (source, settings), preparing it first unless the cache has it. A source that
     * is itself a prepared directory is opened directly.
     */
    public Result prepare(String spec, PrepSettings settings, Progress progress) {
        long t0 = System.nanoTime();
        if (spec != null && !spec.isBlank()) {
            Path asDir = Path.of(spec);
            if (Files.isDirectory(asDir) && PreparedData.isPrepared(asDir)) {
                var data = PreparedData.open(asDir);
                return new Result(data, data.summary().asReused((System.nanoTime() - t0) / 1e9));
            }
        }
        PrepSettings s = localise(settings);
        Path dir = directoryFor(spec, s);
        String key = DataPrep.cacheKey(spec, s);
        if (PreparedData.isPrepared(dir)) {
            try {
                var data = PreparedData.open(dir);
                if (data.cacheKey().equals(key)) return new Result(data, data.summary().asReused((System.nanoTime() - t0) / 1e9));
            } catch (DataException damaged) {
                // a damaged cache entry is prepared again below
            }
        }
        PrepSummary summary = DataPrep.prepare(spec, s, dir, progress, key);
        return new Result(PreparedData.open(dir), summary);
    }
}
