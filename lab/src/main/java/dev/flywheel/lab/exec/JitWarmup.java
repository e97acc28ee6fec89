package dev.flywheel.lab.exec;

import dev.flywheel.engine.BatchSource;
import dev.flywheel.engine.Evaluator;
import dev.flywheel.engine.Gpt;
import dev.flywheel.engine.Parallel;
import dev.flywheel.engine.TrainBudget;
import dev.flywheel.engine.TrainConfig;
import dev.flywheel.engine.Trainer;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RecipeRunner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Warms a fresh JVM's compiler up before a run's clock starts. Until C2 has compiled the Vector API kernels they
 * run in the interpreter, tens of times slower: in a new JVM the first steps of a run can eat most of a short
 * wall-clock budget, so runs in child JVMs would lose to a run in a warm one for no reason of their recipe. This
 * trains a throwaway copy of the recipe's model on random tokens (and evaluates it once) until its step time
 * settles, or a time limit passes; the run then starts with its kernels compiled.
 */
final class JitWarmup {

    private JitWarmup() {
    }

    /** What the warm-up did, for the run's log. */
    record Report(int steps, double seconds, double firstStep, double lastStep) {
        String describe() {
            return String.format(Locale.ROOT, "JIT warm-up: %d steps in %.1f s, step time %.3f s → %.3f s", steps, seconds,
                    firstStep, lastStep);
        }
    }

    static Report run(Recipe recipe, int vocab, int threads, double maxSeconds) {
        long t0 = System.nanoTime();
        // First a miniature of the model — one layer, one sequence a step, the same widths and variants — whose steps
        // are quick even interpreted, so the kernels reach the compiler (with the branches the real shapes take) in a
        // fraction of the time one interpreted step of the real model takes.
        var mini = recipe.with(java.util.Map.of("model.layers", 1, "batch.size", 1, "batch.accum", 1));
        var first = steps(mini, vocab, threads, t0, maxSeconds / 2, new ArrayList<>(), false);
        var times = new ArrayList<Double>();
        steps(recipe, vocab, threads, t0, maxSeconds, times, true);
        return new Report(first + times.size(), (System.nanoTime() - t0) / 1e9, times.isEmpty() ? Double.NaN : times.getFirst(),
                times.isEmpty() ? Double.NaN : times.getLast());
    }

    /** Trains the recipe's model on random tokens until its step time settles or the deadline; returns the steps. */
    private static int steps(Recipe recipe, int vocab, int threads, long t0, double maxSeconds, List<Double> times,
                             boolean fastIsSettled) {
        var cfg = recipe.modelConfig(vocab);
        var base = RecipeRunner.trainConfig(recipe);
        var tc = new TrainConfig(base.batch(), base.seq(), 1, base.optimizer(), base.schedule(),
                new TrainBudget.Steps(1_000_000), 0, 1, recipe.seed());
        try (var pool = new Parallel(threads)) {
            var model = new Gpt(cfg, pool);
            model.initialize(recipe.seed());
            var rng = new SplittableRandom(recipe.seed());
            BatchSource random = (step, micro, batch, seq, inputs, targets) -> {
                for (int i = 0; i < batch * seq; i++) {
                    inputs[i] = rng.nextInt(vocab);
                    targets[i] = rng.nextInt(vocab);
                }
            };
            var trainer = new Trainer(model, tc, random, null, null);
            while ((System.nanoTime() - t0) / 1e9 < maxSeconds) {
                long s = System.nanoTime();
                trainer.step();
                times.add((System.nanoTime() - s) / 1e9);
                if (settled(times, fastIsSettled)) break;
            }
            var ones = new int[vocab];
            Arrays.fill(ones, 1);
            new Evaluator(model, dev.flywheel.lab.run.Yardstick.BATCH, tc.seq(), ones).evaluate(0, random, 1);
        }
        return times.size();
    }

    /**
     * The miniature: at least 30 steps (for its loops to be compiled at all), the last three within 20% of the fastest.
     * The real model: at least three steps, the last two within 30% of the fastest — or steps so fast (under 10 ms)
     * that what is left to compile cannot matter to a budget.
     */
    static boolean settled(List<Double> times, boolean real) {
        int n = times.size();
        if (n >= (real ? 2000 : 300)) return true;
        double min = times.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        if (real) {
            if (n < 3) return false;
            if (times.getLast() < 0.01) return true;
            return times.get(n - 1) <= 1.3 * min && times.get(n - 2) <= 1.3 * min;
        }
        if (n < 30) return false;
        for (int i = n - 3; i < n; i++) if (times.get(i) > 1.2 * min) return false;
        return true;
    }
}
