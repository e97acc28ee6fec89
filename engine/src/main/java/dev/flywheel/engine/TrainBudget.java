package dev.flywheel.engine;

/**
 * What a run may spend. Wall-clock seconds count training steps only — evaluation and start-up are not charged —
 * so runs on a busy machine are compared on the work they could do.
 */
public sealed interface TrainBudget {

    /** Fraction of the budget spent, given what the run has used so far. */
    double progress(long steps, long tokens, double flops, double trainSeconds);

    default boolean spent(long steps, long tokens, double flops, double trainSeconds) {
        return progress(steps, tokens, flops, trainSeconds) >= 1.0;
    }

    record Steps(long steps) implements TrainBudget {
        public Steps {
            if (steps < 1) throw new IllegalArgumentException("a step budget must be at least 1 step");
        }

        public double progress(long s, long t, double f, double sec) {
            return (double) s / steps;
        }

        public String toString() {
            return steps + " steps";
        }
    }

    record Seconds(double seconds) implements TrainBudget {
        public Seconds {
            if (!(seconds > 0)) throw new IllegalArgumentException("a time budget must be positive");
        }

        public double progress(long s, long t, double f, double sec) {
            return sec / seconds;
        }

        public String toString() {
            return seconds + " s";
        }
    }

    record Tokens(long tokens) implements TrainBudget {
        public Tokens {
            if (tokens < 1) throw new IllegalArgumentException("a token budget must be at least 1 token");
        }

        public double progress(long s, long t, double f, double sec) {
            return (double) t / tokens;
        }

        public String toString() {
            return tokens + " tokens";
        }
    }

    record Flops(double flops) implements TrainBudget {
        public Flops {
            if (!(flops > 0)) throw new IllegalArgumentException("a FLOP budget must be positive");
        }

        public double progress(long s, long t, double f, double sec) {
            return f / flops;
        }

        public String toString() {
            return String.format(java.util.Locale.ROOT, "%.3g FLOPs", flops);
        }
    }
}
