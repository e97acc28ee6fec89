package dev.flywheel.lab.scaling;

/**
 * One trained model for a scaling-law fit: its parameters N, the tokens D it trained on, its final loss, and the
 * compute it used (given, or 6ND).
 *
 * @param label a name for reports (a run id), or null
 */
public record ScalingPoint(double params, double tokens, double loss, double flops, String label) {

    public ScalingPoint {
        if (!(params > 0 && tokens > 0 && loss > 0 && flops > 0) || !Double.isFinite(params + tokens + loss + flops))
            throw new IllegalArgumentException("a scaling point needs positive, finite params, tokens, loss and flops");
    }

    /** A point whose compute is the law's own count, C = 6ND. */
    public static ScalingPoint of(double params, double tokens, double loss, String label) {
        return new ScalingPoint(params, tokens, loss, ScalingLaw.FLOPS_PER_PARAM_TOKEN * params * tokens, label);
    }
}
