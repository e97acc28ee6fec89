package dev.flywheel.lab.study;

import dev.flywheel.lab.exec.InProcessExecutor;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tiny real study in this JVM whose experiment changes the width: the study sweeps the learning rate of both arms
 * on a seed of its own first, runs the change at the rate its sweep chose against the best at its own, journals both
 * sweeps, and a resumed study runs nothing again.
 */
class SweptStudyTest {

    @Test
    void aStructuralChangeIsJudgedAtEachArmsOwnLearningRate(@TempDir Path lab) throws Exception {
        var store = Store.open(lab.resolve("flywheel.db"));
        // two seeds an experiment, one to re-measure: the fewest runs that still exercise every step
        var decisions = new DecisionSettings(DecisionSettings.Procedure.PAIRED, 0.05, 10, 2, 2, 0.1, 1, true);
        var settings = TinyStudies.settings(lab, "swept", TinyStudies.brief(20, 2), "builtin", "40runs", 1, decisions);
        var study = Study.open(settings, false, store, new InProcessExecutor(store), StudyListener.NONE);
        study.runBaseline();
        var best = study.bestRecipe();

        var result = study.runExperiment("test", "a wider model should learn more per step", Change.of("model.dim", 48), 1);
        var h = study.record();
        var sweeps = h.runsOf(Role.SWEEP);
        // 3 rates an arm, and up to 2 edge extensions (at 20 steps both arms were still improving at ×2: 10 runs)
        assertThat(sweeps).hasSizeBetween(6, 10).allSatisfy(r -> {
            assertThat(r.recipe().seed()).isEqualTo(best.seed() + 2);          // after the baseline's two seeds
            assertThat(h.decision(r.id()).rationale()).startsWith("learning-rate sweep: ×");
        });
        assertThat(sweeps.stream().map(RunRecord::experiment).distinct()).hasSize(2); // one trial per arm
        assertThat(sweeps).filteredOn(r -> r.recipe().model().dim() == 32).extracting(r -> r.recipe().optimizer().lr())
                .startsWith(0.001, 0.0005, 0.002);                                // the best's arm, ×1 first
        assertThat(sweeps).filteredOn(r -> r.recipe().model().dim() == 48).hasSizeBetween(3, 5);

        var first = h.run(result.experiment()).orElseThrow();
        var choice = StructuralSweep.of(h, first).orElseThrow();
        // every sweep run is in one of the two arms, and neither arm wanted another extension when it ended
        assertThat(choice.changed().factors().size() + choice.parent().factors().size()).isEqualTo(sweeps.size());
        for (var arm : java.util.List.of(choice.changed(), choice.parent()))
            assertThat(LrSweep.next(arm.factors(), arm.metrics(), java.util.List.of(0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)))
                    .isEmpty();
        assertThat(first.role()).isEqualTo(Role.EXPERIMENT);
        assertThat(first.recipe().model().dim()).isEqualTo(48);
        assertThat(first.recipe().optimizer().lr()).isEqualTo(0.001 * choice.changed().chosen());
        assertThat(first.hypothesis()).contains("The study swept the learning rate first: " + choice.describe());
        var own = h.trial(first.id());
        assertThat(own).extracting(RunRecord::role).doesNotContain(Role.REFERENCE, Role.SWEEP);
        assertThat(h.decision(first.id()).rationale()).endsWith("Judged at each arm's own learning rate: " + choice.describe());
        var refs = PairedPolicy.references(h, first.id());
        if (choice.needsReference()) {
            assertThat(refs).hasSameSizeAs(own);
            for (int j = 0; j < own.size(); j++) {
                assertThat(refs.get(j).recipe().seed()).isEqualTo(own.get(j).recipe().seed());
                assertThat(refs.get(j).recipe().optimizer().lr()).isEqualTo(0.001 * choice.parent().chosen());
            }
        } else assertThat(refs).isEmpty();
        // the sweep seed is never one of the paired test's seeds
        assertThat(own).allSatisfy(r -> assertThat(r.recipe().seed()).isNotEqualTo(best.seed() + 2));
        assertThat(h.runs()).allSatisfy(r -> assertThat(h.decided(r)).as(r.id()).isTrue());
        assertThat(Files.readString(settings.dir().resolve(Study.JOURNAL))).contains("learning-rate sweep: ×2 scored");

        // a resumed study runs nothing again, and a second structural change from the same best shares its sweep
        int before = h.runs().size();
        study.close();
        var resumed = Study.open(settings, true, store, new InProcessExecutor(store), StudyListener.NONE);
        resumed.settlePending();
        assertThat(store.runs("swept")).hasSize(before);
        boolean kept = resumed.record().decision(first.id()).decision() == dev.flywheel.lab.store.Decision.KEEP;
        var second = resumed.runExperiment("test", "a narrower model may train faster", Change.of("model.dim", 16), 1);
        // the narrower arm's sweep, and the best's own only if the best changed (else it is shared), with extensions
        var again = StructuralSweep.of(resumed.record(), resumed.record().run(second.experiment()).orElseThrow()).orElseThrow();
        assertThat(resumed.record().runsOf(Role.SWEEP)).hasSize(sweeps.size() + again.changed().factors().size()
                + (kept ? again.parent().factors().size() : 0));
        resumed.close();
    }

