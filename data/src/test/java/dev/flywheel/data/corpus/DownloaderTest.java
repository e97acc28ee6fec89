package dev.flywheel.data.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.TestText;
import dev.flywheel.data.util.Hashing;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real download code against a local HTTP server serving small fixtures; nothing here touches the internet. */
class DownloaderTest {

    @TempDir
    Path dir;
    HttpServer server;
    byte[] fixture;
    String sha;
    final List<String> ranges = Collections.synchronizedList(new ArrayList<>());
    volatile boolean honourRange = true;
    volatile String advertised;

    @BeforeEach
    void start() throws Exception {
        fixture = Arrays.copyOf(Files.readAllBytes(TestText.SHAKESPEARE), 200_000);
        sha = Hashing.sha256Hex(fixture);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/data/input.txt", this::serve);
        server.createContext("/missing", ex -> {
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void serve(HttpExchange ex) throws IOException {
        String range = ex.getRequestHeaders().getFirst("Range");
        ranges.add(range == null ? "none" : range);
        if (advertised != null) ex.getResponseHeaders().add("X-Linked-Etag", "\"" + advertised + "\"");
        int from = 0;
        if (range != null && honourRange) {
            from = Integer.parseInt(range.substring("bytes=".length(), range.indexOf('-')));
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (fixture.length - 1) + "/" + fixture.length);
            ex.sendResponseHeaders(206, fixture.length - from);
        } else {
            ex.sendResponseHeaders(200, fixture.length);
        }
        try (var out = ex.getResponseBody()) {
            out.write(fixture, from, fixture.length - from);
        }
    }

    URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void downloadsVerifiesAndThenReusesTheCachedFile() throws Exception {
        Path target = dir.resolve("cache/input.txt");
        var progress = new RecordingProgress();
        new Downloader().fetch(url("/data/input.txt"), target, sha, progress);
        assertThat(Files.readAllBytes(target)).isEqualTo(fixture);
        assertThat(Files.readString(dir.resolve("cache/input.txt.sha256")).trim()).isEqualTo(sha);
        assertThat(progress.last).isEqualTo(fixture.length);
        assertThat(progress.total).isEqualTo(fixture.length);
        new Downloader().fetch(url("/data/input.txt"), target, sha, Progress.none());
        assertThat(ranges).hasSize(1);
    }

    @Test
    void resumesAnInterruptedDownloadWithARangeRequest() throws Exception {
        Path target = dir.resolve("input.txt");
        Files.write(dir.resolve("input.txt.part"), Arrays.copyOf(fixture, 70_000));
        new Downloader().fetch(url("/data/input.txt"), target, sha, Progress.none());
        assertThat(ranges).containsExactly("bytes=70000-");
        assertThat(Files.readAllBytes(target)).isEqualTo(fixture);
        assertThat(Files.exists(dir.resolve("input.txt.part"))).isFalse();
    }

    @Test
    void startsOverWhenTheServerIgnoresRange() throws Exception {
        honourRange = false;
        Path target = dir.resolve("input.txt");
        Files.write(dir.resolve("input.txt.part"), Arrays.copyOf(fixture, 70_000));
        new Downloader().fetch(url("/data/input.txt"), target, sha, Progress.none());
        assertThat(Files.readAllBytes(target)).isEqualTo(fixture);
    }

    @Test
    void aWrongChecksumDeletesTheFileAndSaysSo() {
        Path target = dir.resolve("input.txt");
        String wrong = "0".repeat(64);
        assertThatThrownBy(() -> new Downloader().fetch(url("/data/input.txt"), target, wrong, Progress.none()))
                .isInstanceOf(DataException.class).hasMessageContaining("SHA-256 " + sha).hasMessageContaining("was expected")
                .hasMessageContaining("deleted");
        assertThat(Files.exists(target)).isFalse();
        assertThat(Files.exists(dir.resolve("input.txt.part"))).isFalse();
    }

    @Test
    void theServersAdvertisedChecksumIsVerifiedWhenNoneIsPinned() {
        advertised = "f".repeat(64);
        assertThatThrownBy(() -> new Downloader().fetch(url("/data/input.txt"), dir.resolve("a.txt"), null, Progress.none()))
                .isInstanceOf(DataException.class).hasMessageContaining("was expected");
        advertised = sha;
        new Downloader().fetch(url("/data/input.txt"), dir.resolve("b.txt"), null, Progress.none());
        assertThat(dir.resolve("b.txt")).exists();
    }

    @Test
    void anHttpErrorNamesTheStatusAndTheWayOut() {
        assertThatThrownBy(() -> new Downloader().fetch(url("/missing"), dir.resolve("m.txt"), null, Progress.none()))
                .isInstanceOf(DataException.class).hasMessageContaining("HTTP 404").hasMessageContaining("--data FILE");
    }

    @Test
    void namedDataSetsAreFetchedFromTheCatalogIntoTheCache() {
        var named = new NamedDataset("tinyshakespeare", url("/data/input.txt"), "tinyshakespeare.txt", sha, fixture.length, "test copy");
        var settings = CorpusSettings.defaults(dir.resolve("downloads")).withCatalog(Map.of("tinyshakespeare", named));
        Source source = Source.resolve("tinyshakespeare", settings, Progress.none());
        assertThat(source).isEqualTo(new Source.TextFile(dir.resolve("downloads/tinyshakespeare/tinyshakespeare.txt"), "tinyshakespeare"));
        var docs = new ArrayList<Document>();
        new Corpus(source, settings).read(docs::add, new SkipLog());
        assertThat(docs.getFirst().id()).isEqualTo("tinyshakespeare:1");
        // and the mirror setting rebases every URL
        assertThat(NamedDataset.catalog("http://mirror/sets").get("tinystories").url().toString()).isEqualTo("http://mirror/sets/TinyStories-valid.txt");
    }

    @Test
    void urlSourcesAreDownloadedIntoTheCacheToo() {
        var settings = CorpusSettings.defaults(dir.resolve("downloads"));
        Source source = Source.resolve(url("/data/input.txt").toString(), settings, Progress.none());
        assertThat(source).isInstanceOf(Source.TextFile.class);
        assertThat(((Source.TextFile) source).path()).startsWith(dir.resolve("downloads"));
    }

    static final class RecordingProgress implements Progress {
        long total;
        long last;

        @Override public void begin(String task, long total, String unit) {
            this.total = total;
        }

        @Override public void update(long done) {
            last = done;
        }

        @Override public void end() {}
    }
}
