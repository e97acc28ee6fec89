package dev.flywheel.lab.run;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one run status: its ids are the words already in stores and result.json files. */
class RunStatusTest {

    @Test
    void theIdsAreTheStoredWords() {
        assertThat(Arrays.stream(RunStatus.values()).map(RunStatus::id))
                .containsExactly("queued", "running", "finished", "stopped", "diverged", "crashed", "killed");
        for (var s : RunStatus.values()) assertThat(RunStatus.of(s.id())).isEqualTo(s);
        assertThat(RunStatus.of("FINISHED")).isEqualTo(RunStatus.FINISHED);
        assertThatThrownBy(() -> RunStatus.of("done")).hasMessageContaining("unknown run status 'done'");
    }

    @Test
    void onlyFinishedAndStoppedRunsWereEvaluated() {
        assertThat(Arrays.stream(RunStatus.values()).filter(RunStatus::evaluated))
                .containsExactly(RunStatus.FINISHED, RunStatus.STOPPED);
        assertThat(Arrays.stream(RunStatus.values()).filter(s -> !s.isFinal()))
                .containsExactly(RunStatus.QUEUED, RunStatus.RUNNING);
    }

    @Test
    void aStoredRunsOutcomeComesFromItsStatusStoppedAtAndError() {
        assertThat(Outcome.of(RunStatus.RUNNING, null, null)).isNull();
        assertThat(Outcome.of(RunStatus.FINISHED, null, null)).isEqualTo(Outcome.FINISHED);
        assertThat(Outcome.of(RunStatus.STOPPED, 0.5, "rung 1")).isEqualTo(new Outcome.StoppedEarly(0.5, "rung 1"));
        assertThat(Outcome.of(RunStatus.DIVERGED, null, "NaN")).isEqualTo(new Outcome.Diverged("NaN"));
        assertThat(Outcome.of(RunStatus.CRASHED, null, "oom")).isEqualTo(new Outcome.Crashed("oom"));
        assertThat(Outcome.of(RunStatus.KILLED, null, "limit")).isEqualTo(new Outcome.Killed("limit"));
        for (var s : RunStatus.values())
            if (s.isFinal()) assertThat(Outcome.of(s, 0.5, "x").status()).isEqualTo(s);
        assertThat(Outcome.FINISHED.finished()).isTrue();
        assertThat(new Outcome.StoppedEarly(0.5, null).finished()).isFalse();
    }
}
