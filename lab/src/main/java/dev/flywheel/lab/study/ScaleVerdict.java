package dev.flywheel.lab.study;

import dev.flywheel.lab.decide.PairedNoise;
import dev.flywheel.lab.decide.StudentT;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The scale check's verdict as a pure function of plain values: per size, each arm's metric on each seed (both arms
 * at their own best rate), and the study's pooled paired noise.
 *
 * <p>Per size the paired gain is d_j = start_j − best_j (lower metrics are better, so a positive gain means the kept
 * changes still help). The check <b>held</b> when the mean gain is positive at every size and, at the top size, its
 * one-sided 95% lower bound ḡ − t₀.₉₅·σ_d/√n is above zero. σ_d pools the study's paired σ_d (many degrees of freedom,
 * measured on the same kind of pairs) with the scale pairs' own spread around each size's mean: two seeds a size give
 * one degree of freedom each, and a t bound on one degree of freedom (t = 6.3) would call almost nothing held, while
 * the study's σ_d alone would ignore that larger models may be noisier. Anything else <b>did not hold</b>, reversed
 * where a mean gain is not positive, else within the noise. A run that failed makes it <b>inconclusive</b>.
 */
final class ScaleVerdict {

    /** The one-sided level of the bound at the top size. */
    static final double LEVEL = 0.95;

    private ScaleVerdict() {
    }

    /** One size's metrics, seed by seed (NaN: the run failed or is missing). */
    record SizeResult(String label, double[] start, double[] best) {

        double[] gains() {
            var d = new double[start.length];
            for (int j = 0; j < d.length; j++) d[j] = start[j] - best[j];
            return d;
        }

        double meanGain() {
            return java.util.Arrays.stream(gains()).average().orElse(Double.NaN);
        }

        boolean complete() {
            return start.length > 0 && start.length == best.length
                    && java.util.Arrays.stream(gains()).allMatch(Double::isFinite);
        }
    }

    static ScaleCheck.Verdict judge(List<SizeResult> sizes, PairedNoise study) {
        if (sizes.isEmpty()) return new ScaleCheck.Verdict(ScaleCheck.Outcome.NOT_CHECKED, "not checked at scale");
        var failed = sizes.stream().filter(s -> !s.complete()).map(SizeResult::label).toList();
        if (!failed.isEmpty())
            return new ScaleCheck.Verdict(ScaleCheck.Outcome.INCONCLUSIVE, "inconclusive: a scale run failed or is "
                    + "missing at " + String.join(", ", failed) + ", so the best recipe is not exported");
        var noise = pooled(sizes, study);
        if (noise.dof() == 0)
            return new ScaleCheck.Verdict(ScaleCheck.Outcome.INCONCLUSIVE, "inconclusive: no paired noise to judge the "
                    + "gains against (one seed a size and no paired σ_d from the study)");
        var top = sizes.getLast();
        double bound = top.meanGain() - StudentT.quantile(LEVEL, noise.dof()) * noise.sigma() / Math.sqrt(top.start().length);
        var parts = new ArrayList<String>();
        for (var s : sizes)
            parts.add(String.format(Locale.ROOT, "at %s the best recipe gains %+.4f (mean of %d paired seeds)", s.label(),
                    s.meanGain(), s.start().length));
        var what = String.join("; ", parts) + String.format(Locale.ROOT, "; at the top size the one-sided %.0f%% lower "
                + "bound is %+.4f (σ_d %.4f on %d dof)", LEVEL * 100, bound, noise.sigma(), noise.dof());
        var reversed = sizes.stream().filter(s -> !(s.meanGain() > 0)).map(SizeResult::label).toList();
        if (!reversed.isEmpty())
            return new ScaleCheck.Verdict(ScaleCheck.Outcome.DID_NOT_HOLD, "did not hold: reversed at "
                    + String.join(", ", reversed) + " — " + what);
        if (!(bound > 0))
            return new ScaleCheck.Verdict(ScaleCheck.Outcome.DID_NOT_HOLD, "did not hold: within the noise at the top "
                    + "size — " + what);
        return new ScaleCheck.Verdict(ScaleCheck.Outcome.HELD, "held — " + what);
    }

    /** The study's paired noise plus each size's spread of gains around its mean (n − 1 dof a size). */
    static PairedNoise pooled(List<SizeResult> sizes, PairedNoise study) {
        var noise = study;
        for (var s : sizes) {
            var d = s.gains();
            double m = s.meanGain(), ss = 0;
            for (double x : d) ss += (x - m) * (x - m);
            noise = noise.plus(new PairedNoise(ss, d.length - 1));
        }
        return noise;
    }
}
