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
}
