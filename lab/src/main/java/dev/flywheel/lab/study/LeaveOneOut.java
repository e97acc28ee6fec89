package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.recipe.RecipeException;
import dev.flywheel.lab.search.Change;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The best recipe without one kept change: that change's settings put back to the values they had before it was
 * kept (its parent's recipe), everything else as in the final best. A pure function of the history.
 *
 * <p>When a later kept change set the same setting again, putting back the earlier value undoes the later one too
 * on that setting: the ablation is of the setting's whole path from before the change, which is what removing the
 * change from the study would have left. When the result is the final best unchanged (a later change restored the
 * value) or not a valid recipe (a model the engine cannot build, say), there is nothing to run and {@link #recipe}
 * is null; {@link #problem} says why.
 *
 * @param trial   the kept experiment's id
 * @param change  the kept change in one line, as the journal words it
 * @param revert  the settings put back, with the values they had before the change
 * @param recipe  the best recipe without the change, under the study's base seed; null when there is nothing to run
 * @param problem why there is nothing to run, else null
 */
record LeaveOneOut(String trial, String change, Change revert, Recipe recipe, String problem) {

    /** One ablation per kept change of the final best, in the order they were kept. */
    static List<LeaveOneOut> of(StudyHistory h) {
        var st = Standing.of(h);
        var out = new ArrayList<LeaveOneOut>();
        for (var trial : st.kept()) {
            var first = h.trial(trial).getFirst();
            var parent = first.parent() == null ? null : h.run(first.parent()).orElse(null);
            var before = (parent == null ? h.start() : parent.recipe()).flatten();
            var after = first.recipe().flatten();
            var revert = new LinkedHashMap<String, Object>();
            // the change as stored; a run without one (older stores) by what differs from its parent, seed aside
            if (first.change() != null) for (var k : first.change().values().keySet()) revert.put(k, before.get(k));
            else before.forEach((k, v) -> {
                if (!k.equals("seed") && !java.util.Objects.equals(v, after.get(k))) revert.put(k, v);
            });
            var change = first.change() == null ? "?" : first.change().describe();
            out.add(make(trial, change, Change.of(revert), st.bestRecipe()));
        }
        return List.copyOf(out);
    }

    static LeaveOneOut make(String trial, String change, Change revert, Recipe best) {
        if (revert.isEmpty()) return new LeaveOneOut(trial, change, revert, null, "the change has no settings to put back");
        try {
            var recipe = best.with(revert.values());
            if (recipe.equals(best))
                return new LeaveOneOut(trial, change, revert, null, "a later kept change already put its settings back");
            return new LeaveOneOut(trial, change, revert, recipe, null);
        } catch (RecipeException e) {
            return new LeaveOneOut(trial, change, revert, null, "without it the recipe is invalid: " + e.getMessage());
        }
    }
}
