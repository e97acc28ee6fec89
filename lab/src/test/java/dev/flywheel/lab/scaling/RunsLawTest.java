package dev.flywheel.lab.scaling;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** A study's runs as a law: the points they give, and the scaling_law tool's answer. */
class RunsLawTest {

    static RunRecord run(String id, Recipe r, long tokens, Double metric, RunStatus status, Role role) {
        return new RunRecord(id, "s", 1, r.canonicalJson(), r.hash(), null, null, "test", "", status, 1, metric, null,
                10L, tokens, 1.0, null, null, null, null, null, null, role, null);
    }

    @Test
    void ladderRunsAreThePointsWhenThereAreAnyAndFailedRunsNever() {
        var r = Recipe.defaults();
        var runs = List.of(run("a", r, 1000, 3.0, RunStatus.FINISHED, Role.BASELINE),
                run("b", r, 2000, 2.9, RunStatus.FINISHED, Role.LADDER),
                run("c", r, 4000, null, RunStatus.CRASHED, Role.LADDER));
        var points = RunPoints.of(runs);
        assertThat(points).hasSize(1);
        assertThat(points.getFirst().label()).isEqualTo("b");
        assertThat(points.getFirst().params()).isEqualTo(r.estimatedParameters());
        assertThat(RunPoints.of(runs.subList(0, 1))).hasSize(1); // no ladder runs: every finished run
    }

    @Test
    void fitsRunsDrawnFromALawAndPredictsBeyondThem() {
        var truth = new ScalingLaw(1.5, 60, 300, 0.4, 0.35);
        var runs = new ArrayList<RunRecord>();
        for (int dim : new int[]{32, 64, 128, 256, 512})
            for (long tokens : new long[]{100_000, 400_000, 1_600_000, 6_400_000}) {
                var r = Recipe.defaults().with(Map.of("model.dim", dim, "model.heads", dim / 32));
                runs.add(run("r" + dim + "-" + tokens, r, tokens, truth.loss(r.estimatedParameters(), tokens), RunStatus.FINISHED, Role.LADDER));
            }
        var j = RunsLaw.summary(runs, List.of(1e16), 20);
        assertThat(j.get("points")).isEqualTo(20);
        assertThat((double) j.get("alpha")).isCloseTo(0.4, within(0.01));
        assertThat((double) j.get("beta")).isCloseTo(0.35, within(0.01));
        @SuppressWarnings("unchecked") var predictions = (List<Map<String, Object>>) j.get("predictions");
        assertThat(predictions).hasSize(1);
        assertThat((double) predictions.getFirst().get("predicted_loss")).isCloseTo(truth.optimal(1e16).loss(), within(0.01));
    }

    @Test
    void tooFewRunsIsAnAnswerInWords() {
        var j = RunsLaw.summary(List.of(run("a", Recipe.defaults(), 1000, 3.0, RunStatus.FINISHED, Role.BASELINE)), List.of());
        assertThat(j.get("fit")).isNull();
        assertThat((String) j.get("why")).contains("1 finished runs; it cannot be fitted yet");
    }
}
