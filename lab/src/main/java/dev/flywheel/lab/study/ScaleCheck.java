package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.search.Dimension;
import dev.flywheel.lab.search.SearchSpace;
import dev.flywheel.lab.store.RunRecord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The scale check: do the kept changes hold at a larger model? The starting recipe and the best recipe, each one
 * size up ({@link #scaleUp}), trained under the same run budget; {@link #judge} compares the two results against the
 * noise floor and the bar the study keeps changes by. The verdict is a pure function of the two runs and the
 * standing before them, so it is recomputed from the history, never read back from the journal.
 */
final class ScaleCheck {

    private ScaleCheck() {
    }

    enum Outcome { HELD, HELD_PARTLY, DID_NOT_HOLD, INCONCLUSIVE }

    /** The verdict and its sentence for the journal. */
    record Verdict(Outcome outcome, String text) {}

    /**
     * @param start the starting recipe one size up (the first scale run)
     * @param best  the best recipe one size up (the second)
     */
    static Verdict judge(RunRecord start, RunRecord best, Standing before, double keepSigmas) {
        boolean ok = start.status() == RunStatus.FINISHED && best.status() == RunStatus.FINISHED && start.metric() != null
                && best.metric() != null;
        if (!ok) return new Verdict(Outcome.INCONCLUSIVE, "inconclusive: a scale run "
                + (start.status() != RunStatus.FINISHED ? start.status().id() : best.status().id()));
        double gain = start.metric() - best.metric();
        double z = gain / before.noise().used();
        double smallGain = before.baselineMetric() - before.bestMetric();
        var what = String.format(Locale.ROOT, "one size up, the best recipe scores %.4f against the starting recipe's "
                + "%.4f (%+.4f, %.1fσ; at the study's size the gain was %.4f)", best.metric(), start.metric(), -gain, z, smallGain);
        if (z > keepSigmas) return new Verdict(Outcome.HELD, "held — " + what);
        if (gain > 0) return new Verdict(Outcome.HELD_PARTLY, "held only partly — " + what + ", within the noise at the larger size");
        return new Verdict(Outcome.DID_NOT_HOLD, "did not hold — " + what);
    }

    /**
     * One size up: the next larger model.dim the search space allows (that the heads divide, and for RoPE into
     * even head sizes), else two more layers; null when neither is a valid recipe.
     */
    static Recipe scaleUp(Recipe r, SearchSpace space) {
        var m = r.model();
        var dims = new ArrayList<Long>();
        space.dimension("model.dim").ifPresent(d -> {
            if (d instanceof Dimension.Categorical c) c.values().forEach(v -> dims.add(((Number) v).longValue()));
        });
        if (dims.isEmpty()) for (long d : new long[]{64, 96, 128, 192, 256, 384, 512, 768}) dims.add(d);
        dims.sort(null);
        for (long d : dims) {
            if (d <= m.dim() || d % m.heads() != 0) continue;
            if (m.position() == Recipe.Model.Position.ROPE && (d / m.heads()) % 2 != 0) continue;
            try {
                return r.with("model.dim", d);
            } catch (RuntimeException e) {
                // not a valid recipe at this size: try the next
            }
        }
        try {
            return r.with("model.layers", m.layers() + 2);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The settings that differ between two recipes, as a change. */
    static Map<String, Object> change(Recipe from, Recipe to) {
        var a = from.flatten();
        var out = new LinkedHashMap<String, Object>();
        to.flatten().forEach((k, v) -> {
            if (!Objects.equals(a.get(k), v)) out.put(k, v);
        });
        return out;
    }
}
