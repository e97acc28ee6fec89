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
        assertThat(sweeps).hasSize(6).allSatisfy(r -> {
            assertThat(r.recipe().seed()).isEqualTo(best.seed() + 2);          // after the baseline's two seeds
            assertThat(h.decision(r.id()).rationale()).startsWith("learning-rate sweep: ×");
        });
        assertThat(sweeps.stream().map(RunRecord::experiment).distinct()).hasSize(2); // one trial per arm
        assertThat(sweeps).filteredOn(r -> r.recipe().model().dim() == 32).extracting(r -> r.recipe().optimizer().lr())
                .containsExactly(0.001, 0.0005, 0.002);                           // the best's arm, ×1 first
        assertThat(sweeps).filteredOn(r -> r.recipe().model().dim() == 48).hasSize(3);

        var first = h.run(result.experiment()).orElseThrow();
        var choice = StructuralSweep.of(h, first).orElseThrow();
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
        resumed.runExperiment("test", "a narrower model may train faster", Change.of("model.dim", 16), 1);
        assertThat(resumed.record().runsOf(Role.SWEEP)).hasSize(kept ? 12 : 9);
        resumed.close();
    }
}
