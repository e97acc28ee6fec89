package dev.flywheel.lab.study;

import dev.flywheel.lab.Metric;
import dev.flywheel.lab.run.EventAction;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.Outcome;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunResult;
import dev.flywheel.lab.run.RunStatus;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What the store records for a run's result ({@link RunScheduler#outcome}): pure, no training. */
class RunOutcomeMappingTest {

    static final RunEvent EARLY_STOP = new RunEvent(50, EventKind.EARLY_STOP, "successive-halving",
            Map.of("progress", 0.52, "train_loss", 3.1), EventAction.STOP, "stopped early at rung 1");
    static final RunEvent KILLED = new RunEvent(0, EventKind.KILLED, "run-time-limit", Map.of("limit_seconds", 60.0),
            EventAction.KILL, "killed after 90 s");

    static RunResult result(RunStatus status, double bpb, String error, List<RunEvent> events) {
        return new RunResult("s-001", status, bpb * 0.7, bpb, Double.NaN, 3.0, 100, 25_600, 12.5, 14.0, 1000, 2048,
                Path.of("ck"), error, List.of(new RunResult.CurvePoint(100, 0.6, 3.0, 1e-3, 0.5)), events);
    }

    @Test
    void aFinishedRunIsRecordedWithItsMetricAndCheckpoint() {
        var o = RunScheduler.outcome(result(RunStatus.FINISHED, 1.8, null, List.of()), Metric.VAL_BPB);
        assertThat(o.end()).isEqualTo(Outcome.FINISHED);
        assertThat(o.status()).isEqualTo(RunStatus.FINISHED);
        assertThat(o.metric()).isEqualTo(1.8);
        assertThat(o.checkpointPath()).isEqualTo("ck");
        assertThat(o.error()).isNull();
        assertThat(o.stoppedAt()).isNull();
        assertThat(RunScheduler.outcome(result(RunStatus.FINISHED, 1.8, null, List.of()), Metric.VAL_LOSS).metric())
                .isEqualTo(1.8 * 0.7);
    }

    @Test
    void aRunStoppedEarlyKeepsItsMetricAndWhereTheRungStoppedIt() {
        var o = RunScheduler.outcome(result(RunStatus.STOPPED, 2.1, null, List.of(EARLY_STOP)), Metric.VAL_BPB);
        assertThat(o.end()).isEqualTo(new Outcome.StoppedEarly(0.52, "stopped early at rung 1"));
        assertThat(o.status()).isEqualTo(RunStatus.STOPPED);
        assertThat(o.stoppedAt()).isEqualTo(0.52);
        assertThat(o.metric()).isEqualTo(2.1);
        // without an early-stop event (an older result.json), the curve's last point says how far it got
        var noEvent = RunScheduler.outcome(result(RunStatus.STOPPED, 2.1, null, List.of()), Metric.VAL_BPB);
        assertThat(noEvent.end()).isEqualTo(new Outcome.StoppedEarly(0.6, "stopped early"));
    }

    @Test
    void aNonFiniteMetricIsADivergence() {
        for (var status : List.of(RunStatus.FINISHED, RunStatus.STOPPED)) {
            var o = RunScheduler.outcome(result(status, Double.NaN, null, List.of(EARLY_STOP)), Metric.VAL_BPB);
            assertThat(o.end()).isEqualTo(new Outcome.Diverged("the validation metric is not finite (NaN)"));
            assertThat(o.metric()).isNull();
            assertThat(o.checkpointPath()).isNull();
            assertThat(o.stoppedAt()).isNull();
        }
        var guard = RunScheduler.outcome(result(RunStatus.DIVERGED, Double.POSITIVE_INFINITY, null,
                List.of(new RunEvent(7, EventKind.DIVERGENCE, "guard", Map.of(), EventAction.STOP, "loss went to NaN"))),
                Metric.VAL_BPB);
        assertThat(guard.end()).isEqualTo(new Outcome.Diverged("loss went to NaN"));
        assertThat(guard.metric()).isNull();
        assertThat(guard.checkpointPath()).isEqualTo("ck");
    }

    @Test
    void aCrashIsACrashUnlessTheProcessWasKilled() {
        var crash = RunScheduler.outcome(result(RunStatus.CRASHED, Double.NaN, "out of memory", List.of()), Metric.VAL_BPB);
        assertThat(crash.end()).isEqualTo(new Outcome.Crashed("out of memory"));
        assertThat(crash.status()).isEqualTo(RunStatus.CRASHED);
        assertThat(RunScheduler.outcome(result(RunStatus.CRASHED, 1.8, null, List.of()), Metric.VAL_BPB).end())
                .isEqualTo(new Outcome.Crashed("the run crashed"));
        var killed = RunScheduler.outcome(result(RunStatus.CRASHED, Double.NaN, "killed after 90 s", List.of(KILLED)),
                Metric.VAL_BPB);
        assertThat(killed.end()).isEqualTo(new Outcome.Killed("killed after 90 s"));
        assertThat(killed.status()).isEqualTo(RunStatus.KILLED);
        assertThat(killed.metric()).isNull();
        assertThat(killed.steps()).isEqualTo(100);
    }
}
