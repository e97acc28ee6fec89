package dev.flywheel.lab.study;

import dev.flywheel.lab.exec.ExternalExecutor;
import dev.flywheel.lab.exec.InProcessExecutor;
import dev.flywheel.lab.exec.Trainers;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.research.BuiltinResearcher;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The protocol is language-neutral: a trainer of a few lines of shell and awk (trainers/fake) runs a whole study —
 * baseline seeds, the built-in researcher searching its own setting trainer.args.lr, decisions, the journal.
 */
class ExternalTrainerStudyTest {

    static String brief(String command, double lr, int steps) {
        return """
                # A study of a shell trainer

                ## Objective
                Lower the validation bits per byte of the fake trainer by its learning rate.

                - metric: val_bpb

                ## Constraints
                - noise_seeds: 2

                ## Search space
                - trainer.args.lr: 0.0003 .. 0.03 log

                ## Baseline
                - data.source: %s
                - data.tokenizer: char
                - model.layers: 1
                - model.heads: 2
                - model.dim: 32
                - model.seq: 32
                - batch.size: 8
                - eval.tokens: 4096
                - budget.kind: steps
                - budget.amount: %d
                - trainer.command: %s
                - trainer.args.lr: %s
                """.formatted(TinyStudies.shakespeare(), steps, command, lr);
    }

    @Test
    void aShellTrainerRunsAStudyAndTheResearcherFindsItsLearningRate(@TempDir Path lab) throws Exception {
        var store = Store.open(lab.resolve("flywheel.db"));
        var settings = TinyStudies.settings(lab, "shell", brief(Trainers.fakeCommand(), 0.0005, 60), "builtin", "10runs");
        assertThat(settings.start().trainer().args()).containsEntry("lr", 0.0005);
        var executor = new ExternalExecutor(new InProcessExecutor(store, 0), store);
        var study = Study.open(settings, false, store, executor, StudyListener.NONE);
        var conclusion = StudyLoop.run(study, new BuiltinResearcher(1));

        var runs = store.runs("shell");
        assertThat(runs).allSatisfy(r -> assertThat(r.status().id()).as(r.id() + " " + r.error()).isEqualTo("finished"));
        assertThat(runs).filteredOn(r -> r.role() == Role.EXPERIMENT).isNotEmpty()
                .allSatisfy(r -> assertThat(Recipe.diff(settings.start(), r.recipe())).anyMatch(d -> d.startsWith("trainer.args.lr")));
        // the fake's floor is lowest at lr 0.003: a real improvement, kept on paired seeds
        assertThat(conclusion.bestMetric()).isLessThan(conclusion.baselineMetric() - 0.05);
        var best = Recipe.read(conclusion.bestRecipe());
        assertThat((Double) best.trainer().args().get("lr")).isBetween(0.001, 0.01);
        assertThat(Files.readString(conclusion.journal())).contains("trainer.args.lr");
    }

    /** The acceptance of issue 21 in CI's size: trainers/torch on the CPU, a timid baseline, a few runs. */
    @Test
    void aStudyOfThePyTorchTrainerImprovesOnItsBaseline(@TempDir Path lab) {
        var missing = Trainers.torchMissing();
        org.junit.jupiter.api.Assumptions.assumeTrue(missing == null, missing);
        var store = Store.open(lab.resolve("flywheel.db"));
        var settings = TinyStudies.settings(lab, "torch", brief(Trainers.torchCommand() + " --threads=1", 0.0003, 120),
                "builtin", "6runs");
        var executor = new ExternalExecutor(new InProcessExecutor(store, 0), store);
        var conclusion = StudyLoop.run(Study.open(settings, false, store, executor, StudyListener.NONE), new BuiltinResearcher(1));
        var runs = store.runs("torch");
        assertThat(runs).hasSizeGreaterThanOrEqualTo(4)
                .allSatisfy(r -> assertThat(r.status().id()).as(r.id() + " " + r.error()).isIn("finished", "stopped"));
        assertThat(conclusion.bestMetric()).isLessThan(conclusion.baselineMetric());
        assertThat((Double) Recipe.read(conclusion.bestRecipe()).trainer().args().get("lr")).isGreaterThan(0.0003);
    }
}
