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
 * <p><b>Edge extension.</b> When a sweep scores best at its lowest or highest factor the arm's best rate may lie
 * beyond it, so the sweep goes on ({@link #next}): ÷2 below its lowest factor, ×2 above its highest, one run at a
 * time, until the best is interior, the space's rate range stops it, or it has added {@link #MAX_EXTENSIONS} factors
 * (so every factor lies within ×1/8 … ×8).
 *
 * <p>Scaling the rate scales every rate the recipe uses by the same factor: {@code optimizer.lr}, {@code
 * optimizer.min_lr} (so the schedule keeps its shape) and, under Muon, {@code optimizer.muon_lr}.
 */
public final class LrSweep {

    /** The factors of a sweep, ×1 in the middle. */
    public static final List<Double> FACTORS = List.of(0.5, 1.0, 2.0);

    /** The most factors an arm's sweep adds beyond {@link #FACTORS} when its best is at an edge. */
    public static final int MAX_EXTENSIONS = 2;

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
        return FACTORS.stream().filter(f -> allowed(r, space, f)).toList();
    }

    /**
     * Every factor a sweep of {@code r} may run, edge extensions included (×1/8 … ×8), that the search space's
     * {@code optimizer.lr} range allows; ascending, ×1 always.
     */
    public static List<Double> reach(Recipe r, SearchSpace space) {
        var out = new ArrayList<Double>();
        for (double f = 1.0 / (1 << MAX_EXTENSIONS) / 2; f <= 2.0 * (1 << MAX_EXTENSIONS); f *= 2)
            if (allowed(r, space, f)) out.add(f);
        return out;
    }

    /** Whether the space allows {@code r}'s rate scaled by {@code f} (×1 always). */
    private static boolean allowed(Recipe r, SearchSpace space, double f) {
        var dim = space.dimension("optimizer.lr");
        double lr = r.optimizer().lr() * f;
        return f == 1.0 || dim.isEmpty() || !(dim.get() instanceof Dimension.Numeric n)
                || (lr >= n.min() * (1 - 1e-9) && lr <= n.max() * (1 + 1e-9));
    }

    /**
     * The factor a sweep tries next, or empty when it is done. {@code factors} are those run so far (any order),
     * {@code metrics[i]} {@code factors.get(i)}'s (NaN: failed); {@code allowed} the factors the space allows
     * ({@link #reach}). While the best ({@link #best}) is at the lowest factor run, that ÷2; at the highest, that ×2;
     * never a factor not allowed or already run, nor more than {@link #MAX_EXTENSIONS} beyond {@link #FACTORS}. Empty
     * for a single rate (not a sweep), a best in the interior, or when every run failed.
     */
    public static java.util.OptionalDouble next(List<Double> factors, double[] metrics, java.util.Collection<Double> allowed) {
        var none = java.util.OptionalDouble.empty();
        if (factors.size() < 2 || java.util.Arrays.stream(metrics).noneMatch(Double::isFinite)) return none;
        if (factors.stream().filter(f -> !FACTORS.contains(f)).count() >= MAX_EXTENSIONS) return none;
        double f = factors.get(best(factors, metrics));
        double lo = factors.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double hi = factors.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        double next = f == lo ? lo / 2 : f == hi ? hi * 2 : Double.NaN;
        return Double.isNaN(next) || factors.contains(next) || !allowed.contains(next) ? none
                : java.util.OptionalDouble.of(next);
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
