package dev.flywheel.lab.scaling;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LawObjectiveTest {

    @Test
    void huberIsQuadraticInsideDeltaAndLinearOutside() {
        assertThat(LawObjective.huber(0.5e-3, 1e-3)).isCloseTo(0.125e-6, within(1e-18));
        assertThat(LawObjective.huber(-2e-3, 1e-3)).isCloseTo(1e-3 * (2e-3 - 0.5e-3), within(1e-18));
        assertThat(LawObjective.huber(1e-3, 1e-3)).isCloseTo(0.5e-6, within(1e-18)); // both pieces meet at δ
    }

    @Test
    void gradientMatchesCentralFiniteDifferences() {
        var rng = new Random(7);
        var points = new ArrayList<ScalingPoint>();
        var law = new ScalingLaw(1.8, 400, 2000, 0.34, 0.37);
        for (int i = 0; i < 40; i++) {
            double n = Math.exp(16 + 6 * rng.nextDouble()), d = Math.exp(19 + 7 * rng.nextDouble());
            points.add(ScalingPoint.of(n, d, law.loss(n, d) * Math.exp(0.02 * rng.nextGaussian()), null));
        }
        var w = new double[points.size()];
        for (int i = 0; i < w.length; i++) w[i] = 1 + rng.nextInt(3);
        // a larger δ too, so both the quadratic and the linear pieces are exercised
        for (double delta : new double[]{1e-3, 0.05}) {
            var f = new LawObjective(points, w, delta);
            for (int trial = 0; trial < 5; trial++) {
                double[] theta = {5 + 3 * rng.nextDouble(), 6 + 3 * rng.nextDouble(), 0.3 + 0.5 * rng.nextDouble(),
                        0.2 + 0.3 * rng.nextDouble(), 0.2 + 0.3 * rng.nextDouble()};
                var g = new double[5];
                f.valueAndGradient(theta, g);
                for (int k = 0; k < 5; k++) {
                    double h = 1e-6;
                    var up = theta.clone();
                    var down = theta.clone();
                    up[k] += h;
                    down[k] -= h;
                    double numeric = (f.valueAndGradient(up, new double[5]) - f.valueAndGradient(down, new double[5])) / (2 * h);
                    assertThat(g[k]).as("∂f/∂θ%d at δ %s", k, delta).isCloseTo(numeric, within(1e-6 * Math.max(1, Math.abs(numeric))));
                }
            }
        }
    }

    @Test
    void residualsAreZeroForPointsOnTheLaw() {
        var law = new ScalingLaw(1.7, 300, 900, 0.3, 0.28);
        var points = new ArrayList<ScalingPoint>();
        for (double n : new double[]{1e6, 1e7, 1e8}) points.add(ScalingPoint.of(n, 20 * n, law.loss(n, 20 * n), null));
        for (double r : new LawObjective(points, new double[]{1, 1, 1}, 1e-3).residuals(law)) assertThat(r).isCloseTo(0, within(1e-12));
    }
}
