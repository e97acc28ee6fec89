package dev.flywheel.lab.study;

import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.decide.PairedNoise;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.SearchSpace;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The scale check: its sizes and compute, its verdict case by case, its cost, and a scripted study end to end. */
class ScaleCheckTest {

    static final Recipe SMALL = Recipe.defaults().with(Map.of("model.layers", 4, "model.dim", 128, "model.heads", 4,
            "budget.kind", "tokens", "budget.amount", 250_000));

    @Test
    void twoSizesWidenBothArmsByOneFactorWithTheStartsParametersAboutRootTwoThenAtLeastTwo() {
        var best = SMALL.with(Map.of("model.dim", 192, "model.heads", 6));   // a kept width change
        var sizes = ScalePlan.sizes(SMALL, best, SearchSpace.defaults());
        assertThat(sizes).hasSize(2);
        var mid = sizes.get(0);
        var top = sizes.get(1);
        assertThat(mid.ratio()).isCloseTo(Math.sqrt(2), within(0.2));
        assertThat(top.ratio()).isGreaterThanOrEqualTo(2);
        for (var s : sizes) {
            double f = s.start().recipe().model().dim() / 128.0;
            assertThat(s.best().recipe().model().dim()).isEqualTo((int) Math.round(192 * f)); // the same factor
            assertThat(s.start().recipe().estimatedParameters() / (double) SMALL.estimatedParameters())
                    .isCloseTo(s.ratio(), within(1e-12));
            // tokens in proportion to parameters, the same budget for both arms
            assertThat(s.budget()).isEqualTo(new RunBudget.Tokens(Math.round(250_000 * s.ratio())));
            assertThat(s.start().recipe().runBudget()).isEqualTo(s.best().recipe().runBudget()).isEqualTo(s.budget());
            assertThat(s.start().recipe().model().layers()).isEqualTo(4);
        }
        assertThat(top.ratio() * top.ratio()).isGreaterThanOrEqualTo(4); // compute at the top ≥ 4× the study's
    }

