package dev.flywheel.lab.scaling;

/**
 * Limited-memory BFGS (Nocedal &amp; Wright, Numerical Optimization, algorithms 7.4 and 7.5) with a line search that
 * meets the strong Wolfe conditions (algorithms 3.5 and 3.6, safeguarded quadratic interpolation in the zoom).
 *
 * <p>Written here because no library the build can reach offers it: Hipparchus (already a dependency) has
 * Levenberg–Marquardt, CMA-ES, BOBYQA and nonlinear conjugate gradients but no L-BFGS, and the fit is specified as
 * Epoch AI ran it (scipy's L-BFGS). A hundred lines, tested on functions whose minimum is known (LbfgsTest).
 */
final class Lbfgs {

    /** A smooth function: its value at x, with its gradient written into {@code grad}. */
    @FunctionalInterface
    interface Function {
        double valueAndGradient(double[] x, double[] grad);
    }

    /**
     * When to stop.
     *
     * @param maxIterations      iterations at most
     * @param gradientTolerance  stop when every component of the gradient is within this of zero
     * @param relativeTolerance  stop when an iteration lowers the value by less than this fraction of it
     * @param memory             correction pairs kept (m)
     */
    record Settings(int maxIterations, double gradientTolerance, double relativeTolerance, int memory) {
        /** Tight enough that the Huber objective's flat valleys are followed to their floor. */
        static final Settings TIGHT = new Settings(2000, 1e-14, 1e-15, 10);
    }

    /** Where it stopped, how well, and why. */
    record Result(double[] x, double value, int iterations, int evaluations, boolean converged) {}

    private static final double C1 = 1e-4, C2 = 0.9;
    private static final int MAX_LINE_SEARCH = 40;

    private final Function f;
    private final Settings settings;
    private int evaluations;

    private Lbfgs(Function f, Settings settings) {
        this.f = f;
        this.settings = settings;
    }

    static Result minimize(Function f, double[] start, Settings settings) {
        return new Lbfgs(f, settings).run(start);
    }

    private Result run(double[] start) {
        int n = start.length, m = settings.memory();
        var x = start.clone();
        var g = new double[n];
        double fx = eval(x, g);
        if (!Double.isFinite(fx)) return new Result(x, fx, 0, evaluations, false);
        double[][] s = new double[m][], y = new double[m][];
        double[] rho = new double[m];
        int stored = 0, newest = -1;
        var d = new double[n];
        for (int k = 0; k < settings.maxIterations(); k++) {
            if (normInf(g) <= settings.gradientTolerance()) return new Result(x, fx, k, evaluations, true);
            direction(g, s, y, rho, stored, newest, d);
            if (dot(g, d) >= 0) { // not a descent direction: forget the curvature pairs and go downhill
                stored = 0;
                for (int i = 0; i < n; i++) d[i] = -g[i];
            }
            double step = stored == 0 ? Math.min(1, 1 / norm2(g)) : 1;
            var ls = lineSearch(x, fx, g, d, step);
            if (ls == null) {
                if (stored == 0) return new Result(x, fx, k, evaluations, true); // no descent left: a minimum to machine precision
                stored = 0;
                continue;
            }
            var sk = new double[n];
            var yk = new double[n];
            for (int i = 0; i < n; i++) {
                sk[i] = ls.x[i] - x[i];
                yk[i] = ls.g[i] - g[i];
            }
            double sy = dot(sk, yk);
            if (sy > 1e-300) { // curvature condition; the strong Wolfe search guarantees it up to rounding
                newest = (newest + 1) % m;
                s[newest] = sk;
                y[newest] = yk;
                rho[newest] = 1 / sy;
                stored = Math.min(stored + 1, m);
            }
            double drop = fx - ls.value;
            x = ls.x;
            g = ls.g;
            fx = ls.value;
            if (drop <= settings.relativeTolerance() * Math.max(Math.abs(fx), Double.MIN_NORMAL))
                return new Result(x, fx, k + 1, evaluations, true);
        }
        return new Result(x, fx, settings.maxIterations(), evaluations, false);
    }

