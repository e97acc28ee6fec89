package dev.flywheel.engine;

/**
 * Optimizer settings. AdamW updates every parameter, or, with {@code muon}, only embeddings, the head and vectors,
 * while Muon updates the hidden weight matrices. Weight decay is decoupled and applies to matrices and embeddings,
 * never to biases, norm weights or gains.
 *
 * @param lr           peak AdamW learning rate
 * @param minLrRatio   floor of the schedule as a fraction of the peak (min_lr / lr)
 * @param gradClip     global gradient-norm clip (0 = off)
 * @param muonLr       peak Muon learning rate
 * @param muonMomentum Muon's momentum (Nesterov)
 */
public record OptimizerConfig(Kind kind, float lr, float minLrRatio, float beta1, float beta2, float eps,
                              float weightDecay, float gradClip, float muonLr, float muonMomentum) {

    public enum Kind { ADAMW, MUON }

    public OptimizerConfig {
        require(lr > 0 && Float.isFinite(lr), "learning rate must be a positive number (got " + lr + ")");
        require(minLrRatio >= 0 && minLrRatio <= 1, "min_lr must be between 0 and lr");
        require(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1) (got " + beta1 + ")");
        require(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1) (got " + beta2 + ")");
        require(eps > 0, "eps must be positive");
        require(weightDecay >= 0, "weight decay must be >= 0 (got " + weightDecay + ")");
        require(gradClip >= 0, "grad clip must be >= 0 (0 turns it off)");
        require(muonLr > 0, "muon learning rate must be positive");
        require(muonMomentum >= 0 && muonMomentum < 1, "muon momentum must be in [0, 1)");
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /** nanoGPT's CPU Shakespeare settings: lr 1e-3 → 1e-4, betas (0.9, 0.99), weight decay 0.1, clip 1.0. */
    public static OptimizerConfig defaults() {
        return new OptimizerConfig(Kind.ADAMW, 1e-3f, 0.1f, 0.9f, 0.99f, 1e-8f, 0.1f, 1.0f, 0.02f, 0.95f);
    }
}
