package dev.flywheel.agent;

import dev.flywheel.data.TestText;
import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.exec.InProcessExecutor;
import dev.flywheel.lab.search.Brief;
import dev.flywheel.lab.store.Store;
import dev.flywheel.lab.study.DecisionSettings;
import dev.flywheel.lab.study.Study;
import dev.flywheel.lab.study.StudyListener;
import dev.flywheel.lab.study.StudySettings;

import java.nio.file.Path;

/**
 * Tiny studies for the agent's tests, like the lab's own: a one-layer char model on Tiny Shakespeare, runs of a few
 * dozen steps, so a whole study takes seconds. The prepared data is shared by every test of the module.
 */
final class TestStudies {

    private TestStudies() {
    }

    static final Path CACHE = Path.of("target", "test-data-cache").toAbsolutePath();

    static String brief(int steps, int noiseSeeds) {
        return """
                # Tiny study

                ## Objective
                Lower the validation bits per byte of a tiny char model.

                - metric: val_bpb

                ## Constraints
                - noise_seeds: %d
                - keep_sigmas: 2

                ## Search space
                - optimizer.lr: 0.0003 .. 0.03 log
                - optimizer.min_lr: 0.00001 .. 0.003 log
                - schedule.warmup: 0 .. 40
                - model.norm: layernorm, rmsnorm
                - model.position: learned, rope
                - model.dim: 16, 32, 48

                ## Baseline
                - data.source: %s
                - data.tokenizer: char
                - data.split: hash
                - model.layers: 1
                - model.heads: 2
                - model.dim: 32
                - model.seq: 32
                - batch.size: 8
                - optimizer.lr: 0.001
                - optimizer.min_lr: 0.0001
                - schedule.warmup: 10
                - eval.tokens: 2048
                - budget.kind: steps
                - budget.amount: %d
                """.formatted(noiseSeeds, TestText.shakespeare(), steps);
    }

    /**
     * A tiny study decided by the keep rule: one run per experiment, so a scripted conversation's run_experiment
     * calls map one to one onto runs of a budget counted in runs. (The decision procedures have tests of their own.)
     */
    static StudySettings settings(Path lab, String name, String researcher, String budget, boolean scaleCheck) {
        var b = Brief.parse(brief(20, 2), "test brief");
        return new StudySettings(name, b, b.startingRecipe(), researcher, StudyBudget.parse(budget),
                lab.resolve("studies").resolve(name), CACHE, 1, 1, false, scaleCheck, 0, DecisionSettings.keepRule());
    }

    static Study open(Store store, StudySettings settings) {
        return Study.open(settings, false, store, new InProcessExecutor(store), StudyListener.NONE);
    }
}
