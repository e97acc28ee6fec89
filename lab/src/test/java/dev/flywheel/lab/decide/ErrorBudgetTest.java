package dev.flywheel.lab.decide;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The study's error budget: online fallback over a horizon, resubmissions paid again. */
class ErrorBudgetTest {

    @Test
    void eachTestGetsItsShareAndADiscardSpendsIt() {
        var b = ErrorBudget.of(0.05, 20);
        assertThat(b.next()).isCloseTo(0.0025, within(1e-15));
        assertThat(b.remaining()).isCloseTo(0.05, within(1e-15));
        var after = b.after("lr 3e-3", 0.4, false);
        assertThat(after.next()).isCloseTo(0.0025, within(1e-15));
        assertThat(after.remaining()).isCloseTo(0.0475, within(1e-15));
        assertThat(after.spent()).isCloseTo(0.0025, within(1e-15));
        assertThat(after.tests().getFirst().alpha()).isCloseTo(0.0025, within(1e-15));
    }

    @Test
    void aKeepHandsItsAlphaOnToTheNextTestAndSpendsNothing() {
        var b = ErrorBudget.of(0.05, 20).after("a", 0.9, false).after("b", 1e-5, true);
        assertThat(b.next()).isCloseTo(0.005, within(1e-15));
        assertThat(b.spent()).isCloseTo(0.0025, within(1e-15));
        // two keeps in a row carry everything along
        var c = b.after("c", 1e-6, true);
        assertThat(c.next()).isCloseTo(0.0075, within(1e-15));
        assertThat(c.spent()).isCloseTo(0.0025, within(1e-15));
        // and a discard after them loses all of it
        var d = c.after("d", 0.3, false);
        assertThat(d.next()).isCloseTo(0.0025, within(1e-15));
        assertThat(d.spent()).isCloseTo(0.0025 + 0.0075, within(1e-15));
    }

    @Test
    void theBudgetNeverGrowsNeverGoesNegativeAndNeverAllotsMoreThanAlpha() {
        var rng = new SplittableRandom(9);
        for (int study = 0; study < 200; study++) {
            var b = ErrorBudget.of(0.05, 10);
            double before = b.remaining(), freshTotal = 0;
            for (int i = 0; i < 30; i++) {   // past the horizon too
                double next = b.next();
                assertThat(next).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(b.remaining() + 1e-15);
                boolean carried = !b.tests().isEmpty() && b.tests().getLast().kept();
                freshTotal += next - (carried ? b.tests().getLast().alpha() : 0);
                b = b.after("change " + rng.nextInt(5), rng.nextDouble(), rng.nextInt(4) == 0);
                assertThat(b.remaining()).isLessThanOrEqualTo(before + 1e-15).isGreaterThanOrEqualTo(0);
                before = b.remaining();
            }
            assertThat(freshTotal).isLessThanOrEqualTo(0.05 + 1e-12);
        }
        var spent = ErrorBudget.of(0.05, 2).after("a", 0.5, false).after("b", 0.5, false);
        assertThat(spent.next()).isZero();
        assertThat(spent.remaining()).isZero();
        assertThat(spent.describe()).contains("2 run", "0 for the next");
    }

    @Test
    void resubmittingTheSameChangeSpendsAgain() {
        var b = ErrorBudget.of(0.05, 20).after("warmup 500", 0.2, false).after("depth 8", 0.6, false)
                .after("warmup 500", 0.04, false);
        assertThat(b.attempts("warmup 500")).isEqualTo(2);
        assertThat(b.allotted("warmup 500")).isCloseTo(0.005, within(1e-15));
        assertThat(b.attempts("depth 8")).isEqualTo(1);
        assertThat(b.attempts("never tried")).isZero();
        assertThat(b.spent()).isCloseTo(0.0075, within(1e-15));
        // the third try gets the same share as a new change, not a fresh budget of its own
        assertThat(b.next()).isCloseTo(0.0025, within(1e-15));
    }

    @Test
    void nonsenseIsRefused() {
        assertThatThrownBy(() -> ErrorBudget.of(0, 20)).hasMessageContaining("alpha");
        assertThatThrownBy(() -> ErrorBudget.of(0.05, 0)).hasMessageContaining("horizon");
    }
}
