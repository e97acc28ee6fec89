package dev.flywheel.lab.scaling;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Hoffmann et al.'s Approach 2: points that share a compute budget (an IsoFLOP group) trace loss against model size;
 * a parabola in ln N through each group has its vertex at that budget's optimal size, and a line through the vertices
 * in log-log gives N_opt ∝ C^a. Needs no parametric law, so it checks Approach 3's exponent β/(α+β).
 */
public final class IsoFlop {

    /** Points whose compute lies within this factor of their group's smallest are one group (±12%, as read from plots). */
    static final double GROUP_RATIO = 1.25;
    /** A parabola needs three sizes; fewer say nothing about where the minimum is. */
    static final int MIN_SIZES = 3;

    private IsoFlop() {
    }

    /** One IsoFLOP group's parabola: its compute (geometric mean), size count and the vertex. */
    public record Group(double flops, int points, double optimalParams, double minLoss) {}

    /**
     * The groups whose parabola has a minimum inside the sizes they trained (a vertex outside would be an
     * extrapolation), and the exponent a of N_opt ∝ C^a through their vertices (NaN with fewer than two groups).
     */
    public record Result(List<Group> groups, double paramsExponent) {}

    /** Approach 2 on the points, or null when they form fewer than two usable IsoFLOP groups. */
    public static Result fit(List<ScalingPoint> points) {
        var groups = new ArrayList<Group>();
        for (var g : groups(points)) {
            var vertex = vertex(g);
            if (vertex != null) groups.add(vertex);
        }
        if (groups.size() < 2) return null;
        int n = groups.size();
        double[] x = new double[n], y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = Math.log(groups.get(i).flops());
            y[i] = Math.log(groups.get(i).optimalParams());
        }
        return new Result(List.copyOf(groups), slope(x, y));
    }

    /** Points grouped by compute: sorted by FLOPs, a new group wherever one is more than {@link #GROUP_RATIO}× the group's first. */
    static List<List<ScalingPoint>> groups(List<ScalingPoint> points) {
        var sorted = points.stream().sorted(Comparator.comparingDouble(ScalingPoint::flops)).toList();
        var out = new ArrayList<List<ScalingPoint>>();
        List<ScalingPoint> current = null;
        for (var p : sorted) {
            if (current == null || p.flops() > current.getFirst().flops() * GROUP_RATIO) {
                current = new ArrayList<>();
                out.add(current);
            }
            current.add(p);
        }
        return out;
    }

    /** The parabola L = c₀ + c₁ x + c₂ x² (x = ln N) by least squares; its vertex when it opens upwards inside the sizes. */
    static Group vertex(List<ScalingPoint> g) {
        long sizes = g.stream().mapToDouble(ScalingPoint::params).distinct().count();
        if (sizes < MIN_SIZES) return null;
        var c = quadratic(g.stream().mapToDouble(p -> Math.log(p.params())).toArray(), g.stream().mapToDouble(ScalingPoint::loss).toArray());
        if (c == null || !(c[2] > 0)) return null;
        double x = -c[1] / (2 * c[2]);
        double lo = g.stream().mapToDouble(p -> Math.log(p.params())).min().orElseThrow();
        double hi = g.stream().mapToDouble(p -> Math.log(p.params())).max().orElseThrow();
        if (x <= lo || x >= hi) return null;
        double logC = g.stream().mapToDouble(p -> Math.log(p.flops())).average().orElseThrow();
        return new Group(Math.exp(logC), g.size(), Math.exp(x), c[0] + c[1] * x + c[2] * x * x);
    }

    /** Least-squares c₀ + c₁x + c₂x² (normal equations, centred x for conditioning), or null when singular. */
    static double[] quadratic(double[] x, double[] y) {
        int n = x.length;
        double mean = 0;
        for (double v : x) mean += v / n;
        double[][] m = new double[3][4];
        for (int i = 0; i < n; i++) {
            double u = x[i] - mean;
            double[] row = {1, u, u * u};
            for (int r = 0; r < 3; r++) {
                for (int k = 0; k < 3; k++) m[r][k] += row[r] * row[k];
                m[r][3] += row[r] * y[i];
            }
        }
        var b = solve3(m);
        if (b == null) return null;
        // back from u = x − mean: c₂ = b₂, c₁ = b₁ − 2 b₂ mean, c₀ = b₀ − b₁ mean + b₂ mean²
        return new double[]{b[0] - b[1] * mean + b[2] * mean * mean, b[1] - 2 * b[2] * mean, b[2]};
    }

    private static double[] solve3(double[][] m) {
        for (int col = 0; col < 3; col++) {
            int pivot = col;
            for (int r = col + 1; r < 3; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
            if (Math.abs(m[pivot][col]) < 1e-12) return null;
            var t = m[col];
            m[col] = m[pivot];
            m[pivot] = t;
            for (int r = 0; r < 3; r++) {
                if (r == col) continue;
                double f = m[r][col] / m[col][col];
                for (int k = col; k < 4; k++) m[r][k] -= f * m[col][k];
            }
        }
        return new double[]{m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]};
    }

    /** Least-squares slope of y on x. */
    static double slope(double[] x, double[] y) {
        double mx = 0, my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i] / x.length;
            my += y[i] / x.length;
        }
        double sxy = 0, sxx = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        return sxx == 0 ? Double.NaN : sxy / sxx;
    }
}
