package dev.flywheel.lab.study;

import dev.flywheel.data.Progress;
import dev.flywheel.data.Split;
import dev.flywheel.data.prep.DataCache;
import dev.flywheel.engine.Checkpoint;
import dev.flywheel.engine.Parallel;
import dev.flywheel.lab.Metric;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RecipeRunner;

import java.nio.file.Path;

/**
 * The study's one look at the held-out test split: the best run's own checkpoint — the very model whose validation
 * metric won — evaluated on the test split's yardstick (as many fixed tokens as validation scores, laid out the same
 * way, whatever the recipe's context). Nothing a researcher sees depends on it.
 */
final class HeldOutTest {

    private HeldOutTest() {
    }

    /** The metric on the test split, or null when the data has no test split (a contiguous split, for one). */
    static Double evaluate(Recipe recipe, Path checkpoint, DataCache cache, int threads, Metric metric) {
        var data = cache.prepare(recipe.data().source(), RecipeRunner.prepSettings(recipe.data()), Progress.none()).data();
        if (data.tokens(Split.TEST) <= 1) return null;
        try (var pool = new Parallel(threads)) {
            var loaded = Checkpoint.load(checkpoint, pool);
            var yardstick = RecipeRunner.yardstick(recipe, data.loader(Split.TEST, 0));
            var ev = yardstick.score(yardstick.evaluator(loaded.model(), data.tokenizer().tokenBytes()), 0).result();
            return metric == Metric.VAL_LOSS ? ev.loss() : ev.bitsPerByte();
        }
    }
}
