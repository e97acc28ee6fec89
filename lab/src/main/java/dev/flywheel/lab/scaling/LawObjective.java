package dev.flywheel.lab.scaling;

import java.util.List;

/**
 * The fit's objective, as Hoffmann et al. and Epoch AI wrote it: the Huber loss (δ = 1e-3) of the residuals between
 * log-losses, Σ wᵢ Huber_δ(LSE(a − α ln Nᵢ, b − β ln Dᵢ, e) − ln Lᵢ), in coordinates θ = (a, b, e, α, β) where A = eᵃ,
 * B = eᵇ, E = eᵉ. Log-sum-exp keeps A, B and E positive without bounds and is computed shifted by its maximum, so no
 * start of the grid overflows. The weights are bootstrap multiplicities (1 for a plain fit).
 */
final class LawObjective {

    static final double DELTA = 1e-3;

    private final double[] logN, logD, logL, weights;
    private final double delta;

    LawObjective(List<ScalingPoint> points, double[] weights, double delta) {
        int n = points.size();
        if (weights.length != n) throw new IllegalArgumentException("one weight per point");
        logN = new double[n];
        logD = new double[n];
        logL = new double[n];
        for (int i = 0; i < n; i++) {
            var p = points.get(i);
            logN[i] = Math.log(p.params());
            logD[i] = Math.log(p.tokens());
            logL[i] = Math.log(p.loss());
        }
        this.weights = weights.clone();
        this.delta = delta;
    }

    /** Huber's loss: quadratic within δ of zero, linear beyond (so a few stray points pull the fit little). */
    static double huber(double r, double delta) {
        double abs = Math.abs(r);
        return abs <= delta ? 0.5 * r * r : delta * (abs - 0.5 * delta);
    }

    /** The objective at θ; writes its gradient into {@code grad} (length 5). */
    double valueAndGradient(double[] theta, double[] grad) {
        double a = theta[0], b = theta[1], e = theta[2], alpha = theta[3], beta = theta[4];
        java.util.Arrays.fill(grad, 0);
        double f = 0;
        for (int i = 0; i < logN.length; i++) {
            double w = weights[i];
            if (w == 0) continue;
            double x1 = a - alpha * logN[i], x2 = b - beta * logD[i];
            double m = Math.max(e, Math.max(x1, x2));
            double p1 = Math.exp(x1 - m), p2 = Math.exp(x2 - m), p3 = Math.exp(e - m);
            double s = p1 + p2 + p3;
            double r = m + Math.log(s) - logL[i];
            f += w * huber(r, delta);
            double dr = w * Math.clamp(r, -delta, delta) / s; // Huber' × softmax's denominator
            grad[0] += dr * p1;
            grad[1] += dr * p2;
            grad[2] += dr * p3;
            grad[3] -= dr * p1 * logN[i];
            grad[4] -= dr * p2 * logD[i];
        }
        return f;
    }

    /** The residuals ln L̂ − ln L of a law, one per point. */
    double[] residuals(ScalingLaw law) {
        var t = law.theta();
        var out = new double[logN.length];
        for (int i = 0; i < out.length; i++) {
            double x1 = t[0] - t[3] * logN[i], x2 = t[1] - t[4] * logD[i];
            double m = Math.max(t[2], Math.max(x1, x2));
            out[i] = m + Math.log(Math.exp(x1 - m) + Math.exp(x2 - m) + Math.exp(t[2] - m)) - logL[i];
        }
        return out;
    }
}
