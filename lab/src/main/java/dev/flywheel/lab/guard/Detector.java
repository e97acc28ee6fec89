package dev.flywheel.lab.guard;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.EventKind;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The guard's detection rules (docs/guard.md), a function of the sequence of {@link StepSignals} alone:
 * non-finite values; loss spikes by a robust z-score against the loss's level or a ratio to the recent maximum;
 * divergence (the smoothed loss back above its initial value); gradient-norm spikes by a z-score (ZClip); and
 * warnings of attention-logit growth and output-logit drift. Loss and gradient statistics are trusted after
 * {@code guard.warmup} steps.
 *
 * <p>An anomalous step does not move the statistics when the guard remediates it (the weights never see it);
 * when it only detects, the run goes on from that step, so the statistics follow it.
 */
public final class Detector {

    private static final int RECENT = 100;
    private static final int LEVEL = 9;
    private static final int INITIAL = 10;
    /** The deviation's floor as a fraction of the level (docs/guard.md: measured batch noise is 1–1.5% of it). */
    static final double FLOOR = 0.01;

    private final Recipe.Guard policy;
    private final boolean remediating;

    private long seen;
    private double lossMean = Double.NaN, lossDev, gradMean = Double.NaN, gradVar;
    private double lastLoss = Double.NaN;
    private double initialLoss = Double.NaN, smoothLoss = Double.NaN;
    private int initialCount;
    private final ArrayDeque<Double> recent = new ArrayDeque<>();
    private double attnWarnedAt, driftWarnedAt;

    public Detector(Recipe.Guard policy) {
        this.policy = policy;
        this.remediating = policy.policy() == Recipe.Guard.Policy.REMEDIATE;
    }

    /**
     * Everything the rules have learned, as it was at one moment: kept with each snapshot of the weights, so a
     * replay on the snapshot is judged against the loss of the snapshot's time, and a roll-back brings the
     * statistics back with the weights (else the level learned since, lower while the loss falls, makes every
     * batch after the roll-back look like a spike).
     */
    public record State(long seen, double lossMean, double lossDev, double gradMean, double gradVar, double lastLoss,
                        double initialLoss, double smoothLoss, int initialCount, double[] recent, double level,
                        double scale) {}

    /** A copy of the statistics now. */
    public State state() {
        return new State(seen, lossMean, lossDev, gradMean, gradVar, lastLoss, initialLoss, smoothLoss, initialCount,
                recent.stream().mapToDouble(Double::doubleValue).toArray(), recent.isEmpty() ? Double.NaN : level(),
                recent.isEmpty() ? Double.NaN : scale());
    }

    /** Puts the statistics back as they were in {@code s} (a roll-back); the warning thresholds stay raised. */
    public void restore(State s) {
        seen = s.seen();
        lossMean = s.lossMean();
        lossDev = s.lossDev();
        gradMean = s.gradMean();
        gradVar = s.gradVar();
        lastLoss = s.lastLoss();
        initialLoss = s.initialLoss();
        smoothLoss = s.smoothLoss();
        initialCount = s.initialCount();
        recent.clear();
        for (double l : s.recent()) recent.addLast(l);
    }

    /**
     * The findings of one step, in the order they are to be recorded: either a single {@link Finding.Anomaly}, or
     * any gradient spike and warnings.
     */
    public List<Finding> observe(StepSignals s) {
        double loss = s.loss(), gn = s.gradNorm();
        if (!Double.isFinite(loss) || !Double.isFinite(gn)) {
            return List.of(new Finding.Anomaly(EventKind.NAN, "non-finite", measured("loss", loss, "grad_norm", gn),
                    level(), scale()));
        }
        var found = new ArrayList<Finding>();
        if (seen >= policy.warmup()) {
            double level = level(), scale = scale();
            double z = (loss - level) / scale;
            double recentMax = recent.stream().mapToDouble(Double::doubleValue).max().orElse(Double.POSITIVE_INFINITY);
            boolean zRule = z > policy.lossZ(), ratioRule = loss > policy.lossRatio() * recentMax;
            Finding.Anomaly anomaly = null;
            if (zRule || ratioRule) {
                anomaly = new Finding.Anomaly(EventKind.SPIKE, zRule ? "loss-zscore" : "loss-ratio", measured("loss", loss,
                        "level", level, "deviation", scale, "z", z, "recent_max", recentMax, "ratio", loss / recentMax),
                        level, scale);
            } else if (Double.isFinite(initialLoss) && seen > 2L * policy.warmup() && smoothLoss > initialLoss) {
                anomaly = new Finding.Anomaly(EventKind.DIVERGENCE, "loss-above-initial",
                        measured("smoothed_loss", smoothLoss, "initial_loss", initialLoss), level, scale);
            }
            if (anomaly != null) {
                if (!remediating) update(loss, gn);
                return List.of(anomaly);
            }
            double std = Math.sqrt(Math.max(gradVar, 1e-12));
            double zg = (gn - gradMean) / std;
            if (zg > policy.gradZ()) {
                double limit = gradMean + policy.gradZ() * std;
                found.add(new Finding.GradSpike("grad-zscore", measured("grad_norm", gn, "mean", gradMean, "std", std,
                        "z", zg, "clipped_to", limit), limit));
                gn = limit; // the statistics see the clipped norm, as in ZClip
            }
        }
        warnings(s, found);
        update(loss, gn);
        return found;
    }

