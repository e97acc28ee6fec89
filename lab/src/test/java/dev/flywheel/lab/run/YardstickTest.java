package dev.flywheel.lab.run;

import dev.flywheel.engine.Gpt;
import dev.flywheel.engine.ModelConfig;
import dev.flywheel.engine.Parallel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class YardstickTest {

    /** A split whose token at position i is i: a scored target then names its own position. */
    static Yardstick.Tokens positions(int n) {
        var ids = new int[n];
        Arrays.setAll(ids, i -> i);
        return Yardstick.Tokens.of(ids);
    }

    /** The positions of every scored target, in scoring order, checking that each is predicted from the token before it. */
    static List<Integer> scored(Yardstick y, int seq) {
        var out = new ArrayList<Integer>();
        var in = new int[Yardstick.BATCH * seq];
        var tg = new int[Yardstick.BATCH * seq];
        var source = y.source();
        for (int b = 0; b < y.batches(); b++) {
            source.fill(b, 0, Yardstick.BATCH, seq, in, tg);
            for (int k = 0; k < tg.length; k++) {
                if (tg[k] < 0) continue;
                assertThat(in[k]).isEqualTo(tg[k] - 1);
                out.add(tg[k]);
            }
        }
        return out;
    }

    @Test
    void spansAreSpreadEvenlyOverALargeSplitAndNeverOverlap() {
        var spans = Yardstick.spans(1_000_000, 65_536);
        assertThat(spans).hasSize(64);
        long stride = 999_999 / 64;
        for (int j = 0; j < spans.size(); j++) {
            assertThat(spans.get(j)).isEqualTo(new Yardstick.Span(j * stride, Yardstick.SPAN));
        }
        assertThat(spans.getLast().start() + spans.getLast().length()).isLessThanOrEqualTo(999_999);
    }

    @Test
    void aTokenCountThatIsNotAWholeNumberOfSpansEndsInAShortSpan() {
        var spans = Yardstick.spans(100_000, 2_500);
        assertThat(spans).extracting(Yardstick.Span::length).containsExactly(1024, 1024, 452);
        assertThat(spans.get(1).start()).isEqualTo(99_999 / 3);
    }

    @Test
    void aSplitTooSmallIsScoredWholeFromItsFirstToken() {
        assertThat(Yardstick.spans(3_000, 65_536)).containsExactly(new Yardstick.Span(0, 1024),
                new Yardstick.Span(1024, 1024), new Yardstick.Span(2048, 951));
        // room for the tokens, but not for spans apart: consecutive from the start
        assertThat(Yardstick.spans(3_000, 2_500)).extracting(Yardstick.Span::start).containsExactly(0L, 1024L, 2048L);
    }

    @Test
    void everyContextLengthScoresExactlyTheSameTokens() {
        var split = positions(50_000);
        var reference = scored(Yardstick.of(split, 10_000, 128), 128);
        assertThat(reference).hasSize(10_000).doesNotHaveDuplicates();
        for (int seq : new int[]{1, 7, 64, 100, 256, 1024, 1500, 4096}) {
            var y = Yardstick.of(split, 10_000, seq);
            assertThat(y.tokens()).isEqualTo(10_000);
            var got = scored(y, seq);
            got.sort(null);
            var want = new ArrayList<>(reference);
            want.sort(null);
            assertThat(got).as("seq %d", seq).isEqualTo(want);
        }
    }

    @Test
    void theStandardErrorIsTheRatioEstimatorsOverSpans() {
        // every unit at the same nats per byte: no sampling error
        assertThat(Yardstick.stdErr(new double[]{2, 4, 6}, new long[]{1, 2, 3})).isCloseTo(0, within(1e-12));
        // two units of one byte each at 1 and 3 nats: R = 2, residuals ±1, √(2/1 · 2) / 2 bytes / ln 2
        assertThat(Yardstick.stdErr(new double[]{1, 3}, new long[]{1, 1})).isCloseTo(1 / Math.log(2), within(1e-12));
        assertThat(Yardstick.stdErr(new double[]{1}, new long[]{1})).isNaN();
    }

    @Test
    void aModelScoresTheSameTokensAndBytesAtEveryContextAndReportsItsError() {
        var cfg = new ModelConfig(32, 16, 1, 2, 16, 32, ModelConfig.Norm.LAYERNORM, ModelConfig.Position.LEARNED,
                ModelConfig.Activation.GELU, true, true, false, 0, 0, 10000, 1e-5f);
        var ids = new int[20_000];
        var rng = new java.util.SplittableRandom(3);
        Arrays.setAll(ids, i -> rng.nextInt(32));
        var bytes = new int[32];
        Arrays.setAll(bytes, i -> 1 + i % 3);
        try (var pool = new Parallel(1)) {
            var model = new Gpt(cfg, pool);
            model.initialize(1);
            var a = Yardstick.of(Yardstick.Tokens.of(ids), 5_000, 16);
            var b = Yardstick.of(Yardstick.Tokens.of(ids), 5_000, 5);
            var sa = a.score(a.evaluator(model, bytes), 0);
            var sb = b.score(b.evaluator(model, bytes), 0);
            assertThat(sa.result().tokens()).isEqualTo(sb.result().tokens()).isEqualTo(5_000);
            assertThat(sa.result().bytes()).isEqualTo(sb.result().bytes());
            assertThat(sa.spans()).isEqualTo(5);
            assertThat(sa.bpbStdErr()).isPositive().isLessThan(0.5);
            // the same model and windows score the same, bit for bit; a model against itself differs by nothing
            var again = a.score(a.evaluator(model, bytes), 0);
            assertThat(again.bitsPerByte()).isEqualTo(sa.bitsPerByte());
            assertThat(sa.differenceStdErr(again)).isZero();
            var other = new Gpt(cfg, pool);
            other.initialize(2);
            var so = a.score(a.evaluator(other, bytes), 0);
            assertThat(so.differenceStdErr(sa)).isPositive();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> sa.differenceStdErr(
                    Yardstick.of(Yardstick.Tokens.of(ids), 4_000, 16).score(a.evaluator(model, bytes), 0)))
                    .hasMessageContaining("not of the same yardstick");
        }
    }
}
