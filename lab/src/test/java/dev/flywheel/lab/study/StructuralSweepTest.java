package dev.flywheel.lab.study;

import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.SearchSpace;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The learning-rate sweep of structural experiments over synthetic histories: where it runs, what it chooses, how it
 * is shared and read back, and how the change is then paired with the best at the best's own rate.
 */
class StructuralSweepTest {

    static final SearchSpace SPACE = SearchSpace.defaults();

    /** One arm's sweep queued as a study queues it (×1 first, its own trial) with these metrics by factor. */
    static void arm(Histories h, StructuralSweep.Plan plan, List<Recipe> runs, Change change, double... metrics) {
        String trial = null;
        for (int i = 0; i < runs.size(); i++) {
            var r = h.run(runs.get(i), Standing.of(h.get()).bestRun(), change, Role.SWEEP, trial,
                    Double.isNaN(metrics[i]) ? null : metrics[i], null, 60.0);
            if (trial == null) trial = r.id();
        }
        var decided = h.get();
        for (var r : decided.trial(trial))
            decided = decided.withDecision(new dev.flywheel.lab.store.DecisionRecord("s", r.id(), Decision.DISCARD,
                    r.metric(), null, null, null, StructuralSweep.rationale(r, decided.trial(r.experiment()).getFirst()), null));
        h.replace(decided);
    }

    static Recipe wider(Histories h) {
        return Standing.of(h.get()).bestRecipe().with("model.dim", 192);
    }

    @Test
    void theSweepRunsOnASeedNoRunUsedAndTheBestsSweepIsShared() {
        var h = new Histories().baseline(2.00, 2.01, 1.99);
        var best = Standing.of(h.get()).bestRecipe();
        var plan = StructuralSweep.plan(h.get(), SPACE, best, wider(h));
        assertThat(plan.seed()).isEqualTo(Histories.START.seed() + 3);    // after the baseline's three seeds
        assertThat(plan.parentRuns()).hasSize(3).allSatisfy(r -> assertThat(r.seed()).isEqualTo(plan.seed()));
        assertThat(plan.parentRuns().getFirst().optimizer().lr()).isEqualTo(best.optimizer().lr()); // ×1 first
        assertThat(StructuralSweep.missing(h.get(), plan)).isEqualTo(6);

        // ×0.5 2.10, ×1 2.00 (first in the trial, and in the recipes), ×2 2.05
        arm(h, plan, plan.parentRuns(), null, 2.00, 2.10, 2.05);
        var deeper = best.with("model.layers", best.model().layers() + 1);
        var next = StructuralSweep.plan(h.get(), SPACE, best, deeper);
        assertThat(next.seed()).isEqualTo(plan.seed());                   // the best's sweep seed, its runs shared
        assertThat(StructuralSweep.missing(h.get(), next)).isEqualTo(3);
        assertThat(StructuralSweep.bestChoice(h.get(), next).orElseThrow()).isEqualTo(1.0);
    }

