package dev.flywheel.lab.exec;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Successive halving against earlier learning curves: at each rung — a fraction of the run budget — a run whose
 * mean training loss over the last {@code window} of progress is above {@code maxLoss} is stopped, because it is
 * clearly losing to the run it is compared with at the same point of the budget. The study computes the
 * thresholds from the best run's curve and the seed-to-seed spread of the baseline's; the run only compares.
 *
 * @param rungs the checks, in order of progress
 */
public record EarlyStop(List<Rung> rungs) {

    /**
     * @param progress fraction of the run budget at which to check
     * @param window   how much progress before it the training loss is averaged over
     * @param maxLoss  stop when that mean is above this
     * @param against  what the threshold was derived from, for the event message (e.g. "run s-004 (2.91 + margin 0.12)")
     */
    public record Rung(double progress, double window, double maxLoss, String against) {}

    public static final EarlyStop NONE = new EarlyStop(List.of());

    public EarlyStop {
        rungs = rungs == null ? List.of() : List.copyOf(rungs);
    }

    public boolean disabled() {
        return rungs.isEmpty();
    }

    public Tracker tracker() {
        return new Tracker(this);
    }

    /** Follows one run's training loss and says when a rung is failed. */
    public static final class Tracker {
        private final List<Rung> rungs;
        private final ArrayDeque<double[]> recent = new ArrayDeque<>();
        private final double window;
        private int next;
        private double stoppedAt = Double.NaN;

        Tracker(EarlyStop rule) {
            this.rungs = rule.rungs();
            this.window = rungs.stream().mapToDouble(Rung::window).max().orElse(0);
        }

        /** Feeds one step; returns why the run should stop now, or empty to go on. */
        public Optional<String> offer(double progress, double loss) {
            if (next >= rungs.size()) return Optional.empty();
            if (Double.isFinite(loss)) recent.addLast(new double[]{progress, loss});
            while (!recent.isEmpty() && recent.peekFirst()[0] < progress - window) recent.removeFirst();
            var rung = rungs.get(next);
            if (progress < rung.progress()) return Optional.empty();
            next++;
            double sum = 0;
            int n = 0;
            for (var p : recent) {
                if (p[0] > progress - rung.window()) {
                    sum += p[1];
                    n++;
                }
            }
            if (n == 0) return Optional.empty();
            double mean = sum / n;
            if (mean <= rung.maxLoss()) return Optional.empty();
            stoppedAt = progress;
            return Optional.of(String.format(Locale.ROOT,
                    "mean training loss %.4f over the last %.0f%% of the budget at %.0f%% is above %.4f, the threshold from %s",
                    mean, 100 * rung.window(), 100 * progress, rung.maxLoss(), rung.against()));
        }

        /** The progress at which the run failed a rung, or NaN. */
        public double stoppedAt() {
            return stoppedAt;
        }
    }
}
