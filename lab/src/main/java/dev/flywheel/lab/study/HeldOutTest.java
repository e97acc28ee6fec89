package dev.flywheel.lab.study;

import dev.flywheel.data.Progress;
import dev.flywheel.data.Split;
import dev.flywheel.data.prep.DataCache;
import dev.flywheel.engine.Checkpoint;
import dev.flywheel.engine.Evaluator;
import dev.flywheel.engine.Parallel;
import dev.flywheel.lab.Metric;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RecipeRunner;

import java.nio.file.Path;

/**
 * The study's one look at the held-out test split: the best run's own checkpoint — the very model whose validation
 * metric won — evaluated on the first windows of the test split, as many as the validation set has. Nothing a
 * researcher sees depends on it.
 */
final class HeldOutTest {

    private HeldOutTest() {
    }

    /** The metric on the test split, or null when the data has no test split (a contiguous split, for one). */
    static Double evaluate(Recipe recipe, Path checkpoint, DataCache cache, int threads, Metric metric) {
        var data = cache.prepare(recipe.data().source(), RecipeRunner.prepSettings(recipe.data()), Progress.none()).data();
        int seq = recipe.model().seq();
        if (data.tokens(Split.TEST) <= seq + 1) return null;
        try (var pool = new Parallel(threads)) {
            var loaded = Checkpoint.load(checkpoint, pool);
            var evaluator = new Evaluator(loaded.model(), RecipeRunner.EVAL_BATCH, seq, data.tokenizer().tokenBytes());
            var ev = evaluator.evaluate(0, RecipeRunner.evalWindows(data.loader(Split.TEST, 0)), recipe.eval().batches());
            return metric == Metric.VAL_LOSS ? ev.loss() : ev.bitsPerByte();
        }
    }
}
