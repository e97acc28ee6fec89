package dev.flywheel.lab.study;

import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The paired procedure over synthetic histories: the best's table, the pairs, the call, the error budget. */
class PairedPolicyTest {

    static final DecisionSettings PAIRED = DecisionSettings.paired(new StudyBudget.Runs(43), 3); // horizon 20

    /** An experiment on seeds of the best's table with these metrics, not decided yet. */
    static List<RunRecord> experiment(Histories h, String path, Object value, double... metrics) {
        var st = Standing.of(h.get());
        var parent = PairedPolicy.parent(h.get());
        var recipe = st.bestRecipe().with(path, value);
        String trial = null;
        var runs = new java.util.ArrayList<RunRecord>();
        for (int j = 0; j < metrics.length; j++) {
            var r = h.run(recipe.with("seed", parent.seed(j)), st.bestRun(), Change.of(path, value),
                    j == 0 ? Role.EXPERIMENT : Role.CONFIRM, trial, metrics[j], null, 60.0);
            if (trial == null) trial = r.id();
            runs.add(r);
        }
        return runs;
    }

    static Histories decide(Histories h, List<RunRecord> runs) {
        var call = (PairedPolicy.Call.Decide) PairedPolicy.decide("s", h.get(), runs, PAIRED, true);
        var history = h.get();
        for (var d : call.decisions()) history = history.withDecision(d);
        return h.replace(history);
    }

    @Test
    void anExperimentIsPairedSeedBySeedWithTheBaselinesTable() {
        var h = new Histories().baseline(2.00, 2.10, 1.90);
        var runs = experiment(h, "optimizer.lr", 0.002, 1.95, 2.06);
        var parent = PairedPolicy.parentOf(h.get(), runs.getFirst());
        assertThat(parent.runs()).extracting(RunRecord::id).containsExactly("s-001", "s-002", "s-003");
        var d = PairedPolicy.differences(parent, runs);
        assertThat(d[0]).isCloseTo(-0.05, within(1e-12));
        assertThat(d[1]).isCloseTo(-0.04, within(1e-12));
    }

    @Test
    void aConsistentGainIsKeptAndNoiseGetsMoreSeeds() {
        // σ 0.01 between seeds; the change is 0.05 better on every one of them
        var h = new Histories().baseline(2.00, 2.01, 1.99);
        var clear = experiment(h, "optimizer.lr", 0.002, 1.95, 1.96, 1.94);
        var call = PairedPolicy.decide("s", h.get(), clear, PAIRED, true);
        assertThat(call).isInstanceOf(PairedPolicy.Call.Decide.class);
        var decide = (PairedPolicy.Call.Decide) call;
        assertThat(decide.kept()).isTrue();
        assertThat(decide.decisions()).hasSize(3).allSatisfy(r -> {
            assertThat(r.decision()).isEqualTo(Decision.KEEP);
            assertThat(r.delta()).isCloseTo(-0.05, within(1e-9));
            assertThat(r.rationale()).contains("over 3 paired seeds").contains("the gain is shown; kept");
        });
        // pairs that disagree (one seed 0.04 better, the other 0.02 worse) are not clear: another seed, or a discard
        // when the budget has no room for one
        var h2 = new Histories().baseline(2.00, 2.01, 1.99);
        var noisy = experiment(h2, "optimizer.lr", 0.002, 1.96, 2.03);
        assertThat(PairedPolicy.decide("s", h2.get(), noisy, PAIRED, true)).isInstanceOf(PairedPolicy.Call.AddSeed.class);
        var none = (PairedPolicy.Call.Decide) PairedPolicy.decide("s", h2.get(), noisy, PAIRED, false);
        assertThat(none.kept()).isFalse();
        assertThat(none.decisions().getFirst().rationale()).contains("no room for another seed; discarded");
    }

    @Test
    void aFailedOrStoppedRunEndsTheExperimentAsADiscard() {
        var h = new Histories().baseline(2.00, 2.10, 1.90);
        var st = Standing.of(h.get());
        var stopped = h.run(Histories.START.with("optimizer.lr", 0.01).with("seed", 1337L), st.bestRun(),
                Change.of("optimizer.lr", 0.01), Role.EXPERIMENT, null, 2.5, 0.5, 30.0);
        var call = (PairedPolicy.Call.Decide) PairedPolicy.decide("s", h.get(), List.of(stopped), PAIRED, true);
        assertThat(call.kept()).isFalse();
        assertThat(call.decisions().getFirst().rationale()).startsWith("stopped early at 50%");
    }

    @Test
    void theErrorBudgetSpendsOnEveryTestAndCountsResubmissions() {
        var h = new Histories().baseline(2.00, 2.01, 1.99);
        double first = PairedPolicy.budget(h.get(), PAIRED).next();
        assertThat(first).isCloseTo(0.05 / 20, within(1e-15));
        h = decide(h, experiment(h, "optimizer.lr", 0.002, 2.00, 2.01, 1.99)); // no gain: discarded for futility
        var after = PairedPolicy.budget(h.get(), PAIRED);
        assertThat(after.tests()).hasSize(1);
        assertThat(after.spent()).isCloseTo(0.05 / 20, within(1e-15));
        assertThat(after.next()).isCloseTo(0.05 / 20, within(1e-15));      // a discard hands nothing on
        var again = experiment(h, "optimizer.lr", 0.002001, 2.00, 2.01, 1.99); // near-identical: the same key
        var call = (PairedPolicy.Call.Decide) PairedPolicy.decide("s", h.get(), again, PAIRED, true);
        assertThat(call.decisions().getFirst().rationale()).contains("This change was tried 1 time before");
        assertThat(PairedPolicy.changeKey(again.getFirst())).isEqualTo(PairedPolicy.changeKey(h.get().runs().get(3)));
    }

    @Test
    void aKeptChangesTableIsItsReMeasurementsNotTheSeedsThatKeptIt() {
        var h = new Histories().baseline(2.00, 2.01, 1.99);
        var kept = experiment(h, "optimizer.lr", 0.002, 1.95, 1.96, 1.94);
        h = decide(h, kept);
        assertThat(PairedPolicy.parent(h.get()).runs()).isEmpty();
        var best = Standing.of(h.get()).bestRecipe();
        var r1 = h.run(best.with("seed", 1340L), kept.getFirst().id(), null, Role.REMEASURE, null, 1.97, null, 60.0);
        h.run(best.with("seed", 1341L), kept.getFirst().id(), null, Role.REMEASURE, r1.id(), 1.99, null, 60.0);
        var parent = PairedPolicy.parent(h.get());
        assertThat(parent.trial()).isEqualTo(kept.getFirst().id());
        assertThat(parent.runs()).extracting(r -> r.recipe().seed()).containsExactly(1340L, 1341L);
        var st = Standing.of(h.get());
        assertThat(st.bestMetric()).isCloseTo(1.98, within(1e-12));      // not the 1.95 of the seeds that kept it
        assertThat(st.keptLines().getFirst()).contains("re-measured 1.9800 on 2 fresh seeds");
    }
}
