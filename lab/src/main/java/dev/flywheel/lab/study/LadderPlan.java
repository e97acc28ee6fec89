package dev.flywheel.lab.study;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.scaling.EngineShape;
import dev.flywheel.lab.scaling.ScalingLaw;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a scaling ladder trains, as a pure function of a recipe and a target compute (docs/scaling.md).
 *
 * <p><b>The target</b> is the run to predict: C = 6ND FLOPs at {@code tokensPerParam} tokens per parameter, so
 * N_t = √(C / 6ρ) and D_t = ρ N_t, at the engine shape nearest N_t ({@link EngineShape}).
 *
 * <p><b>The rungs</b> it is predicted from: {@code sizes} smaller shapes, N_t/2, N_t/4, … (each ×{@code sizeStep}
 * below the last), each trained on {@code tokenCounts} token counts D_t, D_t/2, D_t/4, … So the largest rung has half
 * the target's compute, every rung less, and the law is fitted on a grid that varies size and data apart (a ladder at
 * one tokens-per-parameter ratio cannot tell α from β).
 *
 * <p><b>Learning rates: swept, not scaled.</b> Each rung size is swept at ×0.5, ×1 and ×2 the recipe's rates (past an
 * edge best, {@link LrSweep#next}) on its {@link #sweepTokens} token count, and all its token counts then run at the
 * rate it chose. A scaling rule (μP's 1/width) holds for a parametrisation this engine does not use, and the study of
 * issue 15 found the start recipe's best rate moving up, not down, with width at these budgets; a law fitted on
 * untuned small runs bends (their loss is too high, most at the sizes furthest from where the recipe was tuned). The
 * target is not swept — that would pay for the run three times before predicting it — but runs at the rate
 * extrapolated from the rungs' choices by a power law in N ({@link #targetFactor}).
 */
public record LadderPlan(Recipe target, List<Size> sizes, int sweepTokens) {

    /**
     * @param compute        the target's training compute C = 6ND, in FLOPs
     * @param tokensPerParam ρ = D/N at the target
     */
    public record Settings(double compute, double tokensPerParam, int sizes, int tokenCounts, double sizeStep) {
        public Settings {
            if (!(compute > 0) || !Double.isFinite(compute)) throw new LabException("the ladder's compute must be a positive number of FLOPs");
            if (!(tokensPerParam > 0)) throw new LabException("tokens per parameter must be above zero");
            if (sizes < 2 || sizes > 8) throw new LabException("a ladder needs 2 to 8 rung sizes (got " + sizes + ")");
            if (tokenCounts < 1 || tokenCounts > 6) throw new LabException("a ladder needs 1 to 6 token counts per size (got " + tokenCounts + ")");
            if (!(sizeStep > 1)) throw new LabException("the size step must be above 1");
        }
    }

    /** One rung size: its recipe (base seed and rates, no budget yet), and its token counts, largest first. */
    public record Size(Recipe recipe, long params, List<Long> tokens) {}

    public static LadderPlan of(Recipe base, Settings s) {
        double nt = Math.sqrt(s.compute() / (ScalingLaw.FLOPS_PER_PARAM_TOKEN * s.tokensPerParam()));
        var targetShape = EngineShape.nearest(base, nt);
        long dt = Math.round(s.compute() / (ScalingLaw.FLOPS_PER_PARAM_TOKEN * targetShape.params()));
        var sizes = new ArrayList<Size>();
        long previous = targetShape.params();
        for (int j = 1; j <= s.sizes(); j++) {
            var shape = EngineShape.nearest(base, nt / Math.pow(s.sizeStep(), j));
            if (shape.params() >= previous) continue; // the smallest shapes run out: two targets met the same shape
            previous = shape.params();
            var tokens = new ArrayList<Long>();
            for (int k = 0; k < s.tokenCounts(); k++) tokens.add(Math.max(1, Math.round(dt / Math.pow(2, k))));
            sizes.add(new Size(shape.recipe(), shape.params(), List.copyOf(tokens)));
        }
        if (sizes.size() < 2)
            throw new LabException("the compute " + s.compute() + " leaves room for fewer than two model sizes below the "
                    + "target; give more compute");
        if (sizes.size() * s.tokenCounts() <= dev.flywheel.lab.scaling.LawFit.PARAMETERS)
            throw new LabException("the ladder would fit the law's " + dev.flywheel.lab.scaling.LawFit.PARAMETERS
                    + " parameters on only " + sizes.size() * s.tokenCounts() + " rungs (" + sizes.size() + " sizes × "
                    + s.tokenCounts() + " token counts); ask for more sizes or token counts");
        return new LadderPlan(withTokens(targetShape.recipe(), dt), List.copyOf(sizes), s.tokenCounts() / 2);
    }

    /** The recipe with a token budget. */
    static Recipe withTokens(Recipe r, long tokens) {
        return r.with(Map.of("budget.kind", "tokens", "budget.amount", tokens));
    }

    /** A size's recipe at its k-th token count and a rate factor. */
    static Recipe rung(Size s, int k, double factor) {
        return LrSweep.scaled(withTokens(s.recipe(), s.tokens().get(k)), factor);
    }

    /**
     * The target's rate factor: a least-squares line through (ln N, ln factor) of the rungs' chosen factors,
     * evaluated at the target's N, and kept within ×2 of the factors chosen (no wild extrapolation from a noisy slope).
     */
    static double targetFactor(List<Long> params, List<Double> factors, long targetParams) {
        int n = params.size();
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += Math.log(params.get(i)) / n;
            my += Math.log(factors.get(i)) / n;
        }
        double sxy = 0, sxx = 0;
        for (int i = 0; i < n; i++) {
            sxy += (Math.log(params.get(i)) - mx) * (Math.log(factors.get(i)) - my);
            sxx += Math.pow(Math.log(params.get(i)) - mx, 2);
        }
        double slope = sxx == 0 ? 0 : sxy / sxx;
        double f = Math.exp(my + slope * (Math.log(targetParams) - mx));
        double lo = factors.stream().mapToDouble(Double::doubleValue).min().orElse(1) / 2;
        double hi = factors.stream().mapToDouble(Double::doubleValue).max().orElse(1) * 2;
        // rounded to 3 significant digits so the target's recipe (and its hash, which resumes it) is stable
        return Double.parseDouble(String.format(java.util.Locale.ROOT, "%.3g", Math.clamp(f, lo, hi)));
    }

    /** The compute of every run planned before the target (sweeps not counted): its 6ND. */
    double rungCompute() {
        double c = 0;
        for (var s : sizes) for (long d : s.tokens()) c += ScalingLaw.FLOPS_PER_PARAM_TOKEN * s.params() * d;
        return c;
    }

    /** Runs the plan queues at the most: each size's sweep with its edge extensions, its other token counts, the target. */
    public int plannedRuns() {
        return sizes.size() * (LrSweep.FACTORS.size() + LrSweep.MAX_EXTENSIONS + sizes.getFirst().tokens().size() - 1) + 1;
    }

    long targetParams() {
        return target.estimatedParameters();
    }

    long targetTokens() {
        return Math.round(target.budget().amount());
    }
}
