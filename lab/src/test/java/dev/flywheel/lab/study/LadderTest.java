package dev.flywheel.lab.study;

import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.scaling.LawFit;
import dev.flywheel.lab.scaling.ScalingLaw;
import dev.flywheel.lab.search.Brief;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** A tiny real ladder in this JVM: the plan, the runs through the lab, the prediction noted first, and a resume. */
class LadderTest {

    static final String BRIEF = "# Ladder\n\n## Objective\nA tiny ladder.\n\n- metric: val_loss\n\n## Constraints\n- noise_seeds: 1\n\n## Search space\n- defaults\n";

    static LadderPlan tinyPlan() {
        var base = TinyStudies.recipe(10).with(Map.of("data.vocab", 65, "schedule.warmup", 2, "model.heads", 1));
        // target ≈ 40k parameters on 10k tokens; rungs at ÷1.5 and ÷2.25 on 10k, 5k and 2.5k tokens
        return LadderPlan.of(base, new LadderPlan.Settings(6 * 40_000.0 * 10_000, 0.25, 2, 3, 1.5));
    }

    @Test
    void thePlanPutsTheTargetAboveEveryRungAndVariesSizeAndDataApart() {
        var plan = tinyPlan();
        double target = ScalingLaw.FLOPS_PER_PARAM_TOKEN * plan.targetParams() * plan.targetTokens();
        assertThat(plan.sizes()).hasSize(2);
        assertThat(plan.sizes().get(0).params()).isGreaterThan(plan.sizes().get(1).params());
        for (var s : plan.sizes()) {
            assertThat(s.params()).isLessThan(plan.targetParams());
            assertThat(s.tokens()).hasSize(3).first().isEqualTo(plan.targetTokens());
            for (long d : s.tokens()) assertThat(6.0 * s.params() * d).isLessThan(target);
        }
        assertThat(plan.sweepTokens()).isEqualTo(1);
        assertThat(plan.target().runBudget().format()).contains("tokens");
    }

    @Test
    void theTargetsRateFollowsThePowerLawOfTheRungsChoices() {
        // chosen ×4 at 10k and ×2 at 40k parameters: halving per 4× in N, so ×1 at 160k
        assertThat(LadderPlan.targetFactor(List.of(10_000L, 40_000L), List.of(4.0, 2.0), 160_000)).isCloseTo(1.0, within(1e-9));
        // a steep slope is held within ×2 of the rates chosen
        assertThat(LadderPlan.targetFactor(List.of(10_000L, 20_000L), List.of(8.0, 1.0), 1_000_000)).isEqualTo(0.5);
    }

    @Test
    void aLadderTrainsThroughTheLabNotesItsPredictionFirstAndResumesWithoutRerunning(@TempDir Path lab) throws Exception {
        var store = Store.open(lab.resolve("flywheel.db"));
        var plan = tinyPlan();
        var settings = new StudySettings("ladder", Brief.parse(BRIEF, "test"), plan.target(), "ladder",
                StudyBudget.parse(plan.plannedRuns() + "runs"), lab.resolve("studies/ladder"), lab.resolve("cache"), 1, 1,
                false, false, 0);
        var fit = new LawFit.Settings(10, 0, LawFit.Settings.DEFAULT.delta());
        var first = new ReplicateTest.Counting(store);
        LadderReport report;
        try (var study = Study.open(settings, false, store, first, StudyListener.NONE)) {
            report = study.ladder(plan, fit);
        }
        var runs = store.runs("ladder");
        assertThat(runs).allSatisfy(r -> assertThat(r.role()).isEqualTo(Role.LADDER));
        assertThat(runs.size()).isBetween(2 * 3 + 2 * 2 + 1, plan.plannedRuns());
        assertThat(store.decisions("ladder")).hasSize(runs.size()).allSatisfy(d -> assertThat(d.decision()).isEqualTo(Decision.DISCARD));
        // the prediction was noted before the target was queued: the target is the last run
        var target = runs.getLast();
        assertThat(target.recipe().estimatedParameters()).isEqualTo(plan.targetParams());
        var note = store.notes("ladder").stream().filter(n -> n.body().startsWith(Ladder.NOTE)).findFirst().orElseThrow();
        assertThat(note.recordedAt()).isBeforeOrEqualTo(target.queuedAt());
        assertThat(report.actual()).isNotNull();
        assertThat(report.actual().label()).isEqualTo(target.id());
        assertThat(report.actual().loss()).isEqualTo(target.metric());
        assertThat(report.errorPct()).isEqualTo(100 * (report.predicted() - target.metric()) / target.metric());
        assertThat(report.fit().points()).hasSize(6);
        assertThat(report.computeSpan()).isGreaterThan(4);
        assertThat(report.toJson()).containsKeys("predicted_loss", "actual_loss", "error_pct");
        assertThat(Files.exists(report.files().png())).isTrue();
        assertThat(Files.readString(settings.dir().resolve(Study.JOURNAL))).contains("Scaling ladder, learning-rate sweep", Ladder.NOTE);

        var again = new ReplicateTest.Counting(store);
        try (var study = Study.open(settings, true, store, again, StudyListener.NONE)) {
            var second = study.ladder(plan, fit);
            assertThat(second.predicted()).isEqualTo(report.predicted());
        }
        assertThat(again.ran).isEmpty();
        assertThat(store.runs("ladder")).extracting(RunRecord::id).isEqualTo(runs.stream().map(RunRecord::id).toList());
    }
}