    @Test
    void eachArmIsJudgedAtTheFactorItsOwnSweepScoredBestAt() {
        var h = new Histories().baseline(2.00, 2.01, 1.99);
        var best = Standing.of(h.get()).bestRecipe();
        var plan = StructuralSweep.plan(h.get(), SPACE, best, wider(h));
        arm(h, plan, plan.parentRuns(), null, 2.00, 2.10, 1.97);               // ×1, ×0.5, ×2: the best at ×2
        arm(h, plan, plan.changedRuns(), Change.of("model.dim", 192), 1.95, 1.90, Double.NaN); // ×2 failed: ×0.5
        var choice = StructuralSweep.choice(h.get(), plan);
        assertThat(choice.changed().factors()).containsExactly(0.5, 1.0, 2.0);
        assertThat(choice.changed().chosen()).isEqualTo(0.5);
        assertThat(choice.parent().chosen()).isEqualTo(2.0);
        assertThat(choice.needsReference()).isTrue();
        assertThat(choice.describe()).isEqualTo("the change at ×0.5 its learning rate (its sweep: ×0.5 1.9000, "
                + "×1 1.9500, ×2 failed) against the best at ×2 (its sweep: ×0.5 2.1000, ×1 2.0000, ×2 1.9700)");
        assertThat(h.get().runsOf(Role.SWEEP)).allSatisfy(r ->
                assertThat(h.get().decision(r.id()).rationale()).startsWith("learning-rate sweep: ×").endsWith("not a candidate for the best"));
        assertThat(Standing.of(h.get()).bestRecipe()).isEqualTo(best);     // a sweep run never becomes the best

        // the experiment at its chosen rate names the sweeps it was judged by, read back from the history alone
        var recipe = LrSweep.scaled(plan.changed(), 0.5);
        var first = h.run(recipe.with("seed", Histories.START.seed()), Standing.of(h.get()).bestRun(),
                StructuralSweep.merged(Change.of("model.dim", 192), plan.changed(), 0.5), Role.EXPERIMENT, null, 1.9, null, 60.0);
        assertThat(first.change().values()).containsKeys("model.dim", "optimizer.lr", "optimizer.min_lr");
        assertThat(StructuralSweep.of(h.get(), first).orElseThrow().describe()).isEqualTo(choice.describe());
    }

    @Test
    void aChangeThatWasNotSweptHasNoSweepToName() {
        var h = new Histories().baseline(2.00, 2.01, 1.99);
        var runs = PairedPolicyTest.experiment(h, "model.dim", 192, 1.95, 1.96);
        assertThat(StructuralSweep.of(h.get(), runs.getFirst())).isEmpty();
    }

    @Test
    void withReferenceRunsTheChangeIsPairedWithThemAndNotTheBestsTable() {
        var h = new Histories().baseline(2.00, 2.10, 1.90);
        var st = Standing.of(h.get());
        var parent = PairedPolicy.parent(h.get());
        var change = Change.of("model.dim", 192);
        var reference = LrSweep.scaled(st.bestRecipe(), 2);
        var exp = new java.util.ArrayList<RunRecord>();
        String trial = null, refTrial = null;
        double[] mine = {1.95, 2.02, 1.86}, theirs = {1.98, 2.06, 1.88};
        for (int j = 0; j < 3; j++) {
            var r = h.run(st.bestRecipe().with("model.dim", 192).with("seed", parent.seed(j)), st.bestRun(), change,
                    j == 0 ? Role.EXPERIMENT : Role.CONFIRM, trial, mine[j], null, 60.0);
            if (trial == null) trial = r.id();
            exp.add(r);
            var ref = h.run(reference.with("seed", parent.seed(j)), trial, Change.of(LrSweep.scaling(st.bestRecipe(), 2)),
                    Role.REFERENCE, refTrial, theirs[j], null, 60.0);
            if (refTrial == null) refTrial = ref.id();
        }
        var paired = PairedPolicy.parentOf(h.get(), exp.getFirst());
        assertThat(paired.trial()).isEqualTo(refTrial);
        assertThat(paired.runs()).extracting(RunRecord::role).containsOnly(Role.REFERENCE).hasSize(3);
        var d = PairedPolicy.differences(paired, exp);
        assertThat(d[0]).isCloseTo(-0.03, within(1e-12));                   // not 1.95 − 2.00 against the best's table
        assertThat(d[1]).isCloseTo(-0.04, within(1e-12));
        // the experiment's trial holds its own runs only: the best's standing and its table are untouched
        assertThat(h.get().trial(trial)).extracting(RunRecord::role).doesNotContain(Role.REFERENCE);
        assertThat(PairedPolicy.parent(h.get()).runs()).hasSize(3).extracting(RunRecord::role).containsOnly(Role.BASELINE);

        var settings = DecisionSettings.paired(new StudyBudget.Runs(43), 3);
        var call = (PairedPolicy.Call.Decide) PairedPolicy.decide("s", h.get(), exp, settings, false);
        // the reference runs are recorded first (a study killed in between decides again), as discards
        assertThat(call.decisions()).hasSize(6);
        assertThat(call.decisions().subList(0, 3)).allSatisfy(r -> {
            assertThat(r.decision()).isEqualTo(Decision.DISCARD);
            assertThat(r.rationale()).contains("not a candidate for the best");
        });
        assertThat(call.decisions().get(3).delta()).isCloseTo(-0.03, within(1e-9));
        assertThat(call.decisions().get(3).bestBefore()).isEqualTo(1.98);
    }

