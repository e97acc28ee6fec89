package dev.flywheel.lab.scaling;

import dev.flywheel.lab.store.RunRecord;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A study's runs fitted as a law, with the compute-optimal predictions at given computes: what the researcher's
 * {@code scaling_law} tool returns. Fewer finished runs than the law has parameters is an answer too, in words.
 */
public final class RunsLaw {

    /** Fewer resamples than a report: the tool answers within a researcher's turn. */
    static final int BOOTSTRAP = 100;

    private RunsLaw() {
    }

    /** @param computes FLOPs to predict at; empty: 10× and 100× the largest run's */
    public static Map<String, Object> summary(List<RunRecord> runs, List<Double> computes) {
        return summary(runs, computes, BOOTSTRAP);
    }

    static Map<String, Object> summary(List<RunRecord> runs, List<Double> computes, int bootstrap) {
        var points = RunPoints.of(runs);
        var out = new LinkedHashMap<String, Object>();
        out.put("points", points.size());
        if (points.size() < LawFit.PARAMETERS) {
            out.put("fit", null);
            out.put("why", "the law has " + LawFit.PARAMETERS + " parameters and the study has " + points.size()
                    + " finished runs; it cannot be fitted yet");
            return out;
        }
        var report = FitReport.of("the study's runs", points, new LawFit.Settings(bootstrap, 0, LawObjective.DELTA), null);
        var j = report.toJson();
        for (var k : List.of("E", "A", "B", "alpha", "beta", "intervals", "residual_rms", "params_exponent", "approach2", "warnings"))
            if (j.containsKey(k)) out.put(k, j.get(k));
        var law = report.law();
        var saved = new FitReport.SavedLaw(law, report.fit().bootstrap(), null);
        double largest = points.stream().mapToDouble(ScalingPoint::flops).max().orElseThrow();
        var at = computes.isEmpty() ? List.of(10 * largest, 100 * largest) : computes;
        if (law.alpha() > 0 && law.beta() > 0)
            out.put("predictions", at.stream().map(c -> {
                var opt = law.optimal(c);
                var boot = saved.bootstrap().stream().mapToDouble(l -> l.loss(opt.params(), opt.tokens())).toArray();
                var ci = Percentiles.interval95(boot);
                var m = new LinkedHashMap<String, Object>();
                m.put("compute", c);
                m.put("params", opt.params());
                m.put("tokens", opt.tokens());
                m.put("predicted_loss", opt.loss());
                m.put("interval", ci == null ? null : List.of(ci[0], ci[1]));
                return m;
            }).toList());
        else out.put("predictions", "none: a fitted exponent is not positive, so the law has no compute-optimal size");
        return out;
    }
}
