package dev.flywheel.lab.budget;

import dev.flywheel.lab.LabException;

import java.time.Duration;

/** What a whole study may spend: a total wall-clock time or a number of runs. */
public sealed interface StudyBudget extends Budget {

    /** How much of the budget a study has spent after {@code elapsed} time and {@code runs} finished runs, 0..1. */
    double fraction(Duration elapsed, int runs);

    default boolean isSpent(Duration elapsed, int runs) {
        return fraction(elapsed, runs) >= 1.0;
    }

    record Time(Duration duration) implements StudyBudget {
        public Time {
            if (duration == null || duration.isNegative() || duration.isZero())
                throw new LabException("a study budget in time must be positive, such as 30m or 2h");
        }

        public double fraction(Duration elapsed, int runs) {
            return Math.min(1.0, elapsed.toMillis() / (double) duration.toMillis());
        }

        public String format() {
            return Units.formatSeconds(duration.toMillis() / 1000.0);
        }
    }

    record Runs(int runs) implements StudyBudget {
        public Runs {
            if (runs < 1) throw new LabException("a study budget in runs must be at least 1 run (got " + runs + ")");
        }

        public double fraction(Duration elapsed, int done) {
            return Math.min(1.0, done / (double) runs);
        }

        public String format() {
            return runs + "runs";
        }
    }

    /**
     * Parses a total time ({@code 30m}, {@code 2h}, {@code 1h30m}, {@code 90s}) or a number of runs ({@code 50runs}).
     *
     * @throws LabException naming the text and the accepted forms when it is not a study budget
     */
    static StudyBudget parse(String text) {
        return Units.parseStudy(text);
    }
}
