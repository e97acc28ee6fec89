package dev.flywheel.lab.budget;

import dev.flywheel.engine.TrainBudget;
import dev.flywheel.lab.LabException;

/**
 * What one training run may spend, as the lab parses, formats and stores it: tokens (the default: the same run on any
 * machine), steps, FLOPs, or seconds of training time (start-up and evaluation are not charged). How much of it a
 * run has spent is the engine's business ({@link TrainBudget#progress}), which {@link #toEngine()} hands it to.
 */
public sealed interface RunBudget extends Budget {

    /** The recipe's name for this kind of budget: seconds, steps, tokens or flops. */
    String kind();

    /** The amount in the kind's unit. */
    double amount();

    /** The engine's budget: what the trainer counts and its schedule follows. */
    TrainBudget toEngine();

    record Seconds(double seconds) implements RunBudget {
        public Seconds {
            Units.requirePositive(seconds, "a run budget in seconds");
        }

        public String kind() { return "seconds"; }

        public double amount() { return seconds; }

        public TrainBudget toEngine() { return new TrainBudget.Seconds(seconds); }

        public String format() { return Units.formatSeconds(seconds); }
    }

    record Steps(long steps) implements RunBudget {
        public Steps {
            Units.requirePositive(steps, "a run budget in steps");
        }

        public String kind() { return "steps"; }

        public double amount() { return steps; }

        public TrainBudget toEngine() { return new TrainBudget.Steps(steps); }

        public String format() { return Units.formatCount(steps) + " steps"; }
    }

    record Tokens(long tokens) implements RunBudget {
        public Tokens {
            Units.requirePositive(tokens, "a run budget in tokens");
        }

        public String kind() { return "tokens"; }

        public double amount() { return tokens; }

        public TrainBudget toEngine() { return new TrainBudget.Tokens(tokens); }

        public String format() { return Units.formatCount(tokens) + " tokens"; }
    }

    record Flops(double flops) implements RunBudget {
        public Flops {
            Units.requirePositive(flops, "a run budget in FLOPs");
        }

        public String kind() { return "flops"; }

        public double amount() { return flops; }

        public TrainBudget toEngine() { return new TrainBudget.Flops(flops); }

        public String format() { return Units.formatNumber(flops) + " flops"; }
    }

    /**
     * The budget of kind {@code kind} (seconds, steps, tokens, flops) and {@code amount}, as a recipe stores it.
     *
     * @throws LabException when the kind is unknown or the amount is not positive (or not whole for steps and tokens)
     */
    static RunBudget of(String kind, double amount) {
        return switch (kind) {
            case "seconds" -> new Seconds(amount);
            case "steps" -> new Steps(Units.whole(amount, "steps"));
            case "tokens" -> new Tokens(Units.whole(amount, "tokens"));
            case "flops" -> new Flops(amount);
            default -> throw new LabException("run budget kind \"" + kind + "\" is unknown; use seconds, steps, tokens or flops");
        };
    }

    /**
     * Parses {@code 60s}, {@code 10m}, {@code 1h30m}, {@code 500steps}, {@code 2M tokens}, {@code 1.5k steps},
     * {@code 1e15flops}.
     *
     * @throws LabException naming the text and the accepted forms when it is not a run budget
     */
    static RunBudget parse(String text) {
        return Units.parseRun(text);
    }
}
