package dev.flywheel.data.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.Split;
import dev.flywheel.data.prep.DataPrep;
import dev.flywheel.data.prep.PrepSettings;
import dev.flywheel.data.prep.PreparedData;
import dev.flywheel.data.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenLoaderTest {

    @TempDir
    static Path dir;
    static PreparedData data;

    /** Documents whose text names them, so every token can be traced back by reading it. */
    @BeforeAll
    static void prepare() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("docs"));
        for (int d = 0; d < 400; d++) {
            var sb = new StringBuilder();
            for (int k = 0; k < 20 + d % 37; k++) sb.append("doc").append(d).append(" says word ").append(k).append(". ");
            Files.writeString(corpus.resolve(String.format("d%03d.txt", d)), sb.toString());
        }
        // tiny shards so that windows cross shard boundaries
        DataPrep.prepare(corpus.toString(), PrepSettings.defaults().withVocabSize(400).withShardTokens(5000).withThreads(2),
                dir.resolve("prepared"), Progress.none());
        data = PreparedData.open(dir.resolve("prepared"));
    }

    @Test
    void theSameStepIsTheSameBatchInAnyOrder() {
        var loader = data.loader(Split.TRAIN, 1234);
        int b = 4, t = 64;
        int[] in1 = new int[b * t], tg1 = new int[b * t], in2 = new int[b * t], tg2 = new int[b * t];
        loader.fill(7, 1, b, t, in1, tg1);
        loader.fill(8, 0, b, t, in2, tg2);
        loader.fill(3, 0, b, t, in2, tg2);
        data.loader(Split.TRAIN, 1234).fill(7, 1, b, t, in2, tg2);
        assertThat(in2).isEqualTo(in1);
        assertThat(tg2).isEqualTo(tg1);
        loader.fill(7, 0, b, t, in2, tg2);
        assertThat(in2).isNotEqualTo(in1);
        data.loader(Split.TRAIN, 99).fill(7, 1, b, t, in2, tg2);
        assertThat(in2).isNotEqualTo(in1);
    }

    @Test
    void targetsAreTheInputsShiftedByOne() {
        var loader = data.loader(Split.TRAIN, 5);
        int b = 8, t = 32;
        int[] in = new int[b * t], tg = new int[b * t];
        for (long step = 0; step < 50; step++) {
            loader.fill(step, 0, b, t, in, tg);
            for (int r = 0; r < b; r++) {
                long start = loader.windowStart(step, 0, r, t);
                int[] window = new int[t + 1];
                loader.read(start, window, 0, t + 1);
                assertThat(Arrays.copyOfRange(in, r * t, r * t + t)).isEqualTo(Arrays.copyOf(window, t));
                assertThat(Arrays.copyOfRange(tg, r * t, r * t + t)).isEqualTo(Arrays.copyOfRange(window, 1, t + 1));
                assertThat(start).isBetween(0L, loader.tokenCount() - t - 1);
            }
        }
    }

    @Test
    void offsetsCoverTheWholeSplitIncludingWindowsThatCrossShards() {
        var loader = data.loader(Split.TRAIN, 1);
        assertThat(data.shards(Split.TRAIN).size()).isGreaterThan(3);
        int t = 256;
        long n = loader.tokenCount();
        int buckets = 10;
        int[] hits = new int[buckets];
        for (long step = 0; step < 2000; step++) hits[(int) (loader.windowStart(step, 0, 0, t) * buckets / (n - t))]++;
        for (int h : hits) assertThat(h).isBetween(140, 260);
    }

    @Test
    void everyTokenKnowsItsDocument() {
        var loader = data.loader(Split.TRAIN, 77);
        Tokenizer tok = data.tokenizer();
        var name = Pattern.compile("doc(\\d+)");
        int t = 128;
        for (long step = 0; step < 40; step++) {
            for (int row = 0; row < 4; row++) {
                for (int pos : new int[] {0, 17, 64, 127, 128}) {
                    TokenOrigin o = loader.origin(step, 0, row, pos, t);
                    int[] window = new int[t + 1];
                    loader.read(loader.windowStart(step, 0, row, t), window, 0, t + 1);
                    assertThat(o.tokenId()).isEqualTo(window[pos]);
                    assertThat(o.snippet()).contains("⟦" + o.tokenText() + "⟧");
                    // the document's own text names it: the snippet shows which document the token is in
                    var m = name.matcher(o.snippet().replace("⟦", "").replace("⟧", ""));
                    assertThat(m.find()).isTrue();
                    assertThat(o.documentId()).isEqualTo(String.format("docs/d%03d.txt", Integer.parseInt(m.group(1))));
                    assertThat(o.positionInDocument()).isBetween(0L, o.documentTokens() - 1);
                    if (o.positionInDocument() == 0 && !o.continued()) assertThat(o.tokenId()).isEqualTo(tok.endOfText());
                }
            }
        }
    }

    @Test
    void sequentialWindowsVisitEveryTokenOnce() {
        var loader = data.loader(Split.VAL, 0);
        int t = 50;
        long windows = loader.sequentialWindows(t);
        int[] in = new int[t], tg = new int[t];
        long seen = 0;
        for (long w = 0; w < windows; w++) {
            loader.fillSequential(w, 1, t, in, tg);
            int[] expected = new int[t];
            loader.read(w * t, expected, 0, t);
            assertThat(in).isEqualTo(expected);
            seen += t;
        }
        assertThat(seen).isGreaterThan(loader.tokenCount() - t - 1);
    }

    @Test
    void aSplitShorterThanOneWindowIsAClearError() {
        var loader = data.loader(Split.VAL, 0);
        int seq = (int) loader.tokenCount();
        assertThatThrownBy(() -> loader.fill(0, 0, 1, seq, new int[seq], new int[seq]))
                .isInstanceOf(DataException.class).hasMessageContaining("the val split has").hasMessageContaining("shorter sequence length");
    }
}
