package dev.flywheel.lab.decide;

import dev.flywheel.lab.decide.SequentialRule.Kind;
import dev.flywheel.lab.decide.SequentialRule.Reason;
import dev.flywheel.lab.decide.SequentialRule.Settings;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The sequential keep / discard / add-seed rule, case by case, and its false-keep rate by simulation. */
class SequentialRuleTest {

    static final Settings RULE = Settings.standard(0.01);   // 2 to 6 seeds, smallest interesting gain 0.01
    static final PairedNoise SIGMA_01 = new PairedNoise(30 * 0.01 * 0.01, 30);   // σ_d 0.01 over 30 dof
    static final double ALPHA = 0.0025;   // 0.05 over 20 experiments

    @Test
    void anObviousWinWithTwoSeedsIsKept() {
        var d = SequentialRule.decide(new double[]{-0.05, -0.052}, SIGMA_01, ALPHA, RULE);
        assertThat(d.kind()).isEqualTo(Kind.KEEP);
        assertThat(d.reason()).isEqualTo(Reason.SHOWN);
        assertThat(d.seeds()).isEqualTo(2);
        assertThat(d.gain()).isCloseTo(0.051, within(1e-12));
        assertThat(d.alphaPerLook()).isCloseTo(ALPHA / 5, within(1e-15));
        assertThat(d.low()).isPositive();
        assertThat(d.pValue()).isLessThanOrEqualTo(d.alphaPerLook());
        assertThat(d.rationale()).contains("gain +0.051", "interval", "2 paired seeds", "α 0.0025", "kept");
    }

    @Test
    void oneSeedIsNeverEnough() {
        var d = SequentialRule.decide(new double[]{-0.5}, SIGMA_01, ALPHA, RULE);
        assertThat(d.kind()).isEqualTo(Kind.ADD_SEED);
        assertThat(d.reason()).isEqualTo(Reason.TOO_FEW_SEEDS);
    }

    @Test
    void aClearlyWorseChangeStopsAtTwoSeeds() {
        var d = SequentialRule.decide(new double[]{0.02, 0.03}, SIGMA_01, ALPHA, RULE);
        assertThat(d.kind()).isEqualTo(Kind.DISCARD);
        assertThat(d.reason()).isEqualTo(Reason.FUTILE);
        assertThat(d.optimistic()).isLessThan(RULE.minGain());
        assertThat(d.rationale()).contains("smallest gain worth keeping", "discarded early");
    }

    @Test
    void aZeroEffectInHugeNoiseAddsSeedsUpToTheCapThenDiscards() {
        var huge = new PairedNoise(30 * 1.0, 30);   // σ_d 1 against a smallest interesting gain of 0.01
        var rng = new SplittableRandom(11);
        double[] d = new double[0];
        SequentialRule.Decision call;
        do {
            d = Arrays.copyOf(d, d.length + 1);
            d[d.length - 1] = rng.nextGaussian();
            call = SequentialRule.decide(d, huge, ALPHA, RULE);
        } while (call.kind() == Kind.ADD_SEED);
        assertThat(call.kind()).isEqualTo(Kind.DISCARD);
        assertThat(call.reason()).isEqualTo(Reason.CAP);
        assertThat(call.seeds()).isEqualTo(6);
        assertThat(call.rationale()).contains("not shown at the cap of 6 seeds");
    }

    @Test
    void aPromisingButUnprovenGainAsksForAnotherSeed() {
        // gain 0.015 with se 0.0071: far from the keep bar at this α, but a gain of 0.01 is well within reach
        var d = SequentialRule.decide(new double[]{-0.014, -0.016}, SIGMA_01, ALPHA, RULE);
        assertThat(d.kind()).isEqualTo(Kind.ADD_SEED);
        assertThat(d.reason()).isEqualTo(Reason.AMBIGUOUS);
        // the same numbers with a generous α are kept: the budget, not the data, made the difference
        assertThat(SequentialRule.decide(new double[]{-0.014, -0.016}, SIGMA_01, 0.2, RULE).kind()).isEqualTo(Kind.KEEP);
    }

    @Test
    void aSpentBudgetKeepsNothing() {
        var d = SequentialRule.decide(new double[]{-1, -1}, SIGMA_01, 0, RULE);
        assertThat(d.kind()).isEqualTo(Kind.DISCARD);
        assertThat(d.reason()).isEqualTo(Reason.NO_BUDGET);
        assertThat(d.rationale()).contains("error budget is spent");
    }

    @Test
    void keepIsExactlyTheLowerEndOfTheIntervalAboveZero() {
        var rng = new SplittableRandom(5);
        for (int i = 0; i < 2000; i++) {
            int n = 2 + rng.nextInt(5);
            var d = new double[n];
            for (int s = 0; s < n; s++) d[s] = -0.02 + 0.01 * rng.nextGaussian();
            var call = SequentialRule.decide(d, SIGMA_01, ALPHA, RULE);
            if (Math.abs(call.low()) < 1e-9) continue;   // on the boundary rounding decides
            assertThat(call.kept()).isEqualTo(call.low() > 0);
        }
    }

    @Test
    void badInputIsRefused() {
        assertThatThrownBy(() -> SequentialRule.decide(new double[0], SIGMA_01, ALPHA, RULE)).hasMessageContaining("no paired");
        assertThatThrownBy(() -> SequentialRule.decide(new double[7], SIGMA_01, ALPHA, RULE)).hasMessageContaining("cap of 6");
        assertThatThrownBy(() -> SequentialRule.decide(new double[]{Double.NaN, 0}, SIGMA_01, ALPHA, RULE))
                .hasMessageContaining("not finite");
        assertThatThrownBy(() -> new Settings(3, 2, 0, 0.1)).hasMessageContaining("minSeeds");
    }

    /**
     * A change with no effect, looked at after every seed from 2 to 6 with σ_d re-pooled each time (a parent on 6 seeds
     * and 8 earlier experiments in one table), is kept at most α of the time despite the five looks.
     */
    @Test
    void theFalseKeepRateOverAllLooksStaysBelowTheAllottedAlpha() {
        var rng = new SplittableRandom(2024);
        double alpha = 0.05;
        int trials = 20_000, keeps = 0;
        for (int t = 0; t < trials; t++) {
            var rows = new double[10][];
            double[] seed = new double[6];
            for (int s = 0; s < 6; s++) seed[s] = rng.nextGaussian();
            for (int r = 0; r < 9; r++) {
                rows[r] = new double[r == 0 ? 6 : 2 + rng.nextInt(5)];
                for (int s = 0; s < rows[r].length; s++) rows[r][s] = seed[s] + rng.nextGaussian();
            }
            var own = new double[6];
            for (int s = 0; s < 6; s++) own[s] = seed[s] + rng.nextGaussian();
            for (int n = 1; n <= 6; n++) {
                rows[9] = Arrays.copyOf(own, n);
                var d = PairedEvidence.differences(rows[9], Arrays.copyOf(rows[0], n));
                var call = SequentialRule.decide(d, PairedNoise.ofTable(rows), alpha, Settings.standard(0.5));
                if (call.kind() == Kind.ADD_SEED) continue;
                if (call.kept()) keeps++;
                break;
            }
        }
        assertThat((double) keeps / trials).isLessThan(alpha);
    }
}
