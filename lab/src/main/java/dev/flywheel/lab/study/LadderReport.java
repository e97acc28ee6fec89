package dev.flywheel.lab.study;

import dev.flywheel.lab.scaling.FitFiles;
import dev.flywheel.lab.scaling.FitReport;
import dev.flywheel.lab.scaling.Percentiles;
import dev.flywheel.lab.scaling.ScalingLaw;
import dev.flywheel.lab.scaling.ScalingPoint;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a ladder found: the law fitted on its rungs, the target's predicted loss (with the bootstrap's 95% interval)
 * against the loss it reached, and each size's sweep.
 *
 * @param actual the target as trained, or null when it did not finish
 */
public record LadderReport(FitReport fit, long targetParams, long targetTokens, double targetFactor, double predicted,
                           double[] predictedInterval, ScalingPoint actual, List<Sweep> sweeps, double computeSpan,
                           FitFiles files) {

    /** One rung size's sweep: rate factor → metric, and the factor chosen. */
    public record Sweep(long params, Map<Double, Double> metrics, double chosen) {}

    static LadderReport of(LadderPlan plan, FitReport fit, List<TreeMap<Double, Double>> sweeps, double targetFactor,
                           ScalingPoint actual, FitFiles files) {
        long n = plan.targetParams(), d = plan.targetTokens();
        var law = fit.law();
        var interval = Percentiles.interval95(fit.fit().bootstrap().stream().mapToDouble(l -> l.loss(n, d)).toArray());
        var out = new ArrayList<Sweep>();
        for (int i = 0; i < sweeps.size(); i++) {
            var m = sweeps.get(i);
            var f = List.copyOf(m.keySet());
            out.add(new Sweep(plan.sizes().get(i).params(), m, f.get(LrSweep.best(f, m.values().stream().mapToDouble(Double::doubleValue).toArray()))));
        }
        double smallest = fit.points().stream().mapToDouble(ScalingPoint::flops).min().orElse(Double.NaN);
        double span = ScalingLaw.FLOPS_PER_PARAM_TOKEN * n * d / smallest;
        return new LadderReport(fit, n, d, targetFactor, law.loss(n, d), interval, actual, List.copyOf(out), span, files);
    }

    /** (predicted − actual) / actual in percent, or NaN without an actual. */
    public double errorPct() {
        return actual == null ? Double.NaN : 100 * (predicted - actual.loss()) / actual.loss();
    }

    public Map<String, Object> toJson() {
        var j = new LinkedHashMap<String, Object>();
        j.put("predicted_loss", predicted);
        j.put("predicted_loss_interval", predictedInterval == null ? null : List.of(predictedInterval[0], predictedInterval[1]));
        j.put("actual_loss", actual == null ? null : actual.loss());
        j.put("error_pct", actual == null ? null : errorPct());
        j.put("target", Map.of("params", targetParams, "tokens", targetTokens, "flops",
                ScalingLaw.FLOPS_PER_PARAM_TOKEN * targetParams * targetTokens, "lr_factor", targetFactor,
                "run", actual == null || actual.label() == null ? "" : actual.label()));
        j.put("compute_span", computeSpan);
        var law = fit.toJson();
        law.remove("bootstrap");
        j.put("fit", law);
        j.put("sweeps", sweeps.stream().map(s -> Map.of("params", s.params(), "chosen", s.chosen(),
                "metrics", s.metrics().entrySet().stream().map(e -> List.of(e.getKey(), e.getValue())).toList())).toList());
        j.put("files", Map.of("json", files.json().toString(), "png", files.png().toString(), "markdown", files.markdown().toString()));
        return j;
    }

    /** The headline: prediction against the run. */
    public String headline() {
        var s = String.format(Locale.ROOT, "target %,d parameters on %,d tokens (%.3g FLOPs, %.0f× the smallest rung): "
                + "predicted %.4f", targetParams, targetTokens, ScalingLaw.FLOPS_PER_PARAM_TOKEN * targetParams * targetTokens,
                computeSpan, predicted);
        if (predictedInterval != null) s += String.format(Locale.ROOT, " [%.4f, %.4f]", predictedInterval[0], predictedInterval[1]);
        return s + (actual == null ? ", the run did not finish"
                : String.format(Locale.ROOT, ", actual %.4f, error %+.2f%%", actual.loss(), errorPct()));
    }
}