    /**
     * Scripted: the wider model's best rate is ×4 the narrow one's (its sweep still falling at ×2), the narrow one's
     * ×1. The study extends the wider arm's sweep to ×4 and ×8, runs the change at ×4, and a resumed study agrees.
     */
    @Test
    void aChangeWhoseSweepIsBestAtAnEdgeRunsAtTheRateItsExtensionFound(@TempDir Path lab) throws Exception {
        var store = Store.open(lab.resolve("flywheel.db"));
        var decisions = new DecisionSettings(DecisionSettings.Procedure.PAIRED, 0.05, 10, 2, 2, 0.1, 1, true);
        var settings = TinyStudies.settings(lab, "edge", TinyStudies.brief(20, 2), "builtin", "40runs", 1, decisions);
        java.util.function.Function<dev.flywheel.lab.recipe.Recipe, Double> metric = r -> {
            boolean wide = r.model().dim() == 48;
            double optimum = wide ? 0.004 : 0.001;
            return (wide ? 1.9 : 2.0) + 0.1 * Math.abs(Math.log(r.optimizer().lr() / optimum) / Math.log(2))
                    + 0.001 * (r.seed() - 1337);
        };
        var study = Study.open(settings, false, store, new StudyRulesTest.Scripted(metric), StudyListener.NONE);
        study.runBaseline();
        var result = study.runExperiment("test", "a wider model", Change.of("model.dim", 48), 1);
        var h = study.record();
        var sweeps = h.runsOf(Role.SWEEP);
        // the best's sweep is best at ×1: 3 runs; the wider one's at ×2, then ×4 (better) and ×8 (worse): 5 runs
        assertThat(sweeps).filteredOn(r -> r.recipe().model().dim() == 32).hasSize(3);
        assertThat(sweeps).filteredOn(r -> r.recipe().model().dim() == 48).extracting(r -> r.recipe().optimizer().lr())
                .containsExactly(0.001, 0.0005, 0.002, 0.004, 0.008);
        assertThat(sweeps.stream().map(RunRecord::experiment).distinct()).hasSize(2);
        assertThat(sweeps).allSatisfy(r -> assertThat(h.decided(r)).isTrue());
        var first = h.run(result.experiment()).orElseThrow();
        var choice = StructuralSweep.of(h, first).orElseThrow();
        assertThat(choice.changed().chosen()).isEqualTo(4.0);
        assertThat(choice.parent().chosen()).isEqualTo(1.0);
        assertThat(first.recipe().optimizer().lr()).isEqualTo(0.004);
        assertThat(first.hypothesis()).contains("The study swept the learning rate first: " + choice.describe());
        assertThat(h.decision(first.id()).rationale()).endsWith("Judged at each arm's own learning rate: " + choice.describe());
        assertThat(Files.readString(settings.dir().resolve(Study.JOURNAL))).contains("learning-rate sweep: ×8 scored");
        // resumed, nothing runs again
        int before = h.runs().size();
        study.close();
        try (var resumed = Study.open(settings, true, store, new StudyRulesTest.Scripted(r -> {
            throw new AssertionError("ran again: " + r.hash());
        }), StudyListener.NONE)) {
            resumed.settlePending();
            assertThat(store.runs("edge")).hasSize(before);
            assertThat(StructuralSweep.of(resumed.record(), first).orElseThrow().describe()).isEqualTo(choice.describe());
        }
    }
}
