package dev.flywheel.lab.decide;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PairedGainTest {

    @Test
    void theGainAndIntervalAreTheMeanDifferenceAndATIntervalWithNMinusOneDof() {
        // by hand: d = 0.10, 0.12, 0.08, 0.11, 0.09; mean 0.10; Σ(d − mean)² = 0.001; sd = √(0.001/4) = 0.0158114;
        // se = sd/√5 = 0.00707107; t(0.975, 4) = 2.776445; half-width 0.0196322
        var g = PairedGain.of(new double[]{2.10, 2.12, 2.08, 2.11, 2.09}, new double[]{2.00, 2.00, 2.00, 2.00, 2.00});
        assertThat(g.seeds()).isEqualTo(5);
        assertThat(g.gain()).isCloseTo(0.10, within(1e-12));
        assertThat(g.low()).isCloseTo(0.0803678, within(1e-6));
        assertThat(g.high()).isCloseTo(0.1196322, within(1e-6));
        assertThat(g.shown()).isTrue();
    }

    @Test
    void twoPairsUseTheWideTWithOneDof() {
        // d = 0.1, 0.3: mean 0.2, sd = √0.02 = 0.141421, se = 0.1, t(0.975, 1) = 12.706205
        var g = PairedGain.ofDifferences(new double[]{0.1, 0.3});
        assertThat(g.low()).isCloseTo(0.2 - 1.2706205, within(1e-6));
        assertThat(g.high()).isCloseTo(0.2 + 1.2706205, within(1e-6));
        assertThat(g.shown()).isFalse();
    }

    @Test
    void aSeedEitherArmMissedIsLeftOutOfThePairs() {
        var g = PairedGain.of(new double[]{2.1, Double.NaN, 2.3, 2.2}, new double[]{2.0, 2.0, 2.0, Double.NaN});
        assertThat(g.seeds()).isEqualTo(2);
        assertThat(g.gain()).isCloseTo(0.2, within(1e-12));
    }

    @Test
    void oneOrNoPairHasNoInterval() {
        var one = PairedGain.ofDifferences(new double[]{-0.05});
        assertThat(one.gain()).isEqualTo(-0.05);
        assertThat(one.low()).isNaN();
        assertThat(one.shown()).isFalse();
        assertThat(PairedGain.ofDifferences(new double[0]).gain()).isNaN();
    }

    @Test
    void armsOfDifferentLengthsAreAMistake() {
        assertThatThrownBy(() -> PairedGain.of(new double[2], new double[3])).isInstanceOf(IllegalArgumentException.class);
    }
}
