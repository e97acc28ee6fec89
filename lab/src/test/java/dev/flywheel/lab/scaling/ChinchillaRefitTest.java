package dev.flywheel.lab.scaling;

import dev.flywheel.data.TestText;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Epoch AI's refit of Chinchilla (Besiroglu et al. 2024) on their extraction of Hoffmann et al.'s points: 245 points,
 * the 5 highest-loss dropped, Huber δ = 1e-3 on log residuals, L-BFGS from Hoffmann's grid. Their estimates:
 * E = 1.8172, A = 482.01, B = 2085.43, α = 0.3478, β = 0.3658, and at 5.76e23 FLOPs ≈ 72B parameters on ≈ 1.33T
 * tokens (../shared/data/chinchilla/SOURCE.md).
 */
class ChinchillaRefitTest {

    static LawFit.Result fit;

    static List<ScalingPoint> epochPoints() {
        var all = PointsCsv.read(TestText.SHARED.resolve("data/chinchilla/svg_extracted_data.csv"));
        return all.stream().sorted(Comparator.comparingDouble(ScalingPoint::loss)).limit(all.size() - 5).toList();
    }

    @BeforeAll
    static void refit() {
        var points = epochPoints();
        assertThat(points).hasSize(240);
        fit = LawFit.fit(points, new LawFit.Settings(60, 1, LawObjective.DELTA));
    }

    @Test
    void recoversEpochsEstimates() {
        var law = fit.law();
        assertThat(law.e()).isCloseTo(1.8172, within(0.005));
        assertThat(law.alpha()).isCloseTo(0.3478, within(0.003));
        assertThat(law.beta()).isCloseTo(0.3658, within(0.003));
        assertThat(law.a()).isCloseTo(482.01, within(482.01 * 0.05));
        assertThat(law.b()).isCloseTo(2085.43, within(2085.43 * 0.05));
    }

    @Test
    void theEstimatesLieWithinEpochsIntervalsAndTheirOwnBootstrapCoversEpochs() {
        var law = fit.law();
        // Epoch's Table 1 standard errors (A 124.58, B 1293.23, E 0.03, α 0.02, β 0.02) as ±1.96σ intervals
        assertThat(law.a()).isBetween(482.01 - 1.96 * 124.58, 482.01 + 1.96 * 124.58);
        assertThat(law.b()).isBetween(2085.43 - 1.96 * 1293.23, 2085.43 + 1.96 * 1293.23);
        assertThat(law.e()).isBetween(1.82 - 1.96 * 0.03, 1.82 + 1.96 * 0.03);
        assertThat(law.alpha()).isBetween(0.35 - 1.96 * 0.02, 0.35 + 1.96 * 0.02);
        assertThat(law.beta()).isBetween(0.37 - 1.96 * 0.02, 0.37 + 1.96 * 0.02);
        assertThat(fit.interval(ScalingLaw::alpha)[0]).isLessThan(0.3478);
        assertThat(fit.interval(ScalingLaw::alpha)[1]).isGreaterThan(0.3478);
        assertThat(fit.interval(ScalingLaw::e)[0]).isLessThan(1.8172);
        assertThat(fit.interval(ScalingLaw::e)[1]).isGreaterThan(1.8172);
    }

    @Test
    void plansChinchillasBudgetNearItsSizeAndTokens() {
        var plan = fit.law().optimal(5.76e23);
        assertThat(plan.params()).isCloseTo(72e9, within(72e9 * 0.08));
        assertThat(plan.tokens()).isCloseTo(1.33e12, within(1.33e12 * 0.08));
    }
}
