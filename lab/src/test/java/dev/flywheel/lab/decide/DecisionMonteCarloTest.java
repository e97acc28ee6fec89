package dev.flywheel.lab.decide;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The acceptance targets of docs/decision.md on fewer studies (seeded, so the numbers are fixed): at most 5% of
 * all-null studies keep a false win, and a 3σ change among 19 nulls is kept at least 90% of the time — each with a
 * margin of about three standard errors of the estimate — while the old rule fails the first on the same draws.
 */
class DecisionMonteCarloTest {

    static final int STUDIES = 1500;

    @Test
    void theNewRuleControlsFalseKeepsPerStudyAndTheOldOneDoesNot() {
        var row = DecisionMonteCarlo.run(SimulatedStudy.Scenario.standard(), 0, STUDIES, 7);
        assertThat(row.newRule().anyFalseKeep()).isLessThan(0.035);
        assertThat(row.oldRule().anyFalseKeep()).isGreaterThan(0.10);
    }

    @Test
    void theNewRuleKeepsAThreeSigmaChangeAtLeastNinetyPercentOfTheTime() {
        var row = DecisionMonteCarlo.run(SimulatedStudy.Scenario.standard(), 3, STUDIES, 7);
        assertThat(row.newRule().power()).isGreaterThan(0.93);
        assertThat(row.newRule().anyFalseKeep()).isLessThan(0.035);
        assertThat(row.newRule().runsPerChange()).isBetween(2.0, 6.5);
        assertThat(row.oldRule().runsPerChange()).isBetween(1.0, 2.0);
    }

    @Test
    void bothRulesSeeTheSameDraws() {
        var sc = SimulatedStudy.Scenario.standard();
        assertThat(SimulatedStudy.metric(sc, 42, 3, 1, 0)).isEqualTo(SimulatedStudy.metric(sc, 42, 3, 1, 0));
        // same seed, different recipe: correlated through the shared seed part, not identical
        assertThat(SimulatedStudy.metric(sc, 42, 3, 1, 0)).isNotEqualTo(SimulatedStudy.metric(sc, 42, 4, 1, 0));
        var g = SimulatedStudy.gains(20, 4, 3);
        assertThat(g).hasSize(21);
        assertThat(g[5]).isEqualTo(3);
        assertThat(SimulatedStudy.decideOld(sc, 99, g)).isEqualTo(SimulatedStudy.decideOld(sc, 99, g));
        assertThat(SimulatedStudy.decideNew(sc, 99, g)).isEqualTo(SimulatedStudy.decideNew(sc, 99, g));
    }

    @Test
    void theDrawsAreStandardNormalAndSeedsCorrelateByRho() {
        var sc = SimulatedStudy.Scenario.standard();
        int n = 200_000;
        double s1 = 0, s2 = 0, sxy = 0;
        for (int i = 0; i < n; i++) {
            double x = (SimulatedStudy.metric(sc, i, 1, i, 0) - sc.baseline()) / sc.sigma();
            double y = (SimulatedStudy.metric(sc, i, 2, i, 0) - sc.baseline()) / sc.sigma();
            s1 += x;
            s2 += x * x;
            sxy += x * y;
        }
        assertThat(s1 / n).isBetween(-0.01, 0.01);
        assertThat(s2 / n).isBetween(0.98, 1.02);
        assertThat(sxy / n).isBetween(sc.rho() - 0.02, sc.rho() + 0.02);
    }
}
