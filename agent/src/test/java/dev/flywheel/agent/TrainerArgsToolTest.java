package dev.flywheel.agent;

import dev.flywheel.data.TestText;
import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.exec.ExternalExecutor;
import dev.flywheel.lab.exec.InProcessExecutor;
import dev.flywheel.lab.search.Brief;
import dev.flywheel.lab.store.Store;
import dev.flywheel.lab.study.DecisionSettings;
import dev.flywheel.lab.study.Study;
import dev.flywheel.lab.study.StudyListener;
import dev.flywheel.lab.study.StudySettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** An LLM researcher sees an external trainer's own settings as ordinary search dimensions. */
class TrainerArgsToolTest {

    @Test
    void runExperimentAcceptsTrainerArgsOfTheSearchSpaceAndRejectsOthers(@TempDir Path lab) {
        var fake = Path.of("..", "trainers", "fake", "fake_trainer.sh").toAbsolutePath().normalize();
        var brief = Brief.parse("""
                # Fake trainer
                ## Objective
                Lower the fake trainer's bits per byte.
                - metric: val_bpb
                ## Constraints
                - noise_seeds: 1
                ## Search space
                - trainer.args.lr: 0.0003 .. 0.03 log
                ## Baseline
                - data.source: %s
                - data.tokenizer: char
                - model.layers: 1
                - model.dim: 32
                - model.heads: 2
                - model.seq: 32
                - batch.size: 8
                - eval.tokens: 2048
                - budget.kind: steps
                - budget.amount: 30
                - trainer.command: sh %s
                - trainer.args.lr: 0.0005
                """.formatted(TestText.shakespeare(), fake), "test brief");
        var settings = new StudySettings("fake", brief, brief.startingRecipe(), "claude", StudyBudget.parse("5runs"),
                lab.resolve("studies").resolve("fake"), TestStudies.CACHE, 1, 1, false, false, 0, DecisionSettings.keepRule());
        var store = Store.open(lab.resolve("lab.db"));
        var study = Study.open(settings, false, store, new ExternalExecutor(new InProcessExecutor(store, 0), store),
                StudyListener.NONE);
        study.runBaseline();
        var tools = new LabTools(study, "claude", () -> { });

        var state = tools.call(new Chat.ToolCall("1", "study_state", "{}"));
        assertThat(state.content()).contains("trainer.args.lr: 0.0003 .. 0.03 log");
        var bad = tools.call(new Chat.ToolCall("2", "run_experiment",
                "{\"hypothesis\": \"a wider batch helps\", \"changes\": {\"trainer.args.batch\": 64}}"));
        assertThat(bad.error()).isTrue();
        assertThat(bad.content()).contains("trainer.args.batch").contains("nothing ran");
        var good = tools.call(new Chat.ToolCall("3", "run_experiment",
                "{\"hypothesis\": \"the fake's floor is lowest near 0.003\", \"changes\": {\"trainer.args.lr\": 0.003}}"));
        assertThat(good.error()).as(good.content()).isFalse();
        assertThat(good.ranExperiment()).isTrue();
        assertThat(good.content()).contains("keep");
    }
}