    private void warnings(StepSignals s, List<Finding> found) {
        double logit = s.maxAttnLogit();
        if (logit > policy.attnLogitMax() && logit > 2 * attnWarnedAt) {
            attnWarnedAt = logit;
            found.add(new Finding.Warning(EventKind.ATTN_LOGIT_GROWTH, "attn-logit-max", measured("max_attention_logit",
                    logit, "layer", s.attnLayer(), "threshold", policy.attnLogitMax()),
                    "attention logits are growing (layer " + s.attnLayer()
                            + "): a sign of the attention-entropy collapse; QK-norm prevents it"));
        }
        double drift = Math.abs(s.meanLogZ());
        if (drift > policy.logitDriftMax() && drift > 2 * driftWarnedAt) {
            driftWarnedAt = drift;
            found.add(new Finding.Warning(EventKind.LOGIT_DRIFT, "log-partition", measured("mean_log_z", s.meanLogZ(),
                    "threshold", policy.logitDriftMax()),
                    "output logits are drifting (|log Z| large): z-loss keeps them anchored"));
        }
    }

    private void update(double loss, double gn) {
        double a = policy.ema();
        seen++;
        if (Double.isNaN(lossMean)) {
            lossMean = loss;
            lossDev = 0;
            gradMean = gn;
            gradVar = 0;
        } else {
            // the deviation is of step-to-step changes, so the falling trend of a loss curve does not inflate it
            lossDev = a * lossDev + (1 - a) * Math.abs(loss - lastLoss);
            lossMean = a * lossMean + (1 - a) * loss;
            double d = gn - gradMean;
            gradMean = a * gradMean + (1 - a) * gn;
            gradVar = a * gradVar + (1 - a) * d * d;
        }
        lastLoss = loss;
        smoothLoss = Double.isNaN(smoothLoss) ? loss : 0.9 * smoothLoss + 0.1 * loss;
        if (initialCount < INITIAL) {
            initialLoss = initialCount == 0 ? loss : (initialLoss * initialCount + loss) / (initialCount + 1);
            initialCount++;
        }
        recent.addLast(loss);
        if (recent.size() > RECENT) recent.removeFirst();
    }

    /**
     * The loss's typical step-to-step noise as a standard deviation: the mean absolute difference of successive
     * losses is 2/√π·σ for independent normal noise, so σ ≈ 0.886·E|Δ|. Floored at {@value #FLOOR} of the level:
     * early on, while the model is still near uniform, batches differ little (0.3–0.5% of the loss) and the
     * deviation learned then is far below the 1–1.5% the noise grows to a few dozen steps later, so a level
     * falling fast and an unfloored deviation turned the first ordinary batches after one bad step into spikes at
     * z 13–39 (issue 22).
     */
    double scale() {
        double level = recent.isEmpty() ? lossMean : level();
        return Math.max(0.8862 * lossDev, FLOOR * Math.abs(level) + 1e-6);
    }

    /** The loss's current level: the median of the last few losses, which follows a falling curve without lag. */
    double level() {
        int n = Math.min(LEVEL, recent.size());
        double[] last = new double[n];
        var it = recent.descendingIterator();
        for (int i = 0; i < n; i++) last[i] = it.next();
        Arrays.sort(last);
        return n == 0 ? lossMean : last[n / 2];
    }

    static Map<String, Object> measured(Object... kv) {
        var m = new LinkedHashMap<String, Object>();
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            m.put((String) kv[i], v instanceof Double d ? Forensics.round(d) : v);
        }
        return m;
    }
}
