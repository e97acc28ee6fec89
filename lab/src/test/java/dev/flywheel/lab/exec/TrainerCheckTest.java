package dev.flywheel.lab.exec;

import dev.flywheel.data.Progress;
import dev.flywheel.data.prep.DataCache;
import dev.flywheel.lab.run.RecipeRunner;
import dev.flywheel.lab.run.RunSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code trainer check} on real processes: a trainer that speaks the protocol passes, each breach is named. */
class TrainerCheckTest {

    private static TrainerCheck.Report check(Path lab, String command, boolean resume) {
        var recipe = Trainers.recipe(20, command, Map.of());
        var data = RecipeRunner.prepare(new RunSpec("check", recipe, lab.resolve("x"), new DataCache(lab.resolve("cache")), 1,
                false, false, 0), Progress.none());
        return new TrainerCheck(recipe, data, 60, 1).run(lab.resolve("check-" + command.hashCode()), resume);
    }

    private static String problems(TrainerCheck.Report r) {
        return String.join("\n", r.items().stream().filter(i -> i.level() == TrainerCheck.Level.PROBLEM).map(TrainerCheck.Item::text).toList());
    }

    @Test
    void theShellTrainerPasses(@TempDir Path lab) {
        var report = check(lab, Trainers.fakeCommand(), false);
        assertThat(report.passed()).as(problems(report)).isTrue();
        assertThat(report.items()).extracting(TrainerCheck.Item::text).contains("it exited 0", "20 training steps in metrics.jsonl");
    }

    @Test
    void eachBreachIsNamedInPlainWords(@TempDir Path lab) {
        var cases = Map.of(
                "exit 4", "exited with code 4",
                "true", "it wrote no metrics.jsonl",
                "echo '{\"step\": 0, \"tokens\": 8, \"los\": 4.1}' >> metrics.jsonl; echo '{\"val_bpb\": 2}' > summary.json",
                "has keys the protocol does not know: los",
                "echo 'step 0 loss 4.1' >> metrics.jsonl", "line 1 is not JSON",
                "echo '{\"step\": 0, \"loss\": 4.1}' >> metrics.jsonl", "has no \"tokens\"",
                "for i in 0 1 2; do echo \"{\\\"step\\\": $i, \\\"tokens\\\": 8, \\\"loss\\\": 4}\" >> metrics.jsonl; done",
                "the budget was 20 steps (FLYWHEEL_BUDGET=20steps) but the last step was 2",
                "for i in $(seq 0 19); do echo \"{\\\"step\\\": $i, \\\"tokens\\\": 8, \\\"loss\\\": 4}\" >> metrics.jsonl; done",
                "summary.json was not written: at the end, write {\"val_bpb\": ...}");
        cases.forEach((body, expected) -> {
            var report = check(lab, Trainers.script(lab.resolve("s"), "t" + Math.abs(body.hashCode()) + ".sh", body + "\n"), false);
            assertThat(report.passed()).as(body).isFalse();
            assertThat(problems(report)).as(body).contains(expected);
        });
    }

    @Test
    void aTrainerThatCannotResumeIsTold(@TempDir Path lab) {
        var slow = Trainers.script(lab.resolve("s"), "slow.sh", """
                n=${FLYWHEEL_BUDGET%steps}; i=0
                while [ $i -lt $n ]; do echo "{\\"step\\": $i, \\"tokens\\": $((8 * i + 8)), \\"loss\\": 3}" >> metrics.jsonl; i=$((i + 1)); sleep 0.2; done
                echo '{"val_bpb": 1.5}' > summary.json
                """);
        var report = check(lab, slow, true);
        assertThat(problems(report)).contains("started again with FLYWHEEL_RESUME=1 it began at step 0");
    }
}
