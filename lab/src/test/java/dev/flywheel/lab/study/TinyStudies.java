package dev.flywheel.lab.study;

import dev.flywheel.data.TestText;
import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.exec.Executor;
import dev.flywheel.lab.search.Brief;
import dev.flywheel.lab.store.Store;

import java.nio.file.Path;

/** Tiny studies for tests: a char model of a few thousand parameters on Tiny Shakespeare, runs of a few dozen steps. */
public final class TinyStudies {

    private TinyStudies() {
    }

    public static Path shakespeare() {
        return TestText.shakespeare();
    }

    /** A tiny char-model recipe on Tiny Shakespeare: one layer, width 32, 8 × 32 tokens a step. */
    public static dev.flywheel.lab.recipe.Recipe recipe(int steps) {
        return dev.flywheel.lab.recipe.Recipe.defaults().with(java.util.Map.ofEntries(
                java.util.Map.entry("data.source", shakespeare().toString()),
                java.util.Map.entry("data.tokenizer", "char"), java.util.Map.entry("data.split", "hash"),
                java.util.Map.entry("model.layers", 1), java.util.Map.entry("model.heads", 2),
                java.util.Map.entry("model.dim", 32), java.util.Map.entry("model.seq", 32),
                java.util.Map.entry("batch.size", 8), java.util.Map.entry("schedule.warmup", 5),
                java.util.Map.entry("optimizer.lr", 0.003), java.util.Map.entry("optimizer.min_lr", 0.0003),
                java.util.Map.entry("eval.tokens", 4096),
                java.util.Map.entry("budget", java.util.Map.of("kind", "steps", "amount", steps))));
    }

    /** A brief for a tiny study: a 1-layer char model, 40 steps a run, a small search space. */
    public static String brief(int steps, int noiseSeeds) {
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
                - schedule.warmup: 20
                - eval.tokens: 4096
                - budget.kind: steps
                - budget.amount: %d
                """.formatted(noiseSeeds, shakespeare(), steps);
    }

    public static StudySettings settings(Path lab, String name, String brief, String researcher, String budget) {
        return settings(lab, name, brief, researcher, budget, 1);
    }

    public static StudySettings settings(Path lab, String name, String brief, String researcher, String budget,
                                         int concurrency) {
        return settings(lab, name, brief, researcher, budget, concurrency, null);
    }

    /** With {@code decisions} (null: the default for a new study, the paired procedure). */
    public static StudySettings settings(Path lab, String name, String brief, String researcher, String budget,
                                         int concurrency, DecisionSettings decisions) {
        var b = Brief.parse(brief, "test brief");
        return new StudySettings(name, b, b.startingRecipe(), researcher, StudyBudget.parse(budget),
                lab.resolve("studies").resolve(name), lab.resolve("cache"), concurrency, 1, true, true, 0, decisions);
    }

    public static Study open(Path lab, StudySettings s, boolean resume, Store store, Executor executor) {
        return Study.open(s, resume, store, executor, StudyListener.NONE);
    }
}
