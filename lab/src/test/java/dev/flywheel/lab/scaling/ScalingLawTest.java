package dev.flywheel.lab.scaling;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ScalingLawTest {

    static final ScalingLaw EPOCH = new ScalingLaw(1.8172, 482.01, 2085.43, 0.3478, 0.3658);

    @Test
    void theOptimumIsTheMinimumAlongTheIsoFlopLine() {
        for (double c : new double[]{1e15, 1e19, 5.76e23}) {
            var opt = EPOCH.optimal(c);
            assertThat(6 * opt.params() * opt.tokens()).isCloseTo(c, within(c * 1e-9));
            // a brute-force scan of N along C = 6ND finds no lower loss
            double best = Double.POSITIVE_INFINITY, bestN = 0;
            for (double logN = Math.log(opt.params()) - 2; logN <= Math.log(opt.params()) + 2; logN += 1e-4) {
                double n = Math.exp(logN), l = EPOCH.loss(n, c / (6 * n));
                if (l < best) {
                    best = l;
                    bestN = n;
                }
            }
            assertThat(opt.loss()).isLessThanOrEqualTo(best + 1e-12);
            assertThat(bestN / opt.params()).isCloseTo(1, within(2e-4));
        }
    }

    @Test
    void epochsLawPlansChinchillasBudgetAt72BParametersAnd133TTokens() {
        var opt = EPOCH.optimal(5.76e23);
        assertThat(opt.params() / 1e9).isCloseTo(72, within(2.0));
        assertThat(opt.tokens() / 1e12).isCloseTo(1.33, within(0.04));
        assertThat(EPOCH.paramsExponent()).isCloseTo(0.5126, within(1e-3));
    }

    @Test
    void aLawWithoutPositiveExponentsHasNoOptimum() {
        assertThatThrownBy(() -> new ScalingLaw(1, 1, 1, 0, 0.3).optimal(1e20)).hasMessageContaining("exponents must be positive");
    }
}
