package dev.flywheel.data.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.TestText;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerRoundTripTest {

    static BpeTokenizer bpe;
    static String shakespeare;
    static String stories;

    @BeforeAll
    static void train() throws Exception {
        shakespeare = Files.readString(TestText.SHAKESPEARE);
        stories = Files.readString(TestText.TINYSTORIES);
        var docs = BpeTrainerTest.documents(shakespeare.substring(0, 300_000) + stories.substring(0, 300_000)
                + TestText.randomUnicode(new Random(1), 5000), 4000);
        bpe = BpeTrainer.train(ChunkCounts.count(PreSplit.GPT4, docs, 2), 2048, BpeTrainerTest.EOT, Progress.none());
    }

    static int byteSum(Tokenizer t, int[] ids) {
        int sum = 0;
        for (int id : ids) sum += t.tokenBytes()[id];
        return sum;
    }

    static void assertRoundTrip(Tokenizer t, byte[] bytes) {
        int[] ids = t.encode(bytes);
        assertThat(t.decodeBytes(ids)).isEqualTo(bytes);
        assertThat(byteSum(t, ids)).isEqualTo(bytes.length);
        for (int id : ids) assertThat(id).isBetween(0, t.vocabSize() - 1).isNotEqualTo(t.endOfText());
    }

    @Test
    void randomUnicodeRoundTripsExactly() {
        var random = new Random(11);
        for (int i = 0; i < 3000; i++) {
            String text = TestText.randomUnicode(random, 60);
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            assertRoundTrip(bpe, bytes);
            assertRoundTrip(ByteTokenizer.instance(), bytes);
            assertThat(bpe.decode(bpe.encode(text))).isEqualTo(text);
            var chars = CharTokenizer.of(text.isEmpty() ? "x" : text);
            if (!text.isEmpty()) assertRoundTrip(chars, bytes);
        }
    }

    @Test
    void invalidBytesRoundTripExactlyAndAreOnlyReplacedWhenDecodedToText() {
        var random = new Random(12);
        for (int i = 0; i < 3000; i++) {
            byte[] bytes = TestText.randomBytes(random, 80);
            assertRoundTrip(bpe, bytes);
            assertRoundTrip(ByteTokenizer.instance(), bytes);
            assertThat(bpe.decode(bpe.encode(bytes))).isEqualTo(new String(bytes, StandardCharsets.UTF_8));
        }
    }

    @Test
    void sharedCorporaRoundTripExactly() throws Exception {
        for (Path p : List.of(TestText.SHAKESPEARE, TestText.TINYSTORIES, TestText.TINYSTORIES_VALID)) {
            byte[] bytes = Files.readAllBytes(p);
            assertRoundTrip(bpe, bytes);
            assertRoundTrip(CharTokenizer.of(new String(bytes, StandardCharsets.UTF_8)), bytes);
        }
        assertThat(bpe.encode(shakespeare).length).isLessThan(shakespeare.length() / 2);
    }

    @Test
    void longChunksTakeTheHeapPathAndAgreeWithShortOnes() {
        var random = new Random(5);
        for (int i = 0; i < 200; i++) {
            var sb = new StringBuilder();
            int n = 49 + random.nextInt(400);
            for (int k = 0; k < n; k++) sb.append("etaoinsh".charAt(random.nextInt(8)));
            String word = sb.toString();
            int[] whole = bpe.encode(word);
            assertThat(bpe.decode(whole)).isEqualTo(word);
            // the same word split into pieces ≤ 48 bytes must not merge better than the whole word
            assertThat(whole.length).isLessThanOrEqualTo(word.length());
        }
        String huge = "a".repeat(2_000_000);
        int[] ids = bpe.encode(huge);
        assertThat(bpe.decode(ids)).isEqualTo(huge);
    }

    @Test
    void charTokenizerReproducesNanoGptShakespeareVocabulary() {
        var chars = CharTokenizer.of(shakespeare);
        assertThat(chars.vocabSize()).isEqualTo(65);
        String expected = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        assertThat(new String(chars.codePoints(), 0, 65)).isEqualTo(expected);
        assertThat(chars.encode("hii there")).containsExactly(46, 47, 47, 1, 58, 46, 43, 56, 43);
        assertThat(chars.endOfText()).isEqualTo(-1);
        assertThatThrownBy(() -> chars.encode("é")).isInstanceOf(DataException.class).hasMessageContaining("U+00E9");
    }

    @Test
    void byteTokenizerHas256BytesAndEndOfText() {
        var bytes = ByteTokenizer.instance();
        assertThat(bytes.vocabSize()).isEqualTo(257);
        assertThat(bytes.endOfText()).isEqualTo(256);
        assertThat(bytes.tokenBytes()[256]).isZero();
        assertThat(bytes.decode(new int[] {104, 105, 256})).isEqualTo("hi<|endoftext|>");
        assertThat(bytes.encode("<|endoftext|>")).hasSize(13);
    }

    @Test
    void specialTokenTextInDocumentsIsEncodedAsText() {
        int[] ids = bpe.encode("a<|endoftext|>b");
        assertThat(ids).doesNotContain(bpe.endOfText());
        assertThat(bpe.decode(ids)).isEqualTo("a<|endoftext|>b");
    }

    @Test
    void saveLoadKeepsTheHashAndTheEncoding(@TempDir Path dir) {
        for (Tokenizer t : List.of(bpe, ByteTokenizer.instance(), CharTokenizer.of(shakespeare))) {
            Path file = dir.resolve(t.kind().label() + ".json");
            t.save(file);
            Tokenizer loaded = Tokenizer.load(file);
            assertThat(loaded.hash()).isEqualTo(t.hash());
            assertThat(loaded.vocabSize()).isEqualTo(t.vocabSize());
            assertThat(loaded.tokenBytes()).isEqualTo(t.tokenBytes());
            String sample = shakespeare.substring(0, 20_000);
            assertThat(loaded.encode(sample)).isEqualTo(t.encode(sample));
        }
        assertThat(bpe.hash()).isNotEqualTo(ByteTokenizer.instance().hash()).hasSize(64);
    }

    @Test
    void damagedTokenizerFileIsRefusedWithAClearMessage(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("t.json");
        Files.writeString(file, "{\"format\":\"flywheel-tokenizer\",\"version\":1,\"kind\":\"bpe\",\"pre_split\":\"gpt4\",\"merges\":[[999,1]],\"special_tokens\":{}}");
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(DataException.class).hasMessageContaining("is damaged");
        Files.writeString(file, "not json");
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(DataException.class).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> Tokenizer.load(dir.resolve("missing.json"))).isInstanceOf(DataException.class).hasMessageContaining("does not exist");
    }

    @Test
    void huggingFaceExportReadsBackToTheSameTokenizer() {
        String json = TokenizerFiles.huggingFaceJson(bpe);
        assertThat(json).contains("\"type\" : \"BPE\"").contains("\"<|endoftext|>\"").contains("\"ignore_merges\" : false");
        BpeTokenizer back = TokenizerFiles.importHuggingFace(json);
        assertThat(back.hash()).isEqualTo(bpe.hash());
        // GPT-2's spelling of bytes: space is Ġ, newline is Ċ
        assertThat(json).contains("\"Ġ\" : 32").contains("\"Ċ\" : 10");
    }

    @Test
    void tokenBytesAreTheUtf8LengthOfEachToken() {
        int[] tb = bpe.tokenBytes();
        IntStream.range(0, bpe.vocabSize()).forEach(id -> {
            if (id == bpe.endOfText()) assertThat(tb[id]).isZero();
            else assertThat(tb[id]).isEqualTo(bpe.tokenBytesOf(id).length);
        });
    }
}
