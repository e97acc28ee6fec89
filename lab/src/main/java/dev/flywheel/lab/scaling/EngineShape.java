package dev.flywheel.lab.scaling;

import dev.flywheel.lab.recipe.Recipe;

import java.util.Map;

/**
 * The engine model closest to a parameter count: the recipe's own architecture (norm, positions, activation, MLP
 * ratio, vocabulary, context) with layers, heads and width chosen so that {@link Recipe#estimatedParameters} — every
 * parameter, embeddings included, the count the law was fitted in — is nearest the target. Width is a multiple of
 * the head size (32 up to width 256, else 64, as GPT-2's family keeps it), and the score trades a miss in size against
 * a departure from the recipe's width per layer, so a plan stays in the recipe's family.
 */
public final class EngineShape {

    /** The chosen shape and the recipe at it. */
    public record Shape(int layers, int heads, int width, long params, Recipe recipe) {}

    static final double ASPECT_WEIGHT = 0.3;

    private EngineShape() {
    }

    public static Shape nearest(Recipe base, double params) {
        var m = base.model();
        double aspect = (double) m.dim() / m.layers();
        Shape best = null;
        double bestScore = Double.POSITIVE_INFINITY;
        for (int layers = 1; layers <= 96; layers++)
            for (int width = 32; width <= 12288; width += 32) {
                int head = width <= 256 ? 32 : 64;
                if (width % head != 0) continue;
                double a = (double) width / layers;
                if (a < 8 || a > 512) continue; // outside every transformer family anyone trains
                if (Math.abs(Math.log(rough(base, layers, width) / params)) > 0.3) continue; // far off: skip building it
                var r = tryShape(base, layers, width / head, width);
                if (r == null) continue;
                long p = r.estimatedParameters();
                // a miss in size costs more than a change of aspect (10% in size ≈ 40% in width per layer): a ladder's
                // sizes stay one family, growing in depth and width together, rather than alternating between them
                double score = Math.abs(Math.log(p / params)) + ASPECT_WEIGHT * Math.abs(Math.log(a / aspect));
                if (score < bestScore) {
                    bestScore = score;
                    best = new Shape(layers, width / head, width, p, r);
                }
            }
        if (best == null)
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "no model of this recipe's architecture "
                    + "comes near %,d parameters (its vocabulary of %d alone needs more at width 32); plan for more compute",
                    (long) params, base.data().vocab()));
        return best;
    }

    /** Matrices and embeddings only: enough to skip shapes far from the target before building their recipes. */
    private static double rough(Recipe base, int layers, int width) {
        var m = base.model();
        double mlp = m.activation() == Recipe.Model.Activation.SWIGLU ? 3 : 2;
        return layers * (4 + mlp * m.mlpRatio()) * width * (double) width
                + (m.tiedHead() ? 1 : 2) * (double) base.data().vocab() * width;
    }

    private static Recipe tryShape(Recipe base, int layers, int heads, int width) {
        try {
            return base.with(Map.of("model.layers", layers, "model.heads", heads, "model.dim", width));
        } catch (RuntimeException e) {
            return null; // not buildable under the recipe's rules (RoPE's even head size, ...)
        }
    }
}
