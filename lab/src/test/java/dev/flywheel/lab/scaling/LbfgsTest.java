package dev.flywheel.lab.scaling;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LbfgsTest {

    @Test
    void findsTheMinimumOfRosenbrocksValley() {
        // f = (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1) at the end of a long curved valley
        Lbfgs.Function rosenbrock = (x, g) -> {
            double a = 1 - x[0], b = x[1] - x[0] * x[0];
            g[0] = -2 * a - 400 * x[0] * b;
            g[1] = 200 * b;
            return a * a + 100 * b * b;
        };
        var r = Lbfgs.minimize(rosenbrock, new double[]{-1.2, 1}, Lbfgs.Settings.TIGHT);
        assertThat(r.converged()).isTrue();
        assertThat(r.x()[0]).isCloseTo(1, within(1e-6));
        assertThat(r.x()[1]).isCloseTo(1, within(1e-6));
        assertThat(r.iterations()).isLessThan(100);
    }

    @Test
    void solvesAnIllConditionedQuadraticExactly() {
        // f = Σ cᵢ (xᵢ − i)², conditioning 1e6: the minimum is x = (0, 1, 2, 3, 4)
        double[] c = {1e-3, 1, 10, 100, 1e3};
        Lbfgs.Function q = (x, g) -> {
            double f = 0;
            for (int i = 0; i < x.length; i++) {
                f += c[i] * (x[i] - i) * (x[i] - i);
                g[i] = 2 * c[i] * (x[i] - i);
            }
            return f;
        };
        var r = Lbfgs.minimize(q, new double[]{5, 5, 5, 5, 5}, Lbfgs.Settings.TIGHT);
        for (int i = 0; i < 5; i++) assertThat(r.x()[i]).isCloseTo(i, within(1e-5));
    }

    @Test
    void stopsWithoutProgressWhereTheFunctionIsNotFinite() {
        // f = x² for x > 0.5 and +∞ below: the minimum within the domain is at its edge; the search must not step into ∞
        Lbfgs.Function edge = (x, g) -> {
            g[0] = 2 * x[0];
            return x[0] > 0.5 ? x[0] * x[0] : Double.POSITIVE_INFINITY;
        };
        var r = Lbfgs.minimize(edge, new double[]{3}, Lbfgs.Settings.TIGHT);
        assertThat(r.x()[0]).isGreaterThan(0.5).isLessThan(0.6);
        assertThat(r.value()).isFinite();
    }
}