    @Test
    void aWidthNoFactorCanMakeFallsBackToLayers() {
        var odd = SMALL.with(Map.of("model.dim", 1 << 16, "model.heads", 8)); // the widest a recipe allows
        var sizes = ScalePlan.sizes(odd, odd.with("optimizer.lr", 0.002), SearchSpace.defaults());
        assertThat(sizes).hasSize(2);
        assertThat(sizes).allSatisfy(s -> assertThat(s.start().recipe().model().dim()).isEqualTo(1 << 16));
        assertThat(sizes.get(1).start().recipe().model().layers()).isGreaterThan(sizes.get(0).start().recipe().model().layers());
        assertThat(sizes.get(1).ratio()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void computeScalesInTheStudysOwnUnit() {
        assertThat(ScalePlan.scaled(new RunBudget.Tokens(1000), 2)).isEqualTo(new RunBudget.Tokens(2000));
        assertThat(ScalePlan.scaled(new RunBudget.Steps(100), 1.5)).isEqualTo(new RunBudget.Steps(150));
        assertThat(ScalePlan.scaled(new RunBudget.Flops(1e12), 2)).isEqualTo(new RunBudget.Flops(4e12));
        assertThat(ScalePlan.scaled(new RunBudget.Seconds(60), 2)).isEqualTo(new RunBudget.Seconds(240));
    }

    @Test
    void theCostIsFourRunsAnArmAtEachSizeWeightedByRSquared() {
        var sizes = ScalePlan.sizes(SMALL, SMALL.with("model.norm", "rmsnorm"), SearchSpace.defaults());
        var cost = ScalePlan.cost(sizes);
        assertThat(cost.runs()).isEqualTo(16);
        double r1 = sizes.get(0).ratio(), r2 = sizes.get(1).ratio();
        assertThat(cost.runEquivalents()).isCloseTo(8 * r1 * r1 + 8 * r2 * r2, within(1e-9));
        // docs/scale-check.md's example: a 4-layer 128-wide study of 250k-token runs
        assertThat(sizes).extracting(ScalePlan.Size::label).containsExactly("width 160", "width 192");
        assertThat(cost.runEquivalents()).isCloseTo(51.1, within(0.05));
    }

    @Test
    void aFindingOfRatesOnlyIsCheckedAtItsOwnRateWithoutASweep() {
        var sizes = ScalePlan.sizes(SMALL, LrSweep.scaled(SMALL, 2), SearchSpace.defaults());
        assertThat(sizes).hasSize(2).allSatisfy(s -> {
            assertThat(s.start().factors()).containsExactly(1.0);
            assertThat(s.best().factors()).containsExactly(1.0);
            assertThat(s.best().recipe().optimizer().lr()).isEqualTo(2 * s.start().recipe().optimizer().lr());
        });
        assertThat(ScalePlan.cost(sizes).runs()).isEqualTo(8); // 2 sizes × 2 arms × (1 rate + 1 fresh seed)
    }

    static ScaleVerdict.SizeResult size(String label, double[] start, double[] best) {
        return new ScaleVerdict.SizeResult(label, start, best);
    }

    static final PairedNoise STUDY = new PairedNoise(10 * 0.01 * 0.01, 10); // σ_d 0.01 on 10 dof

    @Test
    void theVerdictHoldsOnlyWhenEverySizeGainsAndTheTopClearsItsBound() {
        var mid = size("width 192", new double[]{1.80, 1.81}, new double[]{1.77, 1.78});
        var held = ScaleVerdict.judge(List.of(mid, size("width 256", new double[]{1.70, 1.71}, new double[]{1.66, 1.67})), STUDY);
        assertThat(held.outcome()).isEqualTo(ScaleCheck.Outcome.HELD);
        assertThat(held.text()).startsWith("held — at width 192 the best recipe gains +0.0300");
        assertThat(held.exports()).isTrue();
        // a gain at the top smaller than its bound: t(0.95, 12) · 0.0092 / √2 ≈ 0.0116
        var noisy = ScaleVerdict.judge(List.of(mid, size("width 256", new double[]{1.70, 1.71}, new double[]{1.695, 1.705})), STUDY);
        assertThat(noisy.outcome()).isEqualTo(ScaleCheck.Outcome.DID_NOT_HOLD);
        assertThat(noisy.text()).startsWith("did not hold: within the noise at the top size");
        assertThat(noisy.exports()).isFalse();
        assertThat(noisy.held()).isFalse();
        // a clear gain at the top does not save a reversal in the middle
        var reversed = ScaleVerdict.judge(List.of(size("width 192", new double[]{1.80, 1.81}, new double[]{1.82, 1.83}),
                size("width 256", new double[]{1.70, 1.71}, new double[]{1.60, 1.61})), STUDY);
        assertThat(reversed.outcome()).isEqualTo(ScaleCheck.Outcome.DID_NOT_HOLD);
        assertThat(reversed.text()).startsWith("did not hold: reversed at width 192");
        var failed = ScaleVerdict.judge(List.of(mid, size("width 256", new double[]{1.70, Double.NaN}, new double[]{1.6, 1.6})), STUDY);
        assertThat(failed.outcome()).isEqualTo(ScaleCheck.Outcome.INCONCLUSIVE);
        assertThat(failed.exports()).isFalse();
        var none = ScaleVerdict.judge(List.of(), STUDY);
        assertThat(none.outcome()).isEqualTo(ScaleCheck.Outcome.NOT_CHECKED);
        assertThat(none.exports()).isTrue();
        assertThat(none.held()).isNull();
    }

    @Test
    void theScalePairsSpreadJoinsTheStudysNoise() {
        var pooled = ScaleVerdict.pooled(List.of(size("a", new double[]{1.0, 1.0}, new double[]{0.9, 0.8})), STUDY);
        assertThat(pooled.dof()).isEqualTo(11);
        assertThat(pooled.sumSquares()).isCloseTo(0.001 + 2 * 0.05 * 0.05, within(1e-12));
    }

    /**
     * A scripted tiny study: the baseline at lr 0.001 (2.00, 2.01, 1.99), rmsnorm a clear win at the study's width;
     * at larger widths the metric is 1.5 + 0.3·|log2(lr / 0.001)| + 0.002·seed, and rmsnorm adds {@code atScale}.
     */
    static double metric(Recipe r, double atScale) {
        int seed = (int) (r.seed() - 1337);
        boolean rms = r.model().norm() == Recipe.Model.Norm.RMSNORM;
        if (r.model().dim() == 32) {
            if (rms) return 1.80;
            return r.optimizer().lr() == 0.001 && seed < 3 ? new double[]{2.00, 2.01, 1.99}[seed] : 2.5;
        }
        return 1.5 + 0.3 * Math.abs(Math.log(r.optimizer().lr() / 0.001) / Math.log(2)) + 0.002 * seed + (rms ? atScale : 0);
    }

    Conclusion study(Path lab, Function<Recipe, Double> metric) {
        return study(lab, metric, "26runs", 16, (h, s) -> {});
    }

    /**
     * The scripted study with this budget, whose check runs {@code scaleRuns} runs; {@code check} is given the
     * resumed study's history and settings.
     */
    Conclusion study(Path lab, Function<Recipe, Double> metric, String budget, int scaleRuns,
                     java.util.function.BiConsumer<StudyHistory, StudySettings> check) {
        var store = Store.open(lab.resolve("flywheel.db"));
        var settings = TinyStudies.settings(lab, "scale", TinyStudies.brief(10, 3), "builtin", budget, 1,
                DecisionSettings.keepRule());
        try (var study = Study.open(settings, false, store, new StudyRulesTest.Scripted(metric), StudyListener.NONE)) {
            study.runBaseline();
            assertThat(study.runExperiment("builtin", "rmsnorm", Change.of("model.norm", "rmsnorm"), 1).kept()).isTrue();
            // 4 runs used; the end's 22 (the check's 16, a replication's 6) are more than half of 26, so nothing is held
            // back, and the check runs only because the study ends here with room for it
            assertThat(study.canRunExperiment()).isTrue();
            var c = study.finish(null);
            var scale = store.runs("scale").stream().filter(r -> r.role() == Role.SCALE).toList();
            // 2 sizes × 2 arms × (3 sweep rates + 1 fresh seed), and any edge extensions
            assertThat(scale).hasSize(scaleRuns);
            assertThat(scale.stream().map(r -> r.recipe().model().dim()).distinct()).hasSize(2);
            assertThat(scale.stream().map(r -> r.recipe().seed()).distinct()).hasSize(2);
            assertThat(Files.readString(settings.dir().resolve(Study.JOURNAL))).contains("| size | arm | model |");
            // resumed, nothing runs again and the verdict is the same (the first is closed: one writer at a time)
            study.close();
            try (var again = Study.open(settings, true, store, new StudyRulesTest.Scripted(r -> {
                throw new AssertionError("ran again: " + r.hash());
            }), StudyListener.NONE)) {
                assertThat(again.conclusion().scaleHeld()).isEqualTo(c.scaleHeld());
                check.accept(again.record(), settings);
            }
            return c;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aStudyWhoseChangeHoldsAtScaleExportsIt(@TempDir Path lab) {
        var c = study(lab, r -> metric(r, -0.1));
        assertThat(c.scaleHeld()).isTrue();
        assertThat(c.scaleCheck()).startsWith("held");
        assertThat(Recipe.read(c.bestRecipe()).model().norm()).isEqualTo(Recipe.Model.Norm.RMSNORM);
        assertThat(Recipe.read(c.candidateRecipe())).isEqualTo(Recipe.read(c.bestRecipe()));
    }

    /**
     * The starting recipe's best rate at scale is ×4 (its metric still falling at ×2: ×0.5 2.10, ×1 1.80, ×2 1.50 on
     * the sweep seed), the best's ×1, both reaching the same metric there. Each start arm's sweep is extended to ×4
     * and ×8, chooses ×4, and runs its fresh seed there: the kept change gains nothing at scale. Stopped at ×2, the
     * start would have scored 0.3 worse and the check would have called the change a large win.
     */
    static double startTunedAtFour(Recipe r) {
        if (r.model().dim() == 32) return metric(r, 0);
        int seed = (int) (r.seed() - 1337);
        boolean rms = r.model().norm() == Recipe.Model.Norm.RMSNORM;
        double optimum = rms ? 0.001 : 0.004;
        return 1.2 + 0.3 * Math.abs(Math.log(r.optimizer().lr() / optimum) / Math.log(2)) + 0.002 * seed;
    }

    @Test
    void anArmWhoseSweepIsBestAtAnEdgeIsExtendedPastItAndJudgedAtItsOwnBestRate(@TempDir Path lab) throws Exception {
        // 2 sizes × (start: 3 rates + ×4 + ×8 + 1 fresh seed; best: 3 rates + 1 fresh seed)
        var c = study(lab, ScaleCheckTest::startTunedAtFour, "30runs", 20, (h, settings) -> {
            var scale = h.runsOf(Role.SCALE);
            var start = scale.stream().filter(r -> r.recipe().model().norm() != Recipe.Model.Norm.RMSNORM).toList();
            long sweepSeed = start.getFirst().recipe().seed();
            var sizes = ScaleCheck.sizesAt(h.before(scale.getFirst().ordinal()), settings);
            assertThat(sizes).hasSize(2);
            for (var size : sizes) {
                int dim = size.start().recipe().model().dim();
                // the sweep seed: ×0.5, ×1, ×2, then the extensions ×4 (better still) and ×8 (worse: ×4 is interior)
                assertThat(start).filteredOn(r -> r.recipe().model().dim() == dim && r.recipe().seed() == sweepSeed)
                        .extracting(r -> r.recipe().optimizer().lr()).containsExactly(0.0005, 0.001, 0.002, 0.004, 0.008);
                // the fresh seed at the chosen ×4
                assertThat(start).filteredOn(r -> r.recipe().model().dim() == dim && r.recipe().seed() == sweepSeed + 1)
                        .extracting(r -> r.recipe().optimizer().lr()).containsExactly(0.004);
                // the choice recomputed from the history includes the extensions
                var arm = ScaleCheck.arm(h, size.start(), ScaleCheck.existing(h));
                assertThat(arm.factors()).containsExactly(0.5, 1.0, 2.0, 4.0, 8.0);
                assertThat(arm.factor()).isEqualTo(4.0);
                var best = ScaleCheck.arm(h, size.best(), ScaleCheck.existing(h));
                assertThat(best.factors()).containsExactly(0.5, 1.0, 2.0);
                assertThat(best.factor()).isEqualTo(1.0);
            }
            // the best's sweeps chose ×1, in the interior: no extension
            assertThat(scale).filteredOn(r -> r.recipe().model().norm() == Recipe.Model.Norm.RMSNORM).hasSize(8);
            // the table shows the extensions in the sweep column and the chosen ×4
            assertThat(ScaleTable.markdown(h, settings)).contains("×2.0: 1.5060, ×4.0: 1.2060, ×8.0: 1.5060 | ×4.0 |");
        });
        // at its own best rate the start is as good as the best: the change did not hold
        assertThat(c.scaleHeld()).isFalse();
        assertThat(c.scaleCheck()).startsWith("did not hold");
    }

    @Test
    void aStudyWhoseChangeReversesAtScaleExportsTheStartAndReportsTheCandidate(@TempDir Path lab) throws Exception {
        var c = study(lab, r -> metric(r, +0.05));
        assertThat(c.scaleHeld()).isFalse();
        assertThat(c.scaleCheck()).startsWith("did not hold: reversed");
        assertThat(Recipe.read(c.bestRecipe()).model().norm()).isNotEqualTo(Recipe.Model.Norm.RMSNORM);
        assertThat(Recipe.read(c.candidateRecipe()).model().norm()).isEqualTo(Recipe.Model.Norm.RMSNORM);
        assertThat(Files.readString(c.journal())).contains("Exported the starting recipe as best-recipe.json");
    }
}
