package dev.flywheel.lab.guard;

import dev.flywheel.engine.Trainer;

/**
 * One step as the guard's rules see it: plain numbers, so the rules can be fed synthetic runs in tests.
 *
 * @param maxAttnLogit the largest attention logit over all layers (NaN if unknown)
 * @param attnLayer    the layer it is in (-1 if unknown)
 * @param meanLogZ     the mean log-partition of the output logits (NaN if unknown)
 */
public record StepSignals(long step, double loss, double gradNorm, double maxAttnLogit, int attnLayer, double meanLogZ) {

    /** A step with only a loss and a gradient norm. */
    public static StepSignals of(long step, double loss, double gradNorm) {
        return new StepSignals(step, loss, gradNorm, Double.NaN, -1, Double.NaN);
    }

    static StepSignals of(Trainer.StepStats s) {
        double max = Double.NEGATIVE_INFINITY;
        int layer = -1;
        for (int l = 0; l < s.maxAttnLogits().length; l++) {
            if (s.maxAttnLogits()[l] > max) {
                max = s.maxAttnLogits()[l];
                layer = l;
            }
        }
        return new StepSignals(s.step(), s.loss(), s.gradNorm(), layer < 0 ? Double.NaN : max, layer, s.meanLogSumExp());
    }
}
