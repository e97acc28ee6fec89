package dev.flywheel.data.corpus;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.util.Hashing;
import dev.flywheel.engine.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Fetches a file over HTTP(S) into a cache, resumably and verified.
 *
 * <p>Bytes go to {@code file.part}; an interrupted download resumes from its length with an HTTP Range request
 * (a server that ignores Range and answers 200 makes it start over). When complete, the SHA-256 is checked
 * against the pinned value, or else against the server's advertised one (Hugging Face sends it as
 * {@code X-Linked-Etag} for large files), and only then is the file renamed into place with a {@code .sha256}
 * note beside it. A cached file is reused without touching the network.
 */
public final class Downloader {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private final HttpClient client;

    public Downloader() {
        this(HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(20)).build());
    }

    public Downloader(HttpClient client) {
        this.client = client;
    }

    /**
     * Returns {@code target}, downloading {@code url} into it first unless it is already there.
     *
     * @param expectedSha256 hex SHA-256 to verify, or null to accept the server's advertised hash (or none)
     */
    public Path fetch(URI url, Path target, String expectedSha256, Progress progress) {
        Path note = target.resolveSibling(target.getFileName() + ".sha256");
        if (Files.isRegularFile(target) && Files.isRegularFile(note)) {
            if (expectedSha256 == null || readNote(note).equals(expectedSha256)) return target;
        }
        try {
            Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new DataException("cannot create the download cache " + target.getParent() + " (" + e.getMessage() + "); point the cache at a writable directory", e);
        }
        Path part = target.resolveSibling(target.getFileName() + ".part");
        for (int attempt = 0; attempt < 2; attempt++) {
            String advertised = download(url, part, progress);
            String actual = sha256(part);
            String expected = expectedSha256 != null ? expectedSha256 : advertised;
            if (expected != null && !expected.equals(actual)) {
                deleteQuietly(part);
                if (attempt == 0 && expectedSha256 != null) continue; // a resumed file may have mixed two versions: retry once from zero
                throw new DataException("the download of " + url + " has SHA-256 " + actual + " but " + expected + " was expected;"
                        + " the file was deleted — retry, or check the URL (a proxy or a changed file upstream)");
            }
            try {
                AtomicFiles.moveIntoPlace(part, target);
                AtomicFiles.writeString(note, actual + "\n");
            } catch (IOException e) {
                throw new DataException("cannot store the download in " + target + " (" + e.getMessage() + ")", e);
            }
            return target;
        }
        throw new IllegalStateException("unreachable");
    }

    private static String readNote(Path note) {
        try {
            return Files.readString(note).trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** Downloads (or resumes) into {@code part}; returns the server's advertised SHA-256, if any. */
    private String download(URI url, Path part, Progress progress) {
        long have = 0;
        try {
            if (Files.isRegularFile(part)) have = Files.size(part);
        } catch (IOException ignored) {
            have = 0;
        }
        var request = HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(30)).header("User-Agent", "flywheel-data");
        if (have > 0) request.header("Range", "bytes=" + have + "-");
        HttpResponse<InputStream> response;
        try {
            response = client.send(request.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new DataException("cannot download " + url + " (" + e + "); check the network, or download the file yourself and pass it with --data FILE", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataException("the download of " + url + " was interrupted", e);
        }
        int status = response.statusCode();
        boolean resumed = status == 206;
        if (status == 416 && have > 0) {
            // the part file is already complete (or longer than the file): verify it as it is
            closeQuietly(response.body());
            return advertisedSha(response);
        }
        if (status != 200 && status != 206) {
            closeQuietly(response.body());
            throw new DataException("cannot download " + url + ": the server answered HTTP " + status
                    + "; check the URL, or download the file yourself and pass it with --data FILE");
        }
        if (resumed) {
            String range = response.headers().firstValue("Content-Range").orElse("");
            if (!range.startsWith("bytes " + have + "-")) {
                closeQuietly(response.body());
                deleteQuietly(part);
                throw new DataException("cannot resume the download of " + url + ": the server sent range '" + range
                        + "' for a request from byte " + have + "; the partial file was deleted, run the command again");
            }
        } else {
            have = 0; // 200: the whole file from the start
        }
        long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        long total = length >= 0 ? have + length : -1;
        progress.begin("download " + fileNameOf(url), total, "bytes");
        try (InputStream in = response.body();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            long done = have;
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                done += n;
                progress.update(done);
            }
            if (total >= 0 && done != total) {
                throw new DataException("the download of " + url + " stopped at " + done + " of " + total
                        + " bytes; run the command again to resume it");
            }
        } catch (IOException e) {
            throw new DataException("the download of " + url + " failed (" + e.getMessage() + "); run the command again to resume it", e);
        } finally {
            progress.end();
        }
        return advertisedSha(response);
    }

    private static String advertisedSha(HttpResponse<?> response) {
        for (String header : new String[] {"X-Linked-Etag", "ETag"}) {
            String v = response.headers().firstValue(header).orElse(null);
            if (v == null) continue;
            v = v.replace("W/", "").replace("\"", "").trim().toLowerCase(Locale.ROOT);
            if (SHA256.matcher(v).matches()) return v;
        }
        return null;
    }

    static String fileNameOf(URI url) {
        String path = url.getPath() == null ? "" : url.getPath();
        String name = path.substring(path.lastIndexOf('/') + 1);
        return name.isEmpty() ? "download" : name;
    }

    public static String sha256(Path file) {
        MessageDigest md = Hashing.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
        } catch (IOException e) {
            throw new DataException("cannot read " + file + " (" + e.getMessage() + ")", e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing to do: the response is abandoned
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a stale part file is overwritten by the next attempt anyway
        }
    }
}
