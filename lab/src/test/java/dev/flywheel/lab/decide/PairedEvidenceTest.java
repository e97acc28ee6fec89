package dev.flywheel.lab.decide;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Paired differences, the pooled σ_d and the t-based interval. */
class PairedEvidenceTest {

    @Test
    void theGainIsMinusTheMeanPairedDifferenceAndItsErrorUsesThePooledSigma() {
        var d = PairedEvidence.differences(new double[]{1.97, 1.95}, new double[]{2.00, 1.99});
        assertThat(d).containsExactly(new double[]{-0.03, -0.04}, within(1e-12));
        var e = PairedEvidence.of(d, new PairedNoise(20 * 0.01 * 0.01, 20));   // σ_d = 0.01 over 20 dof
        assertThat(e.seeds()).isEqualTo(2);
        assertThat(e.gain()).isCloseTo(0.035, within(1e-12));
        assertThat(e.sigma()).isCloseTo(0.01, within(1e-12));
        assertThat(e.se()).isCloseTo(0.01 / Math.sqrt(2), within(1e-12));
        assertThat(e.t()).isCloseTo(0.035 / (0.01 / Math.sqrt(2)), within(1e-9));
        // t_{0.975, 20} = 2.0860: the 95% two-sided interval
        assertThat(e.lower(0.025)).isCloseTo(0.035 - 2.0860 * e.se(), within(1e-5));
        assertThat(e.upper(0.025)).isCloseTo(0.035 + 2.0860 * e.se(), within(1e-5));
        // one-sided p for t = 4.95 at 20 dof is about 3.7e-5
        assertThat(e.pValue()).isBetween(2e-5, 6e-5);
        assertThatThrownBy(() -> PairedEvidence.differences(new double[]{1}, new double[]{1, 2}))
                .hasMessageContaining("paired seeds");
    }

    @Test
    void aWorseExperimentHasANegativeGainAndAPValueAboveOneHalf() {
        var e = PairedEvidence.of(new double[]{0.02, 0.03}, new PairedNoise(10 * 1e-4, 10));
        assertThat(e.gain()).isCloseTo(-0.025, within(1e-12));
        assertThat(e.pValue()).isGreaterThan(0.5);
    }

    @Test
    void withoutAnyMeasuredNoiseThereIsNoStandardError() {
        var e = PairedEvidence.of(new double[]{-0.1}, PairedNoise.NONE);
        assertThat(e.measured()).isFalse();
        assertThat(e.pValue()).isNaN();
    }

    @Test
    void aTableOfParentAndOneExperimentIsTheSpreadOfTheirDifferences() {
        double[] parent = {2.00, 2.03, 1.98, 2.01}, exp = {1.97, 2.02, 1.94, 1.99};
        var d = PairedEvidence.differences(exp, parent);
        var noise = PairedNoise.ofTable(parent, exp);
        assertThat(noise.dof()).isEqualTo(3);
        assertThat(noise.sumSquares()).isCloseTo(PairedNoise.centredSquares(d, d.length), within(1e-12));
    }

    @Test
    void aTableCountsOneParentOnceHoweverManyExperimentsPairWithIt() {
        // 1 parent on 4 seeds, 5 experiments on 2, 3 or 4 of them: runs − recipes − seeds + 1 degrees of freedom, not
        // the Σ(n_i − 1) = 1 + 2 + 3 + 3 + 1 = 10 a sum over experiments would claim
        double[][] rows = {{2.00, 2.03, 1.98, 2.01}, {1.97, 2.02}, {1.99, 2.05, 1.96}, {2.01, 2.04, 1.97, 2.00},
                {1.95, 2.00, 1.95, 1.99}, {2.02, 2.02}};
        var noise = PairedNoise.ofTable(rows);
        assertThat(noise.dof()).isEqualTo(19 - 6 - 4 + 1);
        assertThat(noise.sumSquares()).isCloseTo(2 * bruteForceResidual(rows), within(1e-10));
    }

    @Test
    void anExactlyAdditiveTableHasNoResidual() {
        double[] seed = {0.01, -0.02, 0.005, 0.0};
        double[][] rows = new double[4][];
        for (int r = 0; r < 4; r++) {
            rows[r] = new double[4 - (r == 0 ? 0 : r - 1)];
            for (int s = 0; s < rows[r].length; s++) rows[r][s] = 2.0 - 0.01 * r + seed[s];
        }
        var noise = PairedNoise.ofTable(rows);
        assertThat(noise.dof()).isPositive();
        assertThat(noise.sumSquares()).isCloseTo(0, within(1e-12));
    }

    @Test
    void theTableEstimateIsUnbiasedForTwiceTheUnsharedVariance() {
        // metric = recipe + seed (σ 1, shared) + residual (τ = 0.5): σ_d² = 2τ² = 0.5 whatever the seed part does
        var rng = new SplittableRandom(3);
        double ss = 0;
        long dof = 0;
        for (int rep = 0; rep < 4000; rep++) {
            double[] seed = new double[6];
            for (int s = 0; s < 6; s++) seed[s] = rng.nextGaussian();
            var rows = new double[5][];
            for (int r = 0; r < 5; r++) {
                rows[r] = new double[r == 0 ? 6 : 2 + rng.nextInt(5)];
                for (int s = 0; s < rows[r].length; s++) rows[r][s] = r + seed[s] + 0.5 * rng.nextGaussian();
            }
            var n = PairedNoise.ofTable(rows);
            ss += n.sumSquares();
            dof += n.dof();
        }
        assertThat(ss / dof).isCloseTo(0.5, within(0.01));
    }

    @Test
    void theUnpairedBoundIsTwiceTheSampleVariance() {
        var b = PairedNoise.unpairedBound(new double[]{1, 2, 3});
        assertThat(b.dof()).isEqualTo(2);
        assertThat(b.sigma()).isCloseTo(Math.sqrt(2), within(1e-12));
        assertThat(PairedNoise.unpairedBound(new double[]{1})).isEqualTo(PairedNoise.NONE);
        assertThat(b.plus(new PairedNoise(3, 4))).isEqualTo(new PairedNoise(7, 6));
    }

    /** Residual sum of squares of the additive model, by alternating row and column means until nothing moves. */
    static double bruteForceResidual(double[][] rows) {
        int m = 0;
        for (var r : rows) m = Math.max(m, r.length);
        var a = new double[rows.length];
        var b = new double[m];
        for (int it = 0; it < 20_000; it++) {
            for (int r = 0; r < rows.length; r++) {
                double s = 0;
                for (int j = 0; j < rows[r].length; j++) s += rows[r][j] - b[j];
                a[r] = s / rows[r].length;
            }
            for (int j = 0; j < m; j++) {
                double s = 0;
                int n = 0;
                for (int r = 0; r < rows.length; r++)
                    if (j < rows[r].length) {
                        s += rows[r][j] - a[r];
                        n++;
                    }
                b[j] = s / n;
            }
        }
        double ss = 0;
        for (int r = 0; r < rows.length; r++)
            for (int j = 0; j < rows[r].length; j++) ss += Math.pow(rows[r][j] - a[r] - b[j], 2);
        return ss;
    }
}
