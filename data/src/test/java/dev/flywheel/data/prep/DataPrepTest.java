package dev.flywheel.data.prep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.Split;
import dev.flywheel.data.TestText;
import dev.flywheel.data.corpus.Corpus;
import dev.flywheel.data.corpus.Document;
import dev.flywheel.data.corpus.SkipLog;
import dev.flywheel.data.corpus.Source;
import dev.flywheel.data.shard.Shard;
import dev.flywheel.data.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataPrepTest {

    @TempDir
    Path dir;

    PrepSettings settings() {
        return PrepSettings.defaults().withDownloadDir(dir.resolve("downloads"));
    }

    static int[] all(PreparedData data, Split split) {
        var loader = data.loader(split, 0);
        int[] t = new int[(int) loader.tokenCount()];
        loader.read(0, t, 0, t.length);
        return t;
    }

    /** Document id → its tokens, from the shard indexes. */
    static Map<String, int[]> documents(PreparedData data, Split split) {
        var out = new HashMap<String, int[]>();
        for (Shard s : data.shards(split)) {
            for (int k = 0; k < s.documentCount(); k++) {
                long from = s.document(k).firstToken(), to = s.documentEnd(k);
                int[] t = new int[(int) (to - from)];
                s.read(from, t, 0, t.length);
                out.put(s.document(k).id(), t);
            }
        }
        return out;
    }

    @Test
    void reproducesNanoGptShakespeareChar() throws Exception {
        Path out = dir.resolve("shakespeare_char");
        var summary = DataPrep.prepare(TestText.SHAKESPEARE.toString(), settings().withTokenizer(Tokenizer.Kind.CHAR)
                .withSplit(PrepSettings.SplitMode.CONTIGUOUS, 0.1, 0), out, Progress.none());
        assertThat(summary.vocabSize()).isEqualTo(65);
        assertThat(summary.trainTokens()).isEqualTo(1_003_854);
        assertThat(summary.valTokens()).isEqualTo(111_540);
        assertThat(summary.testTokens()).isZero();
        assertThat(summary.bytesPerToken()).isEqualTo(1.0);
        var data = PreparedData.open(out);
        String text = Files.readString(TestText.SHAKESPEARE);
        assertThat(data.tokenizer().decode(all(data, Split.TRAIN))).isEqualTo(text.substring(0, 1_003_854));
        assertThat(data.tokenizer().decode(all(data, Split.VAL))).isEqualTo(text.substring(1_003_854));
        // the block cut by the 90% boundary continues in the validation shard
        assertThat(data.shards(Split.VAL).getFirst().document(0).continued()).isTrue();
        assertThat(PrepSettings.nanoGptChar().valFraction()).isEqualTo(0.1);
    }

    @Test
    void bpeShardsDecodeBackToEveryDocumentExactly() {
        Path out = dir.resolve("bpe");
        var s = settings().withVocabSize(600);
        var summary = DataPrep.prepare(TestText.SHAKESPEARE.toString(), s, out, Progress.none());
        var data = PreparedData.open(out);
        Tokenizer t = data.tokenizer();
        assertThat(t.vocabSize()).isEqualTo(600);
        assertThat(summary.bytesPerToken()).isGreaterThan(2.0);
        var original = new HashMap<String, String>();
        new Corpus(Source.resolve(TestText.SHAKESPEARE.toString(), s.corpus(), Progress.none()), s.corpus())
                .read(d -> original.put(d.id(), d.text()) == null, new SkipLog());
        long bytes = 0;
        int docs = 0;
        for (Split split : Split.values()) {
            for (var e : documents(data, split).entrySet()) {
                int[] ids = e.getValue();
                assertThat(ids[0]).isEqualTo(t.endOfText());
                assertThat(t.decode(java.util.Arrays.copyOfRange(ids, 1, ids.length))).isEqualTo(original.get(e.getKey()));
                for (int id : ids) bytes += t.tokenBytes()[id];
                docs++;
            }
        }
        assertThat(docs).isEqualTo(original.size()).isEqualTo((int) summary.documents());
        assertThat(bytes).isEqualTo(summary.bytes()).isEqualTo(1_115_394);
        assertThat(out.resolve(DataPrep.HF_TOKENIZER)).exists();
        assertThat(summary.trainTokens() + summary.valTokens() + summary.testTokens()).isEqualTo(summary.tokens());
    }

    static Map<String, Split> splitOfEachDocument(PreparedData data) {
        var out = new HashMap<String, Split>();
        for (Split split : Split.values()) {
            for (String id : documents(data, split).keySet()) {
                assertThat(out.put(id, split)).as("document %s is in two splits", id).isNull();
            }
        }
        return out;
    }

    @Test
    void hashSplitKeepsDocumentsInOneSplitAndInPlaceWhenDataIsAdded() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("stories"));
        Files.copy(TestText.TINYSTORIES, corpus.resolve("a.txt"));
        var s = settings().withTokenizer(Tokenizer.Kind.BYTE);
        var first = DataPrep.prepare(corpus.toString(), s, dir.resolve("p1"), Progress.none());
        var before = splitOfEachDocument(PreparedData.open(dir.resolve("p1")));
        assertThat(before).hasSize((int) first.documents()).hasSize(2317);
        long val = before.values().stream().filter(x -> x == Split.VAL).count();
        long test = before.values().stream().filter(x -> x == Split.TEST).count();
        assertThat(val).isBetween(80L, 160L);
        assertThat(test).isBetween(80L, 160L);
        assertThat(first.valDocuments()).isEqualTo(val);

        Files.copy(TestText.TINYSTORIES_VALID, corpus.resolve("b.txt"));
        DataPrep.prepare(corpus.toString(), s, dir.resolve("p2"), Progress.none());
        var after = splitOfEachDocument(PreparedData.open(dir.resolve("p2")));
        assertThat(after).hasSize(before.size() + 1);
        before.forEach((id, split) -> assertThat(after.get(id)).as(id).isEqualTo(split));
    }

    @Test
    void theResultDoesNotDependOnTheThreadCount() throws Exception {
        var s = settings().withVocabSize(512).withMaxBytes(600_000);
        var one = DataPrep.prepare(TestText.TINYSTORIES.toString(), s.withThreads(1), dir.resolve("t1"), Progress.none());
        var two = DataPrep.prepare(TestText.TINYSTORIES.toString(), s.withThreads(2), dir.resolve("t2"), Progress.none());
        assertThat(two.tokenizerHash()).isEqualTo(one.tokenizerHash());
        for (String f : List.of("train-0000.bin", "val-0000.bin", "test-0000.bin")) {
            assertThat(Files.readAllBytes(dir.resolve("t2").resolve(f))).isEqualTo(Files.readAllBytes(dir.resolve("t1").resolve(f)));
        }
        assertThat(one.truncated()).isTrue();
        assertThat(one.bytes()).isBetween(600_000L, 610_000L);
    }

    @Test
    void anExcludeFileQuarantinesDocumentsAndTheSummarySaysSo() throws Exception {
        var s = settings().withTokenizer(Tokenizer.Kind.BYTE);
        DataPrep.prepare(TestText.TINYSTORIES.toString(), s, dir.resolve("full"), Progress.none());
        var ids = new ArrayList<>(splitOfEachDocument(PreparedData.open(dir.resolve("full"))).keySet());
        java.util.Collections.sort(ids);
        Path quarantine = Files.writeString(dir.resolve("quarantine.txt"), "# found by spike forensics\n" + ids.get(0) + "\tspike at step 12\n"
                + ids.get(1) + "\n\nTinyStories-train-head-2MiB.txt:99*\n");
        var summary = DataPrep.prepare(TestText.TINYSTORIES.toString(), s.withExcludeIds(quarantine), dir.resolve("clean"), Progress.none());
        var kept = splitOfEachDocument(PreparedData.open(dir.resolve("clean"))).keySet();
        assertThat(kept).doesNotContain(ids.get(0), ids.get(1)).noneMatch(id -> id.startsWith("TinyStories-train-head-2MiB.txt:99"));
        long prefixed = ids.stream().filter(id -> id.startsWith("TinyStories-train-head-2MiB.txt:99")).count();
        assertThat(summary.skipped()).isEqualTo(2 + prefixed);
        assertThat(summary.skipReasons()).extracting(PrepSummary.Reason::reason).containsExactly("excluded by quarantine.txt");
        assertThat(Files.readString(dir.resolve("clean/skipped.tsv"))).contains(ids.get(0) + "\texcluded by quarantine.txt");
        assertThat(DataPrep.cacheKey(TestText.TINYSTORIES.toString(), s.withExcludeIds(quarantine)))
                .isNotEqualTo(DataPrep.cacheKey(TestText.TINYSTORIES.toString(), s));
    }

    @Test
    void theCachePreparesOnceAndReuses() throws Exception {
        Path source = Files.copy(TestText.SHAKESPEARE, dir.resolve("input.txt"));
        var cache = new DataCache(dir.resolve("cache"));
        var s = settings().withTokenizer(Tokenizer.Kind.BYTE);
        var first = cache.prepare(source.toString(), s, Progress.none());
        assertThat(first.summary().reused()).isFalse();
        var second = cache.prepare(source.toString(), s, Progress.none());
        assertThat(second.summary().reused()).isTrue();
        assertThat(second.data().directory()).isEqualTo(first.data().directory());
        assertThat(first.data().directory().getFileName().toString()).startsWith("input.txt-");
        // other settings, other directory
        var third = cache.prepare(source.toString(), s.withSplit(PrepSettings.SplitMode.HASH, 0.2, 0.0), Progress.none());
        assertThat(third.summary().reused()).isFalse();
        assertThat(third.data().directory()).isNotEqualTo(first.data().directory());
        // a changed file is prepared again
        Files.writeString(source, "\nmore text\n", java.nio.file.StandardOpenOption.APPEND);
        assertThat(cache.prepare(source.toString(), s, Progress.none()).summary().reused()).isFalse();
        // a prepared directory given as the source is used as it is
        var direct = cache.prepare(first.data().directory().toString(), s, Progress.none());
        assertThat(direct.summary().reused()).isTrue();
        // the thread count is not part of the key
        assertThat(DataPrep.cacheKey(source.toString(), s.withThreads(1))).isEqualTo(DataPrep.cacheKey(source.toString(), s.withThreads(2)));
    }

    @Test
    void anInterruptedPreparationLeavesNothingThatLooksFinished() throws Exception {
        Path out = dir.resolve("interrupted");
        var failing = new Progress() {
            @Override public void begin(String task, long total, String unit) {
                if (task.equals("write shards")) throw new IllegalStateException("killed");
            }

            @Override public void update(long done) {}

            @Override public void end() {}
        };
        assertThatThrownBy(() -> DataPrep.prepare(TestText.SHAKESPEARE.toString(), settings().withTokenizer(Tokenizer.Kind.BYTE), out, failing))
                .hasMessage("killed");
        assertThat(out).doesNotExist();
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("interrupted"));
        }
        assertThatThrownBy(() -> PreparedData.open(out)).isInstanceOf(DataException.class).hasMessageContaining("not a prepared data directory");
    }

    @Test
    void refusesToOverwriteADirectoryThatIsNotPreparedData() throws Exception {
        Path mine = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(mine.resolve("thesis.tex"), "precious");
        assertThatThrownBy(() -> DataPrep.prepare(TestText.SHAKESPEARE.toString(), settings(), mine, Progress.none()))
                .isInstanceOf(DataException.class).hasMessageContaining("not a Flywheel data directory");
        assertThat(mine.resolve("thesis.tex")).hasContent("precious");
    }

    @Test
    void anEmptyOrUnusableCorpusIsOneClearSentence() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "");
        assertThatThrownBy(() -> DataPrep.prepare(empty.toString(), settings(), dir.resolve("o1"), Progress.none()))
                .isInstanceOf(DataException.class).hasMessageContaining("has no text");
        Path jsonl = Files.writeString(dir.resolve("wrong.jsonl"), "{\"content\": \"a\"}\n{\"content\": \"b\"}\n");
        assertThatThrownBy(() -> DataPrep.prepare(jsonl.toString(), settings(), dir.resolve("o2"), Progress.none()))
                .isInstanceOf(DataException.class).hasMessageContaining("2 inputs skipped").hasMessageContaining("--text-field");
        Path binary = Files.write(dir.resolve("tool.bin"), new byte[] {0x7f, 'E', 'L', 'F', 0, 1, 2});
        assertThatThrownBy(() -> DataPrep.prepare(binary.toString(), settings(), dir.resolve("o3"), Progress.none()))
                .isInstanceOf(DataException.class).hasMessageContaining("binary file");
    }

    @Test
    void jsonlWithBadLinesIsPreparedAndTheSkipsAreCounted() throws Exception {
        var sb = new StringBuilder();
        var stories = Files.readString(TestText.TINYSTORIES).split("<\\|endoftext\\|>");
        for (int i = 0; i < 300; i++) {
            if (i % 50 == 7) sb.append("{broken json\n");
            else sb.append(dev.flywheel.data.Json.MAPPER.writeValueAsString(Map.of("text", stories[i].strip()))).append('\n');
        }
        Path f = Files.writeString(dir.resolve("stories.jsonl"), sb.toString());
        var summary = DataPrep.prepare(f.toString(), settings().withVocabSize(400), dir.resolve("j"), Progress.none());
        assertThat(summary.documents()).isEqualTo(294);
        assertThat(summary.skipped()).isEqualTo(6);
        assertThat(summary.skipReasons().getFirst().examples()).containsExactly("stories.jsonl:8", "stories.jsonl:58", "stories.jsonl:108");
        assertThat(summary.toText()).contains("6 × JSONL line is not valid JSON");
    }

    @Test
    void aHugeRunOfOneLetterDoesNotStallTrainingOrEncoding() throws Exception {
        Path f = dir.resolve("adversarial.txt");
        Files.writeString(f, Files.readString(TestText.SHAKESPEARE).substring(0, 200_000) + "\n\n" + "x".repeat(3_000_000) + "\n");
        long t0 = System.nanoTime();
        var summary = DataPrep.prepare(f.toString(), settings().withVocabSize(1024), dir.resolve("adv"), Progress.none());
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(60); // a quadratic path would take hours
        var data = PreparedData.open(dir.resolve("adv"));
        long bytes = 0;
        for (Split split : Split.values()) for (int id : all(data, split)) bytes += data.tokenizer().tokenBytes()[id];
        assertThat(bytes).isEqualTo(summary.bytes()).isEqualTo(3_200_003);
        assertThat(summary.documents()).isGreaterThan(40); // the blocks, and the run as one document
    }

    @Test
    void smallShardsSplitDocumentsAcrossFiles() {
        Path out = dir.resolve("small");
        var summary = DataPrep.prepare(TestText.SHAKESPEARE.toString(), settings().withTokenizer(Tokenizer.Kind.BYTE).withShardTokens(100_000),
                out, Progress.none());
        var data = PreparedData.open(out);
        assertThat(data.shards(Split.TRAIN)).hasSizeGreaterThan(8);
        assertThat(data.tokens(Split.TRAIN)).isEqualTo(summary.trainTokens());
        assertThat(data.shards(Split.TRAIN).get(1).document(0).continued()).isTrue();
        // the train stream still decodes to the train documents in order, each after its <|endoftext|>
        String train = data.tokenizer().decode(all(data, Split.TRAIN));
        assertThat(train).startsWith("<|endoftext|>First Citizen:");
        assertThat(train.split("<\\|endoftext\\|>", -1)).hasSize((int) summary.trainDocuments() + 1);
    }
}
