package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.search.Change;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LrSweepTest {

    @Test
    void structuralChangesAreOptimizerWidthDepthAndBatch() {
        assertTrue(LrSweep.structural(Change.of("model.dim", 192)));
        assertTrue(LrSweep.structural(Change.of("optimizer.name", "muon")));
        assertTrue(LrSweep.structural(Change.of("batch.size", 8)));
        assertFalse(LrSweep.structural(Change.of("optimizer.lr", 0.002)));
        assertFalse(LrSweep.structural(Change.of("model.position", "rope")));
        assertFalse(LrSweep.structural(null));
    }

    @Test
    void scalingMovesEveryRateTheRecipeUsesByOneFactor() {
        var adam = Recipe.defaults();
        var up = LrSweep.scaled(adam, 2);
        assertEquals(2 * adam.optimizer().lr(), up.optimizer().lr(), 1e-15);
        assertEquals(2 * adam.optimizer().minLr(), up.optimizer().minLr(), 1e-15);
        assertEquals(adam.optimizer().muonLr(), up.optimizer().muonLr(), 1e-15, "AdamW leaves Muon's rate alone");
        var muon = adam.with("optimizer.name", "muon");
        var down = LrSweep.scaled(muon, 0.5);
        assertEquals(0.5 * muon.optimizer().muonLr(), down.optimizer().muonLr(), 1e-15);
        assertEquals(muon, LrSweep.scaled(muon, 1.0));
    }

    @Test
    void theBestIsTheLowestFiniteMetricAndATieGoesToTheCurrentRate() {
        var f = LrSweep.FACTORS;
        assertEquals(2, LrSweep.best(f, new double[]{2.0, 1.9, 1.8}));
        assertEquals(0, LrSweep.best(f, new double[]{1.7, 1.9, Double.NaN}));
        assertEquals(1, LrSweep.best(f, new double[]{1.8, 1.8, 1.8}));
        assertEquals(1, LrSweep.best(f, new double[]{Double.NaN, Double.NaN, Double.NaN}));
        assertEquals(0, LrSweep.best(List.of(1.0, 2.0), new double[]{1.8, 1.8}));
    }

    @Test
    void recipesThatDifferInTheirRatesOnlyAreToldApart() {
        var start = Recipe.defaults();
        assertTrue(LrSweep.ratesOnly(start, LrSweep.scaled(start, 2).with("seed", 7)));
        assertTrue(LrSweep.ratesOnly(start, start));
        assertFalse(LrSweep.ratesOnly(start, LrSweep.scaled(start, 2).with("model.position", "rope")));
        assertFalse(LrSweep.ratesOnly(start, start.with("model.dim", 192)));
    }

    static final List<Double> ALL = List.of(0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0);

    static java.util.OptionalDouble next(List<Double> factors, double... metrics) {
        return LrSweep.next(factors, metrics, ALL);
    }

    @Test
    void aSweepWhoseBestIsAtAnEdgeGoesOnPastItTwiceAtMost() {
        var none = java.util.OptionalDouble.empty();
        // interior: done
        assertEquals(none, next(List.of(0.5, 1.0, 2.0), 3.30, 3.25, 3.28));
        // at the top: ×2 again, then again, then no more (at most two extensions: ×8)
        assertEquals(java.util.OptionalDouble.of(4.0), next(List.of(0.5, 1.0, 2.0), 3.34, 3.25, 3.04));
        assertEquals(java.util.OptionalDouble.of(8.0), next(List.of(0.5, 1.0, 2.0, 4.0), 3.34, 3.25, 3.04, 2.95));
        assertEquals(none, next(List.of(0.5, 1.0, 2.0, 4.0, 8.0), 3.34, 3.25, 3.04, 2.95, 2.90));
        // at the bottom: ÷2 down to ×1/8; the factors may come in any order (a trial's, ×1 first)
        assertEquals(java.util.OptionalDouble.of(0.25), next(List.of(1.0, 0.5, 2.0), 3.0, 2.9, 3.2));
        assertEquals(java.util.OptionalDouble.of(0.125), next(List.of(0.25, 0.5, 1.0, 2.0), 2.8, 2.9, 3.0, 3.2));
        assertEquals(none, next(List.of(0.125, 0.25, 0.5, 1.0, 2.0), 2.7, 2.8, 2.9, 3.0, 3.2));
        // the extension beat the edge but the next one is worse: the best is interior again
        assertEquals(none, next(List.of(0.5, 1.0, 2.0, 4.0, 8.0), 3.34, 3.25, 3.04, 2.95, 3.10));
        assertEquals(none, next(List.of(0.5, 1.0, 2.0, 4.0), 3.34, 3.25, 3.04, 3.20));
        // a failed extension ends it: the best edge is interior now
        assertEquals(none, next(List.of(0.5, 1.0, 2.0, 4.0), 3.34, 3.25, 3.04, Double.NaN));
        // a failed edge does not count as the best: the best is what ran
        assertEquals(none, next(List.of(0.5, 1.0, 2.0), 3.34, 3.25, Double.NaN));
        assertEquals(java.util.OptionalDouble.of(0.25), next(List.of(0.5, 1.0, 2.0), 3.0, 3.25, Double.NaN));
        // every run failed, or a single rate (not a sweep): nothing
        assertEquals(none, next(List.of(0.5, 1.0, 2.0), Double.NaN, Double.NaN, Double.NaN));
        assertEquals(none, next(List.of(1.0), 3.0));
        // a tie at the edge goes to ×1, in the interior
        assertEquals(none, next(List.of(0.5, 1.0, 2.0), 3.0, 3.0, 3.0));
    }

    @Test
    void anExtensionStaysWithinTheSpacesRateRange() {
        var r = Recipe.defaults().with("optimizer.lr", 0.001);
        var space = dev.flywheel.lab.search.SearchSpace.defaults();
        var lr = (dev.flywheel.lab.search.Dimension.Numeric) space.dimension("optimizer.lr").orElseThrow();
        var reach = LrSweep.reach(r, space);
        assertTrue(reach.containsAll(LrSweep.factors(r, space)));
        for (double f : reach)
            assertTrue(f == 1.0 || (0.001 * f >= lr.min() * (1 - 1e-9) && 0.001 * f <= lr.max() * (1 + 1e-9)), "×" + f);
        // a rate at the top of the range: ×2 is not swept and nothing above ×1 is reached
        var top = Recipe.defaults().with("optimizer.lr", lr.max());
        assertEquals(List.of(0.5, 1.0), LrSweep.factors(top, space));
        assertTrue(LrSweep.reach(top, space).stream().allMatch(f -> f <= 1.0));
        // best at ×1, the highest factor run, but ×2 is outside the range: done
        assertEquals(java.util.OptionalDouble.empty(), LrSweep.next(List.of(0.5, 1.0), new double[]{3.3, 3.2},
                LrSweep.reach(top, space)));
        // a range stopping at ×4: one extension, not two
        var narrow = List.of(0.5, 1.0, 2.0, 4.0);
        assertEquals(java.util.OptionalDouble.of(4.0), LrSweep.next(List.of(0.5, 1.0, 2.0), new double[]{3.3, 3.2, 3.1}, narrow));
        assertEquals(java.util.OptionalDouble.empty(), LrSweep.next(List.of(0.5, 1.0, 2.0, 4.0),
                new double[]{3.3, 3.2, 3.1, 3.0}, narrow));
        // without a range, the reach is ×1/8 … ×8
        assertEquals(ALL, LrSweep.reach(r, space.without("optimizer.lr")));
        assertEquals(ALL, reach);                                          // 1e-4 … 1e-2 holds ×1/8 … ×8 of 0.001
    }
}
