package dev.flywheel.engine;

/**
 * Learning-rate schedules as a multiplier of the peak rate. Warmup is counted in optimizer steps; the rest of the
 * shape follows the run's progress in [0, 1] (steps, tokens, FLOPs or wall-clock time spent of the budget), so a
 * time-budgeted run still ends its decay exactly when its budget does.
 */
public sealed interface LrSchedule {

    /** Multiplier of the peak learning rate at {@code step}, with {@code progress} of the budget spent. */
    double multiplier(long step, double progress);

    int warmup();

    /** Linear warmup, then cosine from 1 to minRatio over the rest of the budget (nanoGPT). */
    record Cosine(int warmup, double minRatio) implements LrSchedule {
        public double multiplier(long step, double progress) {
            if (step < warmup) return (step + 1.0) / (warmup + 1.0);
            double p = Math.min(1, Math.max(0, progress));
            return minRatio + 0.5 * (1 + Math.cos(Math.PI * p)) * (1 - minRatio);
        }
    }

    /** Warmup, stable at the peak, then linear decay to minRatio over the last {@code decayFraction} of the budget. */
    record WarmupStableDecay(int warmup, double decayFraction, double minRatio) implements LrSchedule {
        public double multiplier(long step, double progress) {
            if (step < warmup) return (step + 1.0) / (warmup + 1.0);
            double start = 1 - decayFraction;
            if (progress <= start) return 1;
            double p = Math.min(1, (progress - start) / decayFraction);
            return 1 - p * (1 - minRatio);
        }
    }

    /** Warmup, then the peak rate to the end. */
    record Constant(int warmup) implements LrSchedule {
        public double multiplier(long step, double progress) {
            return step < warmup ? (step + 1.0) / (warmup + 1.0) : 1;
        }
    }

    static LrSchedule parse(String kind, int warmup, double decayFraction, double minRatio) {
        return switch (kind.toLowerCase(java.util.Locale.ROOT)) {
            case "cosine" -> new Cosine(warmup, minRatio);
            case "wsd" -> new WarmupStableDecay(warmup, decayFraction, minRatio);
            case "constant" -> new Constant(warmup);
            default -> throw new IllegalArgumentException("unknown schedule '" + kind + "'; use cosine, wsd or constant");
        };
    }

    default String kind() {
        return switch (this) {
            case Cosine c -> "cosine";
            case WarmupStableDecay w -> "wsd";
            case Constant c -> "constant";
        };
    }
}
