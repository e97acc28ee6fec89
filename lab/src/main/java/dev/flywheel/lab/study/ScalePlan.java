package dev.flywheel.lab.study;

import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.search.Dimension;
import dev.flywheel.lab.search.SearchSpace;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * What the scale check runs (docs/scale-check.md), as pure functions of the two recipes and the search space: two
 * larger sizes, the compute each gets, and per size and arm a learning-rate sweep on one seed plus a second seed at
 * the chosen rate.
 *
 * <p><b>Sizes.</b> Both arms are widened by the same factor, each from its own width (a kept width change stays a
 * difference at scale; a common absolute width would erase it and make the check compare a recipe with itself). The
 * factor is chosen on the starting recipe: its parameter ratio r = params(size) / params(study) is about √2 at the
 * middle size and at least 2 at the top, so with tokens growing with r the top size gets r² ≥ 4× the study's compute.
 * When no width works for both arms (heads must divide it, RoPE needs an even head size), both arms add the same
 * number of layers instead.
 *
 * <p><b>Rates.</b> Each arm is swept (×0.5, ×1, ×2 its rate, extended past an edge best: {@link LrSweep#next}) on
 * one seed, unless the two recipes differ in their
 * learning rates only: then each runs at its own rate, which is the finding under test.
 *
 * <p><b>Compute.</b> Both arms at a size get the same run budget, the study's scaled in its own unit by the start
 * arm's r: tokens and steps ×r (tokens in proportion to parameters), FLOPs and seconds ×r² (a run's FLOPs and time
 * grow with parameters × tokens). A run at the size costs about r² study runs of wall time.
 */
final class ScalePlan {

    /** The parameter ratio aimed at for the middle size, and the least one for the top size. */
    static final double MIDDLE = Math.sqrt(2), TOP = 2;

    private ScalePlan() {
    }

    /**
     * One arm at one size: the recipe at the study's base seed, its run budget scaled; its rate factors to sweep, and
     * every factor an edge extension of that sweep may reach ({@link LrSweep#reach}; ×1 alone when not swept).
     */
    record Arm(String name, Recipe recipe, List<Double> factors, List<Double> reach) {}

    /**
     * One larger size.
     *
     * @param label what grew: "width 192" or "6 layers"
     * @param ratio the start arm's parameter ratio r to the study's size
     */
    record Size(String label, double ratio, RunBudget budget, Arm start, Arm best) {

        /** Wall time of one run here, in study runs: parameters × tokens. */
        double runCost() {
            return ratio * ratio;
        }

        List<Arm> arms() {
            return List.of(start, best);
        }
    }

    /** What the check costs: runs, and wall time in study runs (each run weighted by its {@link Size#runCost}). */
    record Cost(int runs, double runEquivalents) {
        static final Cost NONE = new Cost(0, 0);
    }

    /** Runs per arm and size beyond the sweep: one fresh seed at the chosen rate. */
    static final int FRESH_SEEDS = 1;

    /** The two sizes, middle then top; empty when the recipes cannot be made larger by width or depth. */
    static List<Size> sizes(Recipe start, Recipe best, SearchSpace space) {
        long base = start.estimatedParameters();
        var middle = (Grown) null;
        var top = (Grown) null;
        for (double f : widthFactors(start, space)) {
            var g = grow(start, best, "model.dim", f);
            if (g == null) continue;
            double r = g.start.estimatedParameters() / (double) base;
            if (r > 1.05 && (middle == null || Math.abs(Math.log(r / MIDDLE)) < Math.abs(Math.log(middle.ratio(base) / MIDDLE))))
                middle = g;
        }
        for (double f : widthFactors(start, space)) {
            var g = grow(start, best, "model.dim", f);
            if (g != null && middle != null && g.ratio(base) >= TOP && g.ratio(base) > middle.ratio(base)) {
                top = g;
                break;
            }
        }
        if (middle == null || top == null) {
            middle = top = null;
            for (int add = 1; add <= 4 * start.model().layers() + 8 && top == null; add++) {
                var g = grow(start, best, "model.layers", add);
                if (g == null) continue;
                if (middle == null && g.ratio(base) >= MIDDLE * 0.9) middle = g;
                else if (middle != null && g.ratio(base) >= TOP) top = g;
            }
            if (middle == null || top == null) return List.of();
        }
        return List.of(size(start, middle, space), size(start, top, space));
    }

    private record Grown(String label, Recipe start, Recipe best) {
        double ratio(long base) {
            return start.estimatedParameters() / (double) base;
        }
    }

    /**
     * Width factors to try, ascending: k/8 for k = 9 … 32 (×1.125 … ×4), and the ratios of the space's listed widths
     * to the start's width, so a space with a list of widths gets its own widths when they fit.
     */
    static List<Double> widthFactors(Recipe start, SearchSpace space) {
        var out = new TreeSet<Double>();
        for (int k = 9; k <= 32; k++) out.add(k / 8.0);
        space.dimension("model.dim").ifPresent(d -> {
            if (d instanceof Dimension.Categorical c)
                for (var v : c.values()) {
                    double f = ((Number) v).doubleValue() / start.model().dim();
                    if (f > 1 && f <= 4) out.add(f);
                }
        });
        return List.copyOf(out);
    }

    /** Both recipes with {@code path} grown (width ×factor from each's own, or layers +factor); null when invalid. */
    private static Grown grow(Recipe start, Recipe best, String path, double factor) {
        var a = grown(start, path, factor);
        var b = grown(best, path, factor);
        if (a == null || b == null) return null;
        return new Grown(path.equals("model.dim") ? "width " + a.model().dim() + (a.model().dim() == b.model().dim()
                ? "" : " / " + b.model().dim()) : a.model().layers() + " layers", a, b);
    }

    private static Recipe grown(Recipe r, String path, double factor) {
        var m = r.model();
        if (path.equals("model.layers")) return tryWith(r, path, m.layers() + (int) factor);
        double w = m.dim() * factor;
        if (w != Math.rint(w)) return null;
        long d = (long) w;
        if (d % m.heads() != 0) return null;
        if (m.position() == Recipe.Model.Position.ROPE && (d / m.heads()) % 2 != 0) return null;
        return tryWith(r, path, d);
    }

    private static Recipe tryWith(Recipe r, String path, Object value) {
        try {
            return r.with(path, value);
        } catch (RuntimeException e) {
            return null; // not a valid recipe at this size
        }
    }

    private static Size size(Recipe start, Grown g, SearchSpace space) {
        double r = g.ratio(start.estimatedParameters());
        var budget = scaled(start.runBudget(), r);
        var budgetSettings = java.util.Map.of("budget.kind", budget.kind(), "budget.amount", budget.amount());
        var s = g.start.with(budgetSettings);
        var b = g.best.with(budgetSettings);
        // A finding of learning rates only: sweeping both arms would run one recipe twice and erase the finding, so
        // each arm runs at its own rate and the check asks whether the rate the study found carries to larger models.
        boolean ratesOnly = LrSweep.ratesOnly(s, b);
        return new Size(g.label, r, budget, arm("start", s, ratesOnly, space), arm("best", b, ratesOnly, space));
    }

    private static Arm arm(String name, Recipe r, boolean ratesOnly, SearchSpace space) {
        return ratesOnly ? new Arm(name, r, List.of(1.0), List.of(1.0))
                : new Arm(name, r, LrSweep.factors(r, space), LrSweep.reach(r, space));
    }

    /** The study's run budget at parameter ratio {@code r}: tokens and steps ×r, FLOPs and seconds ×r². */
    static RunBudget scaled(RunBudget b, double r) {
        return switch (b) {
            case RunBudget.Tokens t -> new RunBudget.Tokens(Math.round(t.tokens() * r));
            case RunBudget.Steps s -> new RunBudget.Steps(Math.round(s.steps() * r));
            case RunBudget.Flops f -> new RunBudget.Flops(f.flops() * r * r);
            case RunBudget.Seconds s -> new RunBudget.Seconds(s.seconds() * r * r);
        };
    }

    /**
     * The whole check's cost as planned: every arm's sweep and fresh seeds at every size. A sweep whose best is at an
     * edge adds up to {@link LrSweep#MAX_EXTENSIONS} runs an arm and size ({@link ScaleCheck}); they are not counted
     * here, since most sweeps need none and reserving them would hold back a third more of the budget in every study.
     */
    static Cost cost(List<Size> sizes) {
        int runs = 0;
        double eq = 0;
        for (var s : sizes)
            for (var a : s.arms()) {
                int n = a.factors().size() + FRESH_SEEDS;
                runs += n;
                eq += n * s.runCost();
            }
        return new Cost(runs, eq);
    }

    /** The cost of checking {@code best} against the study's start, or nothing when the sizes cannot be made. */
    static Cost cost(Recipe start, Recipe best, SearchSpace space) {
        return cost(sizes(start, best, space));
    }

    /** Seed index of the sweep: the first no run of the study's search used; the fresh seed is the next. */
    static int sweepSeed(StudyHistory h) {
        long base = h.start().seed();
        return (int) h.runs().stream().filter(r -> r.role() != dev.flywheel.lab.store.Role.SCALE
                        && r.role() != dev.flywheel.lab.store.Role.REPLICATION)
                .mapToLong(r -> r.recipe().seed() - base).max().orElse(-1) + 1;
    }

    /** Every run of the plan: sweep runs first (every size and arm), then the fresh seeds need the sweeps' choice. */
    static List<Recipe> sweepRuns(StudyHistory h, List<Size> sizes) {
        int seed = sweepSeed(h);
        var out = new ArrayList<Recipe>();
        for (var s : sizes)
            for (var a : s.arms())
                for (double f : a.factors()) out.add(h.withSeed(LrSweep.scaled(a.recipe(), f), seed));
        return out;
    }
}