    /** The two-loop recursion: d = −H g with H the L-BFGS inverse-Hessian estimate (scaled by sᵀy / yᵀy). */
    private static void direction(double[] g, double[][] s, double[][] y, double[] rho, int stored, int newest, double[] d) {
        int n = g.length, m = s.length;
        var q = g.clone();
        var alpha = new double[m];
        for (int j = 0, i = newest; j < stored; j++, i = (i - 1 + m) % m) {
            alpha[i] = rho[i] * dot(s[i], q);
            for (int t = 0; t < n; t++) q[t] -= alpha[i] * y[i][t];
        }
        double gamma = stored == 0 ? 1 : dot(s[newest], y[newest]) / dot(y[newest], y[newest]);
        for (int t = 0; t < n; t++) q[t] *= gamma;
        int oldest = (newest - stored + 1 + m) % m;
        for (int j = 0, i = oldest; j < stored; j++, i = (i + 1) % m) {
            double beta = rho[i] * dot(y[i], q);
            for (int t = 0; t < n; t++) q[t] += s[i][t] * (alpha[i] - beta);
        }
        for (int t = 0; t < n; t++) d[t] = -q[t];
    }

    private record Point(double step, double[] x, double value, double[] g, double slope) {}

    /** A step along d meeting the strong Wolfe conditions, or null when none lowers the value. */
    private Point lineSearch(double[] x, double fx, double[] g, double[] d, double first) {
        double slope0 = dot(g, d);
        var prev = new Point(0, x, fx, g, slope0);
        double step = first;
        for (int i = 0; i < MAX_LINE_SEARCH; i++) {
            var p = at(x, d, step);
            if (!(p.value <= fx + C1 * step * slope0) || (i > 0 && p.value >= prev.value))
                return zoom(x, fx, slope0, d, prev, p);
            if (Math.abs(p.slope) <= -C2 * slope0) return p;
            if (p.slope >= 0) return zoom(x, fx, slope0, d, p, prev);
            prev = p;
            step *= 2;
        }
        return prev.step > 0 ? prev : null;
    }

    /** Narrows [lo, hi] (lo the better end, meeting sufficient decrease) until a step meets both conditions. */
    private Point zoom(double[] x, double fx, double slope0, double[] d, Point lo, Point hi) {
        for (int i = 0; i < MAX_LINE_SEARCH; i++) {
            double width = hi.step - lo.step;
            if (Math.abs(width) <= 1e-16 * Math.max(1, Math.abs(lo.step))) break;
            // the minimum of the quadratic through lo's value and slope and hi's value, kept inside the bracket
            double curvature = hi.value - lo.value - lo.slope * width;
            double t = Double.isFinite(hi.value) && curvature > 0 ? lo.step - lo.slope * width * width / (2 * curvature)
                    : lo.step + width / 2;
            double a = Math.min(lo.step, hi.step) + 0.1 * Math.abs(width), b = Math.max(lo.step, hi.step) - 0.1 * Math.abs(width);
            var p = at(x, d, Math.clamp(t, a, b));
            if (!(p.value <= fx + C1 * p.step * slope0) || p.value >= lo.value) {
                hi = p;
            } else {
                if (Math.abs(p.slope) <= -C2 * slope0) return p;
                if (p.slope * (hi.step - lo.step) >= 0) hi = lo;
                lo = p;
            }
        }
        return lo.step > 0 && lo.value < fx ? lo : null;
    }

    private Point at(double[] x, double[] d, double step) {
        var xs = new double[x.length];
        for (int i = 0; i < x.length; i++) xs[i] = x[i] + step * d[i];
        var g = new double[x.length];
        double v = eval(xs, g);
        return new Point(step, xs, Double.isFinite(v) ? v : Double.POSITIVE_INFINITY, g, dot(g, d));
    }

    private double eval(double[] x, double[] g) {
        evaluations++;
        return f.valueAndGradient(x, g);
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double norm2(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static double normInf(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }
}
