package dev.flywheel.lab.study;

import dev.flywheel.lab.store.MetricPoint;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * A run's learning curve as the store has it: per optimizer step the training loss, learning rate, gradient norm
 * and the fraction of the budget spent. Whole (every step), including what an interrupted attempt recorded before
 * the checkpoint the run resumed from.
 */
public final class Curve {

    /** One step. */
    public record Point(long step, double progress, double loss, double lr, double gradNorm) {}

    private final List<Point> points;

    public Curve(List<Point> points) {
        this.points = List.copyOf(points);
    }

    /** Builds the curve from a run's metric points (names loss, lr, grad_norm, progress). */
    public static Curve of(List<MetricPoint> metrics) {
        var byStep = new TreeMap<Long, double[]>();
        for (var m : metrics) {
            int i = switch (m.name()) {
                case "progress" -> 0;
                case "loss" -> 1;
                case "lr" -> 2;
                case "grad_norm" -> 3;
                default -> -1;
            };
            if (i < 0) continue;
            byStep.computeIfAbsent(m.step(), s -> new double[]{Double.NaN, Double.NaN, Double.NaN, Double.NaN})[i] = m.value();
        }
        var points = new ArrayList<Point>(byStep.size());
        byStep.forEach((step, v) -> {
            if (!Double.isNaN(v[0])) points.add(new Point(step, v[0], v[1], v[2], v[3]));
        });
        return new Curve(points);
    }

    public List<Point> points() {
        return points;
    }

    public boolean isEmpty() {
        return points.isEmpty();
    }

    /** The last progress reached (1 for a run that spent its budget). */
    public double lastProgress() {
        return points.isEmpty() ? 0 : points.getLast().progress();
    }

    /** Mean finite training loss over the steps with progress in (p − window, p]; NaN if there are none. */
    public double lossAt(double p, double window) {
        double sum = 0;
        int n = 0;
        for (var q : points) {
            if (q.progress() > p - window && q.progress() <= p + 1e-9 && Double.isFinite(q.loss())) {
                sum += q.loss();
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** At most {@code n} points, evenly spread over the run (each the mean of its stretch), for people and agents. */
    public List<Point> downsample(int n) {
        if (points.size() <= n) return points;
        var out = new ArrayList<Point>(n);
        for (int b = 0; b < n; b++) {
            int from = (int) ((long) b * points.size() / n), to = (int) ((long) (b + 1) * points.size() / n);
            double loss = 0, lr = 0, g = 0;
            int nl = 0, ng = 0;
            for (int i = from; i < to; i++) {
                var q = points.get(i);
                if (Double.isFinite(q.loss())) {
                    loss += q.loss();
                    nl++;
                }
                if (Double.isFinite(q.gradNorm())) {
                    g += q.gradNorm();
                    ng++;
                }
                lr += q.lr();
            }
            var last = points.get(to - 1);
            out.add(new Point(last.step(), last.progress(), nl == 0 ? Double.NaN : loss / nl, lr / (to - from),
                    ng == 0 ? Double.NaN : g / ng));
        }
        return out;
    }
}
