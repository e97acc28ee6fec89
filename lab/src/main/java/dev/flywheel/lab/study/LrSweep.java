package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.Dimension;
import dev.flywheel.lab.search.SearchSpace;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The learning-rate mini-sweep that judges a recipe at its own best rate: the recipe at ×0.5, ×1 and ×2 its learning
 * rate on one seed, the lowest metric chosen. A change of optimizer, width, depth or batch moves the best rate, so
 * comparing two such recipes at one shared rate measures the rate as much as the change; the study sweeps both arms
 * of such an experiment, and both arms of the scale check at every size. Pure functions of plain values.
 *
 * <p>Scaling the rate scales every rate the recipe uses by the same factor: {@code optimizer.lr}, {@code
 * optimizer.min_lr} (so the schedule keeps its shape) and, under Muon, {@code optimizer.muon_lr}.
 */
public final class LrSweep {

    /** The factors of a sweep, ×1 in the middle. */
    public static final List<Double> FACTORS = List.of(0.5, 1.0, 2.0);

    /** Settings whose change moves the best learning rate: optimizer, width, depth, batch. */
    public static final Set<String> STRUCTURAL = Set.of("optimizer.name", "model.dim", "model.layers", "batch.size",
            "batch.accum");

    private LrSweep() {
    }

    /** Whether a change touches a structural setting, so it is judged at its own best learning rate. */
    public static boolean structural(Change change) {
        return change != null && change.values().keySet().stream().anyMatch(STRUCTURAL::contains);
    }

    /** The settings a sweep scales. */
    static final Set<String> RATES = Set.of("optimizer.lr", "optimizer.min_lr", "optimizer.muon_lr");

    /**
     * Whether two recipes differ in their learning rates only (seeds aside). Sweeping both of them would run the same
     * recipes twice and compare a recipe with itself, so a check of such a finding runs each at its own rate.
     */
    public static boolean ratesOnly(Recipe a, Recipe b) {
        var x = a.flatten();
        var y = b.flatten();
        for (var k : x.keySet())
            if (!k.equals("seed") && !RATES.contains(k) && !java.util.Objects.equals(x.get(k), y.get(k))) return false;
        return true;
    }

    /** The settings that scale {@code r}'s learning rates by {@code factor}. */
    public static Map<String, Object> scaling(Recipe r, double factor) {
        var o = r.optimizer();
        var out = new LinkedHashMap<String, Object>();
        out.put("optimizer.lr", o.lr() * factor);
        out.put("optimizer.min_lr", o.minLr() * factor);
        if (o.name() == Recipe.Optimizer.Algorithm.MUON) out.put("optimizer.muon_lr", o.muonLr() * factor);
        return out;
    }

    /** {@code r} with its learning rates scaled by {@code factor}. */
    public static Recipe scaled(Recipe r, double factor) {
        return factor == 1.0 ? r : r.with(scaling(r, factor));
    }

    /**
     * The sweep's factors whose learning rate the search space allows for {@code r} (every factor when the space
     * leaves the rate free); ×1 always.
     */
    public static List<Double> factors(Recipe r, SearchSpace space) {
        var dim = space.dimension("optimizer.lr");
        var out = new ArrayList<Double>();
        for (double f : FACTORS) {
            double lr = r.optimizer().lr() * f;
            boolean allowed = f == 1.0 || dim.isEmpty() || !(dim.get() instanceof Dimension.Numeric n)
                    || (lr >= n.min() * (1 - 1e-9) && lr <= n.max() * (1 + 1e-9));
            if (allowed) out.add(f);
        }
        return out;
    }

    /**
     * The index of the best of a sweep's metrics (lower is better): the lowest finite one, ×1's on a tie; the
     * middle when none is finite. {@code metrics[i]} belongs to {@code factors.get(i)}; NaN marks a run that failed.
     */
    public static int best(List<Double> factors, double[] metrics) {
        int best = -1;
        for (int i = 0; i < metrics.length; i++) {
            if (!Double.isFinite(metrics[i])) continue;
            if (best < 0 || metrics[i] < metrics[best] || (metrics[i] == metrics[best] && factors.get(i) == 1.0)) best = i;
        }
        return best >= 0 ? best : Math.max(0, factors.indexOf(1.0));
    }
}