    @Test
    void aFailedReferenceRunEndsTheExperimentAsADiscard() {
        var h = new Histories().baseline(2.00, 2.10, 1.90);
        var st = Standing.of(h.get());
        var parent = PairedPolicy.parent(h.get());
        var first = h.run(st.bestRecipe().with("model.dim", 192).with("seed", parent.seed(0)), st.bestRun(),
                Change.of("model.dim", 192), Role.EXPERIMENT, null, 1.9, null, 60.0);
        var second = h.run(st.bestRecipe().with("model.dim", 192).with("seed", parent.seed(1)), st.bestRun(),
                Change.of("model.dim", 192), Role.EXPERIMENT, first.id(), 1.9, null, 60.0);
        var ref = h.run(LrSweep.scaled(st.bestRecipe(), 2).with("seed", parent.seed(0)), first.id(), null,
                Role.REFERENCE, null, null, null, 60.0);                  // crashed
        h.run(LrSweep.scaled(st.bestRecipe(), 2).with("seed", parent.seed(1)), first.id(), null,
                Role.REFERENCE, ref.id(), 2.0, null, 60.0);
        var call = (PairedPolicy.Call.Decide) PairedPolicy.decide("s", h.get(), List.of(first, second),
                DecisionSettings.paired(new StudyBudget.Runs(43), 3), true);
        assertThat(call.kept()).isFalse();
        assertThat(call.decisions()).hasSize(4);
        assertThat(call.decisions().getLast().rationale()).contains("reference run on seed " + parent.seed(0) + " crashed");
    }

    @Test
    void oldStudiesDoNotSweepAndNewOnesDo() {
        var json = dev.flywheel.lab.Json.MAPPER.valueToTree(DecisionSettings.paired(new StudyBudget.Runs(43), 3).toJson());
        assertThat(DecisionSettings.fromJson(json).lrSweep()).isTrue();
        ((com.fasterxml.jackson.databind.node.ObjectNode) json).remove("lr_sweep");
        var old = DecisionSettings.fromJson(json);
        assertThat(old.lrSweep()).isFalse();
        assertThat(old.sweeps(Change.of("model.dim", 192))).isFalse();
        assertThat(DecisionSettings.paired(new StudyBudget.Runs(43), 3).sweeps(Change.of("model.dim", 192))).isTrue();
        assertThat(DecisionSettings.paired(new StudyBudget.Runs(43), 3).sweeps(Change.of("optimizer.lr", 0.002))).isFalse();
        assertThat(DecisionSettings.keepRule().sweeps(Change.of("model.dim", 192))).isFalse();
    }

