package dev.flywheel.lab.scaling;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Whether the points can determine the law, in words. The pitfalls the law's users hit: sizes (or token counts)
 * spanning less than an order of magnitude, so a size exponent and the constant E trade off freely; sizes and tokens
 * that move together (every run at one tokens-per-parameter ratio), so α cannot be told from β; and bootstrap
 * intervals wider than the estimate itself.
 */
public final class Identifiability {

    /** A span of sizes or token counts below this factor cannot pin its exponent. */
    public static final double MIN_SPAN = 10;
    /** Above this |correlation| of ln N and ln D the two exponents are not separable. */
    static final double MAX_CORRELATION = 0.97;

    private Identifiability() {
    }

    /** Warnings about the points alone, before fitting. */
    public static List<String> ofPoints(List<ScalingPoint> points) {
        var out = new ArrayList<String>();
        span(points, ScalingPoint::params, "model sizes", "parameters", "α and A", out);
        span(points, ScalingPoint::tokens, "token counts", "tokens", "β and B", out);
        double r = correlation(points);
        if (Math.abs(r) > MAX_CORRELATION)
            out.add(String.format(Locale.ROOT, "Sizes and token counts move together (correlation of their logs %.3f): "
                    + "the fit cannot tell how much of the gain is size and how much is data, so α and β trade off. Train "
                    + "some sizes on several token counts.", r));
        if (points.size() < 3 * LawFit.PARAMETERS)
            out.add(String.format(Locale.ROOT, "Only %d points for %d parameters: the bootstrap intervals are rough.",
                    points.size(), LawFit.PARAMETERS));
        return out;
    }

    /** Warnings about the fitted parameters: an exponent whose interval is wider than itself. */
    public static List<String> ofFit(LawFit.Result fit) {
        var out = new ArrayList<String>();
        if (fit.leftOut() > 0)
            out.add(String.format(Locale.ROOT, "%d of %d bootstrap resamples could not determine the law (a term's "
                    + "exponent ran off to infinity: too few sizes or token counts in them) and were left out; the "
                    + "intervals come from the rest, so they are too narrow.", fit.leftOut(), fit.leftOut() + fit.bootstrap().size()));
        if (fit.bootstrap().isEmpty()) return out;
        wide(fit, ScalingLaw::alpha, "α", out);
        wide(fit, ScalingLaw::beta, "β", out);
        return out;
    }

    private static void wide(LawFit.Result fit, ToDoubleFunction<ScalingLaw> p, String name, List<String> out) {
        var ci = fit.interval(p);
        double v = p.applyAsDouble(fit.law());
        if (ci[1] - ci[0] > Math.abs(v))
            out.add(String.format(Locale.ROOT, "The exponent %s = %.3f is poorly determined: its 95%% interval [%.3f, %.3f] "
                    + "is wider than its value, so predictions far beyond the points are unreliable.", name, v, ci[0], ci[1]));
    }

    private static void span(List<ScalingPoint> points, ToDoubleFunction<ScalingPoint> f, String what, String unit,
                             String params, List<String> out) {
        double lo = points.stream().mapToDouble(f).min().orElse(1), hi = points.stream().mapToDouble(f).max().orElse(1);
        if (hi / lo < MIN_SPAN)
            out.add(String.format(Locale.ROOT, "The %s span only %.1f× (%.3g to %.3g %s), less than the %.0f× a fit "
                    + "needs to separate %s from E; widen the range before trusting the exponents.", what, hi / lo, lo, hi,
                    unit, MIN_SPAN, params));
    }

    static double correlation(List<ScalingPoint> points) {
        int n = points.size();
        double mx = 0, my = 0;
        for (var p : points) {
            mx += Math.log(p.params()) / n;
            my += Math.log(p.tokens()) / n;
        }
        double sxy = 0, sxx = 0, syy = 0;
        for (var p : points) {
            double dx = Math.log(p.params()) - mx, dy = Math.log(p.tokens()) - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return sxx == 0 || syy == 0 ? 1 : sxy / Math.sqrt(sxx * syy);
    }
}
