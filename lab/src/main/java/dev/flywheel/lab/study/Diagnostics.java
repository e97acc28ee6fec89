package dev.flywheel.lab.study;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a run's curve and events say about it, for the researcher's playbook and for agents: is the loss still
 * falling fast at the end (under-trained), flat (capacity-limited), spiking, diverging, or far below the validation
 * loss (overfitting)? Every flag has its threshold here, and {@link #summary()} says it in one line.
 *
 * @param lossAt         mean training loss just before 10, 25, 50, 75 and 100% of the budget (NaN where unreached)
 * @param lateDrop       relative fall of the training loss over the last quarter: (L75 − L100) / L100
 * @param spikes         steps whose loss jumped above 1.5× the median of the 20 before (after the first 10%)
 * @param gap            validation loss − final training loss, in nats (NaN without a validation loss)
 * @param guardEvents    the guard's signs of instability: loss spikes, NaNs, divergence, attention-logit growth,
 *                       output-logit drift (its routine gradient clips are counted apart)
 * @param gradClips      gradient-norm spikes the guard clipped (ZClip); many of them are a sign of instability too
 * @param attentionGrowth the guard saw attention logits grow (the small-model instability QK-norm prevents)
 * @param logitDrift     the guard saw the output logits drift (what z-loss counters)
 */
public record Diagnostics(double[] lossAt, double lateDrop, int spikes, double gap, int guardEvents, int gradClips,
                          boolean attentionGrowth, boolean logitDrift, double tokensPerSecond, boolean stillFalling,
                          boolean plateaued, boolean spiky, boolean overfitting, boolean diverged, String summary) {

    public static final double[] MARKS = {0.10, 0.25, 0.50, 0.75, 1.00};
    /** Falling by more than this over the last quarter: the run would gain from more steps or a higher rate. */
    public static final double STILL_FALLING = 0.03;
    /** Falling by less than this over the last quarter: the model has learnt what it can at this size. */
    public static final double PLATEAU = 0.005;
    /** Validation loss this far (nats) above the training loss, and 5% above it: overfitting. */
    public static final double GAP = 0.10;

    public static final Diagnostics NONE = new Diagnostics(new double[MARKS.length], Double.NaN, 0, Double.NaN, 0, 0,
            false, false, Double.NaN, false, false, false, false, false, "no curve recorded");

    /** The guard's event kinds that mean the run was unstable (gradient clips alone do not). */
    static final java.util.Set<String> INSTABILITY = java.util.Set.of("spike", "nan", "divergence", "attn-logit-growth",
            "logit-drift");
    /** Gradient clips on more than this share of the steps make a run unstable too. */
    static final double CLIP_SHARE = 0.10;

    /**
     * @param valLoss    the final validation loss (nats), or NaN
     * @param eventKinds the kinds of the run's events
     * @param diverged   whether the run ended diverged
     */
    public static Diagnostics of(Curve curve, double valLoss, List<String> eventKinds, boolean diverged,
                                 double tokensPerSecond) {
        if (curve.isEmpty()) return NONE;
        double end = Math.min(1.0, curve.lastProgress());
        double[] at = new double[MARKS.length];
        for (int i = 0; i < MARKS.length; i++)
            at[i] = MARKS[i] <= end + 1e-9 ? curve.lossAt(MARKS[i] == 1.0 ? end : MARKS[i], 0.05) : Double.NaN;
        double final_ = curve.lossAt(end, 0.05);
        double l75 = curve.lossAt(0.75 * end, 0.05);
        double lateDrop = (l75 - final_) / final_;
        int spikes = spikes(curve);
        int guard = (int) eventKinds.stream().filter(INSTABILITY::contains).count();
        int clips = (int) eventKinds.stream().filter(k -> k.equals("grad-spike")).count();
        boolean attention = eventKinds.contains("attn-logit-growth");
        boolean drift = eventKinds.contains("logit-drift");
        double gap = Double.isFinite(valLoss) ? valLoss - final_ : Double.NaN;
        boolean falling = Double.isFinite(lateDrop) && lateDrop > STILL_FALLING;
        boolean plateau = Double.isFinite(lateDrop) && lateDrop < PLATEAU;
        boolean spiky = spikes > 0 || guard > 0 || clips > CLIP_SHARE * curve.points().size();
        boolean overfit = Double.isFinite(gap) && gap > GAP && gap > 0.05 * final_;
        boolean div = diverged || (Double.isFinite(at[0]) && Double.isFinite(final_) && final_ > at[0] * 1.05);
        var parts = new ArrayList<String>();
        var marks = new ArrayList<String>();
        for (int i = 0; i < MARKS.length; i++)
            if (Double.isFinite(at[i])) marks.add(String.format(Locale.ROOT, "%.3f", at[i]));
        parts.add("train loss " + String.join(" → ", marks) + " at " + markNames(at));
        if (Double.isFinite(lateDrop))
            parts.add(String.format(Locale.ROOT, "%s %.1f%% over the last quarter", lateDrop >= 0 ? "fell" : "rose",
                    Math.abs(lateDrop) * 100) + (falling ? " (still falling: under-trained)" : plateau ? " (flat)" : ""));
        if (spikes > 0) parts.add(spikes + (spikes == 1 ? " loss spike" : " loss spikes"));
        if (guard > 0) parts.add(guard + (guard == 1 ? " sign" : " signs") + " of instability from the guard"
                + (attention ? " (attention-logit growth)" : "") + (drift ? " (output-logit drift)" : ""));
        if (clips > 0) parts.add(clips + (clips == 1 ? " gradient clip" : " gradient clips") + " by the guard");
        if (Double.isFinite(gap))
            parts.add(String.format(Locale.ROOT, "validation − train loss %+.3f nats%s", gap, overfit ? " (overfitting)" : ""));
        if (div) parts.add("diverged");
        if (Double.isFinite(tokensPerSecond)) parts.add(String.format(Locale.ROOT, "%,.0f tokens/s", tokensPerSecond));
        return new Diagnostics(at, lateDrop, spikes, gap, guard, clips, attention, drift, tokensPerSecond, falling, plateau,
                spiky, overfit, div, String.join("; ", parts));
    }

    private static String markNames(double[] at) {
        var names = new ArrayList<String>();
        for (int i = 0; i < MARKS.length; i++)
            if (Double.isFinite(at[i])) names.add(String.format(Locale.ROOT, "%.0f", MARKS[i] * 100));
        return String.join("/", names) + "%";
    }

    /** Loss jumps above 1.5× the median of the previous 20 steps, counted once per episode, after the first 10%. */
    static int spikes(Curve curve) {
        var pts = curve.points();
        int count = 0;
        long lastSpike = Long.MIN_VALUE;
        double[] window = new double[20];
        for (int i = 20; i < pts.size(); i++) {
            var p = pts.get(i);
            if (p.progress() < 0.10 || !Double.isFinite(p.loss())) continue;
            int n = 0;
            for (int j = i - 20; j < i; j++) if (Double.isFinite(pts.get(j).loss())) window[n++] = pts.get(j).loss();
            if (n < 10) continue;
            var w = Arrays.copyOf(window, n);
            Arrays.sort(w);
            double median = w[n / 2];
            if (p.loss() > 1.5 * median) {
                if (p.step() > lastSpike + 20) count++;
                lastSpike = p.step();
            }
        }
        return count;
    }

    /** Final mean training loss (the last 5% of the budget), or NaN. */
    public double finalLoss() {
        return lossAt[lossAt.length - 1];
    }
}