    @Test
    void aSweepBestAtAnEdgeIsReadBackWithItsExtensions() {
        var h = new Histories().baseline(2.00, 2.01, 1.99);
        var best = Standing.of(h.get()).bestRecipe();
        var plan = StructuralSweep.plan(h.get(), SPACE, best, wider(h));
        assertThat(plan.parentReach()).containsExactly(0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0);
        // the best's base sweep is best at ×2, its top: not chosen yet, the sweep goes on to ×4
        arm(h, plan, plan.parentRuns(), null, 2.00, 2.10, 1.97);
        assertThat(StructuralSweep.bestChoice(h.get(), plan)).isEmpty();
        var parent = StructuralSweep.choice(h.get(), plan).parent();
        assertThat(LrSweep.next(parent.factors(), parent.metrics(), plan.parentReach())).hasValue(4.0);
        assertThat(StructuralSweep.missing(h.get(), plan)).isEqualTo(3);  // the base sweep only

        // as the study runs them: each arm's extensions in its own trial, after its base runs
        var h2 = new Histories().baseline(2.00, 2.01, 1.99);
        var up = new java.util.ArrayList<>(plan.parentRuns());
        up.add(LrSweep.scaled(plan.parent(), 4).with("seed", plan.seed()));
        up.add(LrSweep.scaled(plan.parent(), 8).with("seed", plan.seed()));
        arm(h2, plan, up, null, 2.00, 2.10, 1.97, 1.95, 1.99);            // ×4 best, ×8 worse: ×4 interior
        var change = Change.of("model.dim", 192);
        var down = new java.util.ArrayList<>(plan.changedRuns());
        down.add(LrSweep.scaled(plan.changed(), 0.25).with("seed", plan.seed()));
        down.add(LrSweep.scaled(plan.changed(), 0.125).with("seed", plan.seed()));
        arm(h2, plan, down, change, 1.95, 1.90, 1.99, 1.88, 1.87);         // still falling at ×1/8: the cap ends it
        var choice = StructuralSweep.choice(h2.get(), plan);
        assertThat(choice.parent().factors()).containsExactly(0.5, 1.0, 2.0, 4.0, 8.0);
        assertThat(choice.parent().chosen()).isEqualTo(4.0);
        assertThat(choice.changed().factors()).containsExactly(0.125, 0.25, 0.5, 1.0, 2.0);
        assertThat(choice.changed().chosen()).isEqualTo(0.125);
        assertThat(LrSweep.next(choice.changed().factors(), choice.changed().metrics(), plan.changedReach())).isEmpty();
        assertThat(StructuralSweep.bestChoice(h2.get(), plan)).hasValue(4.0);
        assertThat(choice.describe()).isEqualTo("the change at ×0.125 its learning rate (its sweep: ×0.125 1.8700, "
                + "×0.25 1.8800, ×0.5 1.9000, ×1 1.9500, ×2 1.9900) against the best at ×4 (its sweep: ×0.5 2.1000, "
                + "×1 2.0000, ×2 1.9700, ×4 1.9500, ×8 1.9900)");
        assertThat(h2.get().runsOf(Role.SWEEP)).hasSize(10).allSatisfy(r -> assertThat(h2.get().decision(r.id())
                .rationale()).startsWith("learning-rate sweep: ×"));
        assertThat(h2.get().runsOf(Role.SWEEP)).extracting(r -> h2.get().decision(r.id()).rationale().split(" ")[2])
                .contains("×4", "×8", "×0.25", "×0.125");

        // the experiment names both extended sweeps, read back from the history alone
        var first = h2.run(LrSweep.scaled(plan.changed(), 0.125).with("seed", Histories.START.seed()),
                Standing.of(h2.get()).bestRun(), StructuralSweep.merged(change, plan.changed(), 0.125), Role.EXPERIMENT,
                null, 1.9, null, 60.0);
        assertThat(StructuralSweep.of(h2.get(), first).orElseThrow().describe()).isEqualTo(choice.describe());
        // a run added to the best's shared sweep later does not change what this experiment was judged by
        h2.run(LrSweep.scaled(plan.parent(), 0.25).with("seed", plan.seed()), Standing.of(h2.get()).bestRun(), null,
                Role.SWEEP, h2.get().runsOf(Role.SWEEP).getFirst().experiment(), 1.5, null, 60.0);
        assertThat(StructuralSweep.of(h2.get(), first).orElseThrow().describe()).isEqualTo(choice.describe());
    }
}
