package dev.flywheel.data.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.TestText;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {

    static final List<String> EOT = List.of(Tokenizer.END_OF_TEXT);

    static List<byte[]> documents(String text, int size) {
        var docs = new ArrayList<byte[]>();
        for (int i = 0; i < text.length(); i += size) docs.add(text.substring(i, Math.min(text.length(), i + size)).getBytes(StandardCharsets.UTF_8));
        return docs;
    }

    /** The textbook trainer: recount every pair over every word before each merge. */
    static List<int[]> naiveMerges(ChunkCounts counts, int merges) {
        var words = new ArrayList<int[]>();
        var wordCounts = new ArrayList<Long>();
        counts.forEach((chunk, c) -> {
            int[] w = new int[chunk.length];
            for (int i = 0; i < chunk.length; i++) w[i] = chunk[i] & 0xFF;
            words.add(w);
            wordCounts.add(c);
        });
        var result = new ArrayList<int[]>();
        for (int m = 0; m < merges; m++) {
            Map<Long, Long> pairCounts = new HashMap<>();
            for (int i = 0; i < words.size(); i++) {
                int[] w = words.get(i);
                for (int k = 0; k + 1 < w.length; k++) pairCounts.merge(BpeTokenizer.pairKey(w[k], w[k + 1]), wordCounts.get(i), Long::sum);
            }
            long bestKey = -1, bestCount = 0;
            for (var e : pairCounts.entrySet()) {
                if (e.getValue() > bestCount || (e.getValue() == bestCount && e.getKey() < bestKey)) {
                    bestKey = e.getKey();
                    bestCount = e.getValue();
                }
            }
            if (bestCount < BpeTrainer.MIN_PAIR_COUNT) break;
            int a = (int) (bestKey >>> 32), b = (int) bestKey, z = 256 + m;
            result.add(new int[] {a, b});
            for (int i = 0; i < words.size(); i++) {
                int[] w = words.get(i);
                int[] out = new int[w.length];
                int n = 0;
                for (int k = 0; k < w.length; ) {
                    if (k + 1 < w.length && w[k] == a && w[k + 1] == b) {
                        out[n++] = z;
                        k += 2;
                    } else out[n++] = w[k++];
                }
                words.set(i, java.util.Arrays.copyOf(out, n));
            }
        }
        return result;
    }

    @Test
    void incrementalMergesEqualTheTextbookTrainer() throws Exception {
        String text = Files.readString(TestText.SHAKESPEARE).substring(0, 60_000) + TestText.randomUnicode(new Random(3), 3000);
        var counts = ChunkCounts.count(PreSplit.GPT4, documents(text, 5000), 2);
        var tokenizer = BpeTrainer.train(counts, 256 + 400 + 1, EOT, Progress.none());
        int[][] merges = tokenizer.merges();
        List<int[]> expected = naiveMerges(counts, 400);
        assertThat(merges.length).isEqualTo(expected.size());
        for (int i = 0; i < merges.length; i++) assertThat(merges[i]).as("merge %d", i).containsExactly(expected.get(i));
    }

    @Test
    void resultDoesNotDependOnThreadsOrDocumentOrder() throws Exception {
        String text = Files.readString(TestText.TINYSTORIES).substring(0, 200_000);
        var docs = documents(text, 3000);
        var one = BpeTrainer.train(ChunkCounts.count(PreSplit.GPT4, docs, 1), 1024, EOT, Progress.none());
        var reversed = new ArrayList<>(docs);
        java.util.Collections.reverse(reversed);
        var two = BpeTrainer.train(ChunkCounts.count(PreSplit.GPT4, reversed, 2), 1024, EOT, Progress.none());
        assertThat(two.hash()).isEqualTo(one.hash());
        assertThat(one.vocabSize()).isEqualTo(1024);
        assertThat(one.endOfText()).isEqualTo(1023);
        assertThat(one.tokenBytes()[1023]).isZero();
    }

    @Test
    void stopsEarlyWhenTheTextHasNoMorePairs() {
        var counts = new ChunkCounts(PreSplit.GPT4);
        counts.add("hello hello world".getBytes(StandardCharsets.UTF_8));
        var tokenizer = BpeTrainer.train(counts, 4096, EOT, Progress.none());
        // "hello" occurs twice: h-e, he-l, hel-l, hell-o (and the space pair inside " hello" once only).
        assertThat(tokenizer.vocabSize()).isEqualTo(256 + 4 + 1);
        assertThat(tokenizer.encode("hello")).hasSize(1);
    }

    @Test
    void refusesAVocabularyTooSmallForTheBytes() {
        assertThatThrownBy(() -> BpeTrainer.train(new ChunkCounts(PreSplit.GPT4), 200, EOT, Progress.none()))
                .isInstanceOf(DataException.class).hasMessageContaining("--vocab 257");
    }
}
