package dev.flywheel.lab.budget;

import dev.flywheel.lab.LabException;

/**
 * What one training run may spend. Seconds count training time only (start-up and evaluation are not
 * charged), so runs on the same machine compare fairly, as in fixed-time research.
 */
public sealed interface RunBudget extends Budget {

    /** What a run has spent so far. */
    record Usage(double seconds, long steps, long tokens, double flops) {
    }

    /** The recipe's name for this kind of budget: seconds, steps, tokens or flops. */
    String kind();

    /** The amount in the kind's unit. */
    double amount();

    /** How much of the budget {@code used} has spent, from 0 (nothing) to 1 (all of it, or more). */
    double fraction(Usage used);

    default boolean isSpent(Usage used) {
        return fraction(used) >= 1.0;
    }

    record Seconds(double seconds) implements RunBudget {
        public Seconds {
            Units.requirePositive(seconds, "a run budget in seconds");
        }

        public String kind() { return "seconds"; }

        public double amount() { return seconds; }

        public double fraction(Usage used) { return Math.min(1.0, used.seconds() / seconds); }

        public String format() { return Units.formatSeconds(seconds); }
    }

    record Steps(long steps) implements RunBudget {
        public Steps {
            Units.requirePositive(steps, "a run budget in steps");
        }

        public String kind() { return "steps"; }

        public double amount() { return steps; }

        public double fraction(Usage used) { return Math.min(1.0, (double) used.steps() / steps); }

        public String format() { return Units.formatCount(steps) + " steps"; }
    }

    record Tokens(long tokens) implements RunBudget {
        public Tokens {
            Units.requirePositive(tokens, "a run budget in tokens");
        }

        public String kind() { return "tokens"; }

        public double amount() { return tokens; }

        public double fraction(Usage used) { return Math.min(1.0, (double) used.tokens() / tokens); }

        public String format() { return Units.formatCount(tokens) + " tokens"; }
    }

    record Flops(double flops) implements RunBudget {
        public Flops {
            Units.requirePositive(flops, "a run budget in FLOPs");
        }

        public String kind() { return "flops"; }

        public double amount() { return flops; }

        public double fraction(Usage used) { return Math.min(1.0, used.flops() / flops); }

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
