package dev.flywheel.lab.scaling;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class IsoFlopTest {

    @Test
    void parabolasThroughIsoFlopGroupsFindTheLawsOptimalSizeExponent() {
        var law = ScalingLawTest.EPOCH;
        var points = new ArrayList<ScalingPoint>();
        for (double c : new double[]{1e18, 1e19, 1e20, 1e21}) {
            double nOpt = law.optimal(c).params();
            for (double f = 1 / 4.0; f <= 4.01; f *= Math.sqrt(2)) { // sizes around the optimum, ×1/4 … ×4
                double n = nOpt * f;
                points.add(new ScalingPoint(n, c / (6 * n), law.loss(n, c / (6 * n)), c * (1 + 0.05 * Math.sin(f)), null));
            }
        }
        var r = IsoFlop.fit(points);
        assertThat(r.groups()).hasSize(4);
        // a parabola in ln N is only near the true curve's minimum: within 0.02 of β/(α+β)
        assertThat(r.paramsExponent()).isCloseTo(law.paramsExponent(), within(0.02));
        for (var g : r.groups())
            assertThat(g.optimalParams() / law.optimal(g.flops()).params()).isCloseTo(1, within(0.15));
    }

    @Test
    void noGroupsWhenEveryComputeIsDifferentOrTheMinimumIsAtAnEdge() {
        var spread = List.of(ScalingPoint.of(1e6, 1e7, 3, null), ScalingPoint.of(1e7, 1e8, 2.5, null), ScalingPoint.of(1e8, 1e9, 2.2, null));
        assertThat(IsoFlop.fit(spread)).isNull();
        // one compute, loss falling with size throughout: the vertex lies outside the sizes trained
        var falling = List.of(ScalingPoint.of(1e6, 1e8, 3.0, null), ScalingPoint.of(2e6, 5e7, 2.9, null), ScalingPoint.of(4e6, 2.5e7, 2.85, null));
        assertThat(IsoFlop.vertex(falling)).isNull();
    }

    @Test
    void theQuadraticFitIsExactOnAParabola() {
        double[] x = {1, 2, 3, 4, 5}, y = new double[5];
        for (int i = 0; i < 5; i++) y[i] = 2 - 3 * x[i] + 0.5 * x[i] * x[i];
        var c = IsoFlop.quadratic(x, y);
        assertThat(c[0]).isCloseTo(2, within(1e-9));
        assertThat(c[1]).isCloseTo(-3, within(1e-9));
        assertThat(c[2]).isCloseTo(0.5, within(1e-9));
    }
}
