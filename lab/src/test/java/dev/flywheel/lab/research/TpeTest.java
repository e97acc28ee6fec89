package dev.flywheel.lab.research;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** TPE proposes inside the unit cube and, on a synthetic objective, concentrates where the good points are. */
class TpeTest {

    /** A bowl with its minimum at (0.2, 0.7), plus a flat third dimension that does not matter. */
    static double objective(double[] x) {
        return Math.pow(x[0] - 0.2, 2) + Math.pow(x[1] - 0.7, 2);
    }

    static double distance(double[] x) {
        return Math.hypot(x[0] - 0.2, x[1] - 0.7);
    }

    @RepeatedTest(5)
    void concentratesOnTheGoodRegionAndBeatsRandomSearch(RepetitionInfo info) {
        long seed = info.getCurrentRepetition();
        var tpe = new Tpe();
        var rng = new Random(seed);
        var obs = new ArrayList<Tpe.Observation>();
        boolean[] all = {true, true, true};
        for (int i = 0; i < 40; i++) {
            var x = i < 6 ? new double[]{rng.nextDouble(), rng.nextDouble(), rng.nextDouble()}
                    : tpe.propose(obs, all, new double[]{0.5, 0.5, 0.5}, rng).x();
            for (double v : x) assertThat(v).isBetween(0.0, 1.0);
            obs.add(new Tpe.Observation(x, objective(x)));
        }
        // the last 15 proposals sit much closer to the optimum than uniform points (mean distance ≈ 0.4)
        double late = obs.subList(25, 40).stream().mapToDouble(o -> distance(o.x())).average().orElseThrow();
        assertThat(late).isLessThan(0.2);
        double bestTpe = obs.stream().mapToDouble(Tpe.Observation::score).min().orElseThrow();
        var random = new Random(seed + 1000);
        double bestRandom = Double.MAX_VALUE;
        for (int i = 0; i < 40; i++)
            bestRandom = Math.min(bestRandom, objective(new double[]{random.nextDouble(), random.nextDouble()}));
        assertThat(bestTpe).isLessThan(Math.max(bestRandom, 0.002));
    }

    @Test
    void leavesInactiveDimensionsAtTheBaseAndDrawsUniformlyWithoutData() {
        var tpe = new Tpe();
        var rng = new Random(3);
        var obs = List.of(new Tpe.Observation(new double[]{0.1, 0.9}, 1.0), new Tpe.Observation(new double[]{0.8, 0.2}, 2.0),
                new Tpe.Observation(new double[]{0.15, 0.5}, 0.5));
        for (int i = 0; i < 50; i++) {
            var p = tpe.propose(obs, new boolean[]{true, false}, new double[]{0.4, 0.33}, rng);
            assertThat(p.x()[1]).isEqualTo(0.33);
            assertThat(p.x()[0]).isBetween(0.0, 1.0);
        }
        var lone = tpe.propose(List.of(), new boolean[]{true, true}, new double[]{0.5, 0.5}, rng);
        assertThat(lone.x()).hasSize(2);
        // the good point's neighbourhood has a higher density ratio than the bad point's
        assertThat(tpe.logRatio(obs, new double[]{0.15, 0.5})).isGreaterThan(tpe.logRatio(obs, new double[]{0.8, 0.2}));
    }
}
