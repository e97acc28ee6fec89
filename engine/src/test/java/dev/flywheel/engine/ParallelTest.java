package dev.flywheel.engine;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParallelTest {

    /**
     * Back-to-back loops whose chunk counts alternate between few and many, on more threads than the machine has
     * cores, so that workers are often still leaving one loop while the next is published: every index of every
     * loop must run exactly once.
     */
    @Test
    void everyIndexOfEveryLoopRunsExactlyOnce() {
        int threads = Runtime.getRuntime().availableProcessors() + 1;
        try (var pool = new Parallel(threads)) {
            for (int loop = 0; loop < 20_000; loop++) {
                int n = loop % 2 == 0 ? 2 + loop % 3 : 200 + loop % 97;
                var visits = new AtomicIntegerArray(n);
                pool.parallelFor(n, (s, e) -> {
                    for (int i = s; i < e; i++) visits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++)
                    assertThat(visits.get(i)).as("visits of index %d in loop %d (n=%d)", i, loop, n).isEqualTo(1);
            }
        }
    }

    @Test
    void aFailureInABodyReachesTheCaller() {
        try (var pool = new Parallel(2)) {
            assertThatThrownBy(() -> pool.parallelFor(100, (s, e) -> {
                if (s == 0) throw new IllegalStateException("boom");
            })).isInstanceOf(IllegalStateException.class).hasMessage("boom");
            int[] sum = new int[1];
            pool.parallelFor(1, (s, e) -> sum[0] += e - s);
            assertThat(sum[0]).as("the pool still works after a failure").isEqualTo(1);
        }
    }
}
