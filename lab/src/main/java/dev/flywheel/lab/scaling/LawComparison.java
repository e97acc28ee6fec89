package dev.flywheel.lab.scaling;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Two recipes compared by their laws (each fitted on its own ladder): does the change move an exponent — a gain that
 * grows with scale — or only the constants, a fixed offset? Each difference gets a 95% interval from the two fits'
 * bootstraps, paired resample by resample (the fits are independent, so any pairing is a draw of the difference); the
 * losses each law predicts at its own compute-optimal size for 1×, 10× and 100× a reference compute say what the
 * difference is worth there.
 */
public record LawComparison(Map<String, Difference> parameters, List<Prediction> predictions, String verdict) {

    /** change − baseline, and its 95% interval (null without bootstraps). */
    public record Difference(double value, double[] interval) {
        boolean excludesZero() {
            return interval != null && (interval[0] > 0 || interval[1] < 0);
        }
    }

    /** Both laws' compute-optimal loss at one compute, and change − baseline. */
    public record Prediction(double compute, double baseline, double change, Difference difference) {}

    static final double[] MULTIPLES = {1, 10, 100};

    public static LawComparison of(FitReport.SavedLaw baseline, FitReport.SavedLaw change, double compute) {
        var params = new LinkedHashMap<String, Difference>();
        params.put("alpha", diff(baseline, change, ScalingLaw::alpha));
        params.put("beta", diff(baseline, change, ScalingLaw::beta));
        params.put("E", diff(baseline, change, ScalingLaw::e));
        params.put("A", diff(baseline, change, ScalingLaw::a));
        params.put("B", diff(baseline, change, ScalingLaw::b));
        var predictions = new ArrayList<Prediction>();
        for (double m : MULTIPLES) {
            double c = compute * m;
            ToDoubleFunction<ScalingLaw> loss = l -> l.alpha() > 0 && l.beta() > 0 ? l.optimal(c).loss() : Double.NaN;
            predictions.add(new Prediction(c, loss.applyAsDouble(baseline.law()), loss.applyAsDouble(change.law()),
                    diff(baseline, change, loss)));
        }
        return new LawComparison(params, List.copyOf(predictions), verdict(params, predictions));
    }

    private static Difference diff(FitReport.SavedLaw a, FitReport.SavedLaw b, ToDoubleFunction<ScalingLaw> f) {
        double value = f.applyAsDouble(b.law()) - f.applyAsDouble(a.law());
        int n = Math.min(a.bootstrap().size(), b.bootstrap().size());
        var d = new ArrayList<Double>();
        for (int i = 0; i < n; i++) {
            double x = f.applyAsDouble(b.bootstrap().get(i)) - f.applyAsDouble(a.bootstrap().get(i));
            if (Double.isFinite(x)) d.add(x);
        }
        return new Difference(value, Percentiles.interval95(d.stream().mapToDouble(Double::doubleValue).toArray()));
    }

    private static String verdict(Map<String, Difference> p, List<Prediction> predictions) {
        var alpha = p.get("alpha");
        var beta = p.get("beta");
        if (alpha.interval() == null) return "no bootstrap in one of the fits: the differences have no intervals, so nothing can be said";
        if (alpha.excludesZero() || beta.excludesZero())
            return String.format(Locale.ROOT, "the change moves the exponents (α %+.3f, β %+.3f): its effect changes with scale",
                    alpha.value(), beta.value());
        var at = predictions.getFirst().difference();
        if (at.excludesZero())
            return String.format(Locale.ROOT, "the change moves only the constants (α %+.3f and β %+.3f are within their "
                    + "intervals of zero): a %s of %.4f at the reference compute that the law does not grow or shrink",
                    alpha.value(), beta.value(), at.value() < 0 ? "gain" : "loss", Math.abs(at.value()));
        return "no difference the ladders can resolve: neither the exponents nor the loss at the reference compute differ beyond their intervals";
    }

    public Map<String, Object> toJson() {
        var j = new LinkedHashMap<String, Object>();
        j.put("verdict", verdict);
        var ps = new LinkedHashMap<String, Object>();
        parameters.forEach((k, d) -> ps.put(k, json(d)));
        j.put("differences", ps);
        j.put("predictions", predictions.stream().map(p -> {
            var m = new LinkedHashMap<String, Object>();
            m.put("compute", p.compute());
            m.put("baseline_loss", p.baseline());
            m.put("change_loss", p.change());
            m.put("difference", json(p.difference()));
            return m;
        }).toList());
        return j;
    }

    private static Map<String, Object> json(Difference d) {
        var m = new LinkedHashMap<String, Object>();
        m.put("value", d.value());
        m.put("interval", d.interval() == null ? null : List.of(d.interval()[0], d.interval()[1]));
        return m;
    }
}
