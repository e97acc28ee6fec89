package dev.flywheel.data.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.TestText;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {

    @TempDir
    Path dir;

    CorpusSettings settings() {
        return CorpusSettings.defaults(dir.resolve("downloads"));
    }

    record Read(List<Document> documents, SkipLog skips) {
        List<String> ids() {
            return documents.stream().map(Document::id).toList();
        }

        String concatenated() {
            var out = new ByteArrayOutputStream();
            documents.forEach(d -> out.writeBytes(d.utf8()));
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    Read read(String spec, CorpusSettings settings) {
        var docs = new ArrayList<Document>();
        var skips = new SkipLog();
        new Corpus(Source.resolve(spec, settings, Progress.none()), settings).read(docs::add, skips);
        return new Read(docs, skips);
    }

    @Test
    void aBigTextFileBecomesBlocksThatConcatenateToTheFile() throws Exception {
        var r = read(TestText.SHAKESPEARE.toString(), settings());
        assertThat(r.documents()).hasSizeBetween(200, 300);
        assertThat(r.concatenated()).isEqualTo(Files.readString(TestText.SHAKESPEARE));
        assertThat(r.ids().getFirst()).isEqualTo("input.txt:1");
        assertThat(new HashSet<>(r.ids())).hasSameSizeAs(r.ids());
        // every block but the last ends with a blank line and is at least the block size
        for (var d : r.documents().subList(0, r.documents().size() - 1)) {
            assertThat(d.bytes()).isGreaterThanOrEqualTo(4096);
            assertThat(d.text()).endsWith("\n\n");
        }
        // ids name the block's first line
        var lines = Files.readAllLines(TestText.SHAKESPEARE);
        var second = r.documents().get(1);
        int line = Integer.parseInt(second.id().substring("input.txt:".length()));
        assertThat(second.text()).startsWith(lines.get(line - 1));
        assertThat(read(TestText.SHAKESPEARE.toString(), settings()).ids()).isEqualTo(r.ids());
    }

    @Test
    void tinyStoriesSeparatorLinesMakeOneDocumentPerStory() {
        var r = read(TestText.TINYSTORIES.toString(), settings());
        assertThat(r.documents()).hasSize(2317);
        assertThat(r.documents()).noneMatch(d -> d.text().contains("<|endoftext|>"));
        assertThat(r.documents().getFirst().text()).startsWith("One day, a little girl named Lily found a needle");
        assertThat(r.ids().get(0)).isEqualTo("TinyStories-train-head-2MiB.txt:1");
    }

    @Test
    void aSmallFileIsOneDocumentNamedAfterTheFile() throws Exception {
        Path f = Files.writeString(dir.resolve("note.txt"), "just one line\n");
        var r = read(f.toString(), settings());
        assertThat(r.ids()).containsExactly("note.txt");
    }

    @Test
    void aFiftyMegabyteSingleLineStreamsThroughInBoundedPieces() throws Exception {
        Path f = dir.resolve("line.txt");
        byte[] chunk = "é word ".repeat(1 << 16).getBytes(StandardCharsets.UTF_8);
        long total = 0;
        try (OutputStream out = Files.newOutputStream(f)) {
            while (total < 50L << 20) {
                out.write(chunk);
                total += chunk.length;
            }
        }
        var docs = new ArrayList<Document>();
        long[] bytes = {0};
        var s = settings();
        new Corpus(Source.resolve(f.toString(), s, Progress.none()), s).read(d -> {
            bytes[0] += d.bytes();
            if (docs.size() < 3) docs.add(d);
            assertThat(d.bytes()).isLessThanOrEqualTo(s.maxDocumentBytes());
            // cut at a character boundary: every piece is valid UTF-8 by itself
            assertThat(TextCheck.check(d.utf8(), 0, d.bytes())).isInstanceOf(TextCheck.Verdict.Text.class)
                    .matches(v -> !((TextCheck.Verdict.Text) v).repaired());
            return true;
        }, new SkipLog());
        assertThat(bytes[0]).isEqualTo(total);
        assertThat(docs.get(0).id()).isEqualTo("line.txt:1");
        assertThat(docs.get(1).id()).isEqualTo("line.txt:1@" + docs.get(0).bytes());
    }

    @Test
    void aFolderIsReadRecursivelyWithGlobsAndEverySkipRecorded() throws Exception {
        Path root = Files.createDirectories(dir.resolve("corpus"));
        Files.createDirectories(root.resolve("src/deep"));
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve("a.txt"), "alpha text\n");
        Files.writeString(root.resolve("src/B.java"), "class B {}\n");
        Files.writeString(root.resolve("src/deep/C.java"), "class C {}\n");
        Files.writeString(root.resolve(".git/config"), "[core]\n");
        Files.writeString(root.resolve(".hidden.txt"), "hidden\n");
        Files.write(root.resolve("image.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13});
        Files.writeString(root.resolve("d.jsonl"), "{\"text\": \"from jsonl\"}\nnot json\n");
        try (var gz = new GZIPOutputStream(Files.newOutputStream(root.resolve("e.txt.gz")))) {
            gz.write("gzipped text\n".getBytes(StandardCharsets.UTF_8));
        }
        try (var zip = new ZipOutputStream(Files.newOutputStream(root.resolve("nested.zip")))) {
            zip.putNextEntry(new ZipEntry("x.txt"));
            zip.write("x".getBytes(StandardCharsets.UTF_8));
        }
        var all = read(root.toString(), settings());
        assertThat(all.ids()).containsExactly("corpus/a.txt", "corpus/d.jsonl:1", "corpus/e.txt.gz", "corpus/src/B.java", "corpus/src/deep/C.java");
        assertThat(all.documents().get(2).text()).isEqualTo("gzipped text\n");
        var reasons = all.skips().skipReasons().stream().map(SkipLog.Reason::reason).toList();
        assertThat(reasons).contains(Corpus.HIDDEN, Corpus.BINARY_FILE, Corpus.NOT_JSON, Corpus.NESTED_ARCHIVE);
        assertThat(all.skips().entries()).extracting(SkipLog.Entry::id).contains("corpus/.git/", "corpus/.hidden.txt", "corpus/image.png", "corpus/d.jsonl:2");

        var javaOnly = read(root.toString(), settings().withInclude(List.of("*.java")).withExclude(List.of("src/deep/**")));
        assertThat(javaOnly.ids()).containsExactly("corpus/src/B.java");
        assertThat(javaOnly.skips().skipReasons()).anyMatch(r -> r.reason().equals(Corpus.FILTERED) && r.count() == 6);
    }

    @Test
    void aZipArchiveIsReadInEntryOrder() throws Exception {
        Path zipFile = dir.resolve("sources.zip");
        try (var zip = new ZipOutputStream(Files.newOutputStream(zipFile))) {
            for (String name : List.of("b/Two.java", "a/One.java", "c/notes.md")) {
                zip.putNextEntry(new ZipEntry(name));
                zip.write(("content of " + name + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        var r = read(zipFile.toString(), settings());
        assertThat(r.ids()).containsExactly("sources.zip/a/One.java", "sources.zip/b/Two.java", "sources.zip/c/notes.md");
        assertThat(r.documents().getFirst().text()).isEqualTo("content of a/One.java\n");
    }

    @Test
    void jsonLinesUseTheConfiguredFieldAndRecordBadLines() throws Exception {
        Path f = Files.writeString(dir.resolve("data.jsonl"), """
                {"text": "first", "body": "one"}
                {"body": "two"}
                {"text": 3}
                this is not json
                {"text": "unfinished
                
                {"text": "last"}
                """);
        var r = read(f.toString(), settings());
        assertThat(r.ids()).containsExactly("data.jsonl:1", "data.jsonl:7");
        assertThat(r.skips().skipReasons()).extracting(SkipLog.Reason::reason, SkipLog.Reason::count)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("JSONL line has no string field \"text\"", 2L),
                        org.assertj.core.groups.Tuple.tuple(Corpus.NOT_JSON, 2L));
        var body = read(f.toString(), settings().withTextField("body"));
        assertThat(body.documents()).extracting(Document::text).containsExactly("one", "two");
    }

    @Test
    void mixedEncodingsAreRepairedAndRecorded() throws Exception {
        byte[] latin1 = "naïve café\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] utf8 = "déjà vu\n".getBytes(StandardCharsets.UTF_8);
        Path f = dir.resolve("mixed.txt");
        Files.write(f, concat(utf8, latin1));
        var r = read(f.toString(), settings());
        assertThat(r.concatenated()).isEqualTo("déjà vu\nnaïve café\n");
        assertThat(r.skips().repairedCount()).isEqualTo(1);
        assertThat(r.skips().repairReasons().getFirst().reason()).isEqualTo(TextCheck.REPAIRED);
    }

    @Test
    void binaryAndUtf16FilesAreRefusedWithTheReason() throws Exception {
        Path bin = dir.resolve("blob.txt");
        Files.write(bin, new byte[] {1, 2, 3, 0, 5, 6});
        assertThat(read(bin.toString(), settings()).skips().skipReasons()).extracting(SkipLog.Reason::reason).containsExactly(Corpus.BINARY_FILE);
        Path utf16 = dir.resolve("wide.txt");
        Files.write(utf16, concat(new byte[] {(byte) 0xFF, (byte) 0xFE}, "hi".getBytes(StandardCharsets.UTF_16LE)));
        assertThat(read(utf16.toString(), settings()).skips().skipReasons()).extracting(SkipLog.Reason::reason).containsExactly(Corpus.UTF16);
        Path noise = dir.resolve("noise.txt");
        var random = new java.util.Random(1);
        byte[] b = new byte[10_000];
        for (int i = 0; i < b.length; i++) b[i] = (byte) (0x80 + random.nextInt(128));
        Files.write(noise, b);
        assertThat(read(noise.toString(), settings()).skips().skipReasons()).extracting(SkipLog.Reason::reason).containsExactly(TextCheck.NOT_UTF8);
    }

    @Test
    void missingInputsGiveOneSentenceWithTheFix() {
        assertThatThrownBy(() -> read(dir.resolve("nope.txt").toString(), settings()))
                .isInstanceOf(DataException.class).hasMessageContaining("no such file, folder or data set")
                .hasMessageContaining("--data FILE|DIR|URL|tinyshakespeare");
    }

    @Test
    void aCorruptGzipSourceIsAClearError() throws Exception {
        Path f = Files.writeString(dir.resolve("broken.txt.gz"), "this is not gzip");
        assertThatThrownBy(() -> read(f.toString(), settings())).isInstanceOf(DataException.class).hasMessageContaining("not a valid gzip file");
    }

    @Test
    void theJdkSourceSampleIsDeterministicJavaSource() {
        var s = settings().withJdkSourceBytes(1 << 20);
        var r = read("jdk-src", s);
        long bytes = r.documents().stream().mapToLong(Document::bytes).sum();
        assertThat(bytes).isBetween(1L << 20, (1L << 20) + (4L << 20));
        assertThat(r.ids()).allMatch(id -> id.startsWith("jdk-src/") && id.contains(".java"));
        assertThat(r.ids()).isSorted();
        assertThat(read(null, s).ids()).isEqualTo(r.ids());
    }

    @Test
    void aMissingJdkSourceArchiveSaysHowToPointAtOtherData() throws Exception {
        String home = System.getProperty("java.home");
        try {
            System.setProperty("java.home", dir.toString());
            assertThatThrownBy(() -> read("jdk-src", settings())).isInstanceOf(DataException.class)
                    .hasMessageContaining("src.zip does not exist").hasMessageContaining("--data FILE|DIR|URL|tinyshakespeare");
        } finally {
            System.setProperty("java.home", home);
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

}
