package dev.flywheel.lab.scaling;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The fit on data drawn from a known law: the parameters come back, and the bootstrap intervals cover them. */
class LawFitTest {

    static final ScalingLaw TRUTH = new ScalingLaw(1.7, 400, 1500, 0.34, 0.30);

    /** 6 sizes × 5 token counts spanning 100× each, losses with log-normal noise of {@code sigma}. */
    static List<ScalingPoint> draw(ScalingLaw law, double sigma, long seed) {
        var rng = new Random(seed);
        var out = new ArrayList<ScalingPoint>();
        for (int i = 0; i < 6; i++)
            for (int k = 0; k < 5; k++) {
                double n = 1e6 * Math.pow(10, i * 0.4), d = 2e7 * Math.pow(10, k * 0.5);
                out.add(ScalingPoint.of(n, d, law.loss(n, d) * Math.exp(sigma * rng.nextGaussian()), null));
            }
        return out;
    }

    @Test
    void recoversTheLawFromNoiselessPoints() {
        var fit = LawFit.fit(draw(TRUTH, 0, 1), new LawFit.Settings(0, 0, LawObjective.DELTA));
        var law = fit.law();
        assertThat(law.e()).isCloseTo(1.7, within(1e-4));
        assertThat(law.alpha()).isCloseTo(0.34, within(1e-4));
        assertThat(law.beta()).isCloseTo(0.30, within(1e-4));
        assertThat(law.a()).isCloseTo(400, within(0.5));
        assertThat(law.b()).isCloseTo(1500, within(2.0));
        assertThat(fit.residualRms()).isLessThan(1e-6);
        assertThat(fit.starts()).isEqualTo(4500);
    }

    @Test
    void recoversItFromNoisyPointsAndItsIntervalsCoverTheTruthAboutAsOftenAsTheySay() {
        // 10 data sets with 0.5% noise: each α interval should hold the truth about 95% of the time; fewer than 7 of
        // 10 would be a real miss (p ≈ 0.001 for a true 95% interval). Every 3rd start of the grid, so that ten fits
        // with their bootstraps take seconds; the full grid's search is the test above.
        int covered = 0, sets = 10;
        double worstAlpha = 0;
        var grid = new ArrayList<double[]>();
        for (int i = 0; i < LawFit.grid().size(); i += 3) grid.add(LawFit.grid().get(i));
        for (int s = 0; s < sets; s++) {
            var fit = LawFit.fit(draw(TRUTH, 0.005, 100 + s), new LawFit.Settings(40, s, LawObjective.DELTA), grid);
            var ci = fit.interval(ScalingLaw::alpha);
            if (ci[0] <= TRUTH.alpha() && TRUTH.alpha() <= ci[1]) covered++;
            worstAlpha = Math.max(worstAlpha, Math.abs(fit.law().alpha() - TRUTH.alpha()));
        }
        assertThat(covered).isGreaterThanOrEqualTo(7);
        assertThat(worstAlpha).isLessThan(0.08);
    }

    @Test
    void theGridIsHoffmannsAndEveryStartIsUsed() {
        var grid = LawFit.grid();
        assertThat(grid).hasSize(5 * 5 * 5 * 6 * 6);
        assertThat(grid.stream().mapToDouble(t -> t[0]).max().orElseThrow()).isEqualTo(25);
        assertThat(grid.stream().mapToDouble(t -> t[2]).min().orElseThrow()).isEqualTo(-1);
    }
}
