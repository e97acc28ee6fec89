package dev.flywheel.lab.budget;

import dev.flywheel.lab.LabException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BudgetTest {

    @Test
    void runBudgetsParse() {
        assertThat(RunBudget.parse("60s")).isEqualTo(new RunBudget.Seconds(60));
        assertThat(RunBudget.parse("0.5s")).isEqualTo(new RunBudget.Seconds(0.5));
        assertThat(RunBudget.parse("10m")).isEqualTo(new RunBudget.Seconds(600));
        assertThat(RunBudget.parse("2h")).isEqualTo(new RunBudget.Seconds(7200));
        assertThat(RunBudget.parse("1h30m")).isEqualTo(new RunBudget.Seconds(5400));
        assertThat(RunBudget.parse("1 h 30 min")).isEqualTo(new RunBudget.Seconds(5400));
        assertThat(RunBudget.parse("90 seconds")).isEqualTo(new RunBudget.Seconds(90));
        assertThat(RunBudget.parse("500steps")).isEqualTo(new RunBudget.Steps(500));
        assertThat(RunBudget.parse("1 step")).isEqualTo(new RunBudget.Steps(1));
        assertThat(RunBudget.parse("1.5k steps")).isEqualTo(new RunBudget.Steps(1500));
        assertThat(RunBudget.parse("2M tokens")).isEqualTo(new RunBudget.Tokens(2_000_000));
        assertThat(RunBudget.parse("2m tokens")).isEqualTo(new RunBudget.Tokens(2_000_000));
        assertThat(RunBudget.parse("3B tokens")).isEqualTo(new RunBudget.Tokens(3_000_000_000L));
        assertThat(RunBudget.parse("1e15flops")).isEqualTo(new RunBudget.Flops(1e15));
        assertThat(RunBudget.parse("2.5T FLOPs")).isEqualTo(new RunBudget.Flops(2.5e12));
    }

    @Test
    void studyBudgetsParse() {
        assertThat(StudyBudget.parse("50runs")).isEqualTo(new StudyBudget.Runs(50));
        assertThat(StudyBudget.parse("1 run")).isEqualTo(new StudyBudget.Runs(1));
        assertThat(StudyBudget.parse("30m")).isEqualTo(new StudyBudget.Time(Duration.ofMinutes(30)));
        assertThat(StudyBudget.parse("2h")).isEqualTo(new StudyBudget.Time(Duration.ofHours(2)));
        assertThat(StudyBudget.parse("1.5h")).isEqualTo(new StudyBudget.Time(Duration.ofMinutes(90)));
        assertThat(StudyBudget.parse("1d")).isEqualTo(new StudyBudget.Time(Duration.ofDays(1)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''          | the budget is empty",
            "60          | budget \"60\" has no unit; write a time (60s, 10m, 2h)",
            "60x         | budget \"60x\" is not understood",
            "5 ms        | budget \"5 ms\" is not understood",
            "0s          | budget \"0s\" must be more than zero",
            "2.5steps    | budget \"2.5steps\" must be a whole number of steps (got 2.5)",
            "50runs      | budget \"50runs\" is a number of runs, which only a study can spend",
            "-3s         | budget \"-3s\" is not understood"})
    void badRunBudgetsSayWhatToWrite(String text, String message) {
        assertThatThrownBy(() -> RunBudget.parse(text)).isInstanceOf(LabException.class).hasMessageContaining(message);
    }

    @Test
    void badStudyBudgetsSayWhatToWrite() {
        assertThatThrownBy(() -> StudyBudget.parse("500steps"))
                .hasMessage("budget \"500steps\" limits a single run; a study budget is a total time (30m, 2h) or a number of runs (50runs) — give steps as the run budget instead");
        assertThatThrownBy(() -> StudyBudget.parse("2.5runs")).hasMessageContaining("whole number of runs");
    }

    @ParameterizedTest
    @CsvSource({"60s,60s", "600s,10m", "5400s,1h30m", "90s,90s", "150s,2m30s", "0.5s,0.5s", "500steps,500 steps",
            "10000steps,10k steps", "2M tokens,2M tokens", "1e15flops,1e15 flops", "1500 tokens,1500 tokens"})
    void runBudgetsFormatAndParseBack(String text, String formatted) {
        var budget = RunBudget.parse(text);
        assertThat(budget.format()).isEqualTo(formatted);
        assertThat(RunBudget.parse(budget.format())).isEqualTo(budget);
    }

    @Test
    void studyBudgetsFormatAndParseBack() {
        for (var text : new String[]{"30m", "2h", "1h30m", "50runs", "45s", "2m30s"}) {
            var budget = StudyBudget.parse(text);
            assertThat(budget.format()).isEqualTo(text);
            assertThat(StudyBudget.parse(budget.format())).isEqualTo(budget);
        }
    }

    @Test
    void theEngineCountsWhatARunBudgetAllows() {
        assertThat(RunBudget.parse("200steps").toEngine()).isEqualTo(new dev.flywheel.engine.TrainBudget.Steps(200));
        assertThat(RunBudget.parse("60s").toEngine()).isEqualTo(new dev.flywheel.engine.TrainBudget.Seconds(60));
        assertThat(RunBudget.parse("200k tokens").toEngine()).isEqualTo(new dev.flywheel.engine.TrainBudget.Tokens(200_000));
        assertThat(RunBudget.parse("1e12 flops").toEngine()).isEqualTo(new dev.flywheel.engine.TrainBudget.Flops(1e12));
        var tokens = RunBudget.parse("1k tokens").toEngine();
        assertThat(tokens.progress(999, 100, 0, 999)).as("tokens, not steps or seconds").isEqualTo(0.1);
        assertThat(tokens.spent(0, 1000, 0, 0)).isTrue();
        var study = StudyBudget.parse("10runs");
        assertThat(study.fraction(Duration.ofHours(5), 4)).isEqualTo(0.4);
        assertThat(StudyBudget.parse("10m").isSpent(Duration.ofMinutes(10), 0)).isTrue();
        assertThat(StudyBudget.parse("10m").isSpent(Duration.ofMinutes(9), 1000)).isFalse();
    }

    @Test
    void recipeKindsMapBothWays() {
        assertThat(RunBudget.of("steps", 300)).isEqualTo(new RunBudget.Steps(300));
        assertThat(RunBudget.of("flops", 1e15).kind()).isEqualTo("flops");
        assertThatThrownBy(() -> RunBudget.of("minutes", 3)).hasMessageContaining("use seconds, steps, tokens or flops");
        assertThatThrownBy(() -> RunBudget.of("tokens", 10.5)).hasMessageContaining("whole number");
        assertThatThrownBy(() -> new RunBudget.Seconds(Double.POSITIVE_INFINITY)).hasMessageContaining("finite number above zero");
    }
}
