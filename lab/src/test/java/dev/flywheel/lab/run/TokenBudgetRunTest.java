package dev.flywheel.lab.run;

import dev.flywheel.data.prep.DataCache;
import dev.flywheel.engine.Trainer;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.study.TinyStudies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A run under a token budget is the same run on a slower or busier machine: the same steps, learning rates and
 * metric, bit for bit — what lets a study re-run elsewhere make the same decisions for the same seeds.
 */
class TokenBudgetRunTest {

    @TempDir
    Path dir;

    /** A machine that stalls after every step, and checkpoints mid-run because of it. */
    static RunListener slowMachine() {
        return new RunListener() {
            @Override
            public void onStep(Trainer.StepStats stats) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    RunResult run(String id, Recipe recipe, RunListener listener, double checkpointEverySeconds) {
        return RecipeRunner.run(new RunSpec(id, recipe, dir.resolve(id), new DataCache(dir.resolve("cache")), 2, false,
                true, checkpointEverySeconds), listener);
    }

    @Test
    void aTokenBudgetGivesBitwiseTheSameRunWhenTheMachineIsSlower() {
        var recipe = TinyStudies.recipe(1).with(Map.of("budget", Map.of("kind", "tokens", "amount", 30 * 8 * 32 + 100),
                "eval.every", 10));
        var fast = run("fast", recipe, RunListener.NONE, 0);
        var slow = run("slow", recipe, slowMachine(), 0.1);
        assertThat(fast.ok()).isTrue();
        assertThat(fast.steps()).isEqualTo(31);
        assertThat(slow.steps()).isEqualTo(fast.steps());
        assertThat(slow.tokens()).isEqualTo(fast.tokens());
        assertThat(Double.doubleToLongBits(slow.valBpb())).isEqualTo(Double.doubleToLongBits(fast.valBpb()));
        assertThat(Double.doubleToLongBits(slow.valLoss())).isEqualTo(Double.doubleToLongBits(fast.valLoss()));
        assertThat(Double.doubleToLongBits(slow.testBpb())).isEqualTo(Double.doubleToLongBits(fast.testBpb()));
        assertThat(slow.curve()).as("every step's loss, learning rate and progress").isEqualTo(fast.curve());
        assertThat(slow.wallSeconds()).isGreaterThan(31 * 0.02);
    }

    @Test
    void theYardstickScoresTheSameTokensWhateverTheContext() {
        var recipe = TinyStudies.recipe(3);
        var shortContext = run("seq32", recipe, RunListener.NONE, 0);
        var longContext = run("seq64", recipe.with("model.seq", 64), RunListener.NONE, 0);
        var a = RecipeRunnerFacts.read(dir.resolve("seq32"));
        var b = RecipeRunnerFacts.read(dir.resolve("seq64"));
        assertThat(a.get("val_tokens")).isEqualTo(b.get("val_tokens")).isEqualTo(4096);
        assertThat(a.get("val_bytes")).isEqualTo(b.get("val_bytes"));
        assertThat(((Number) a.get("val_bpb_stderr")).doubleValue()).isPositive();
        assertThat(shortContext.ok() && longContext.ok()).isTrue();
    }

    /** The run's summary.json. */
    static final class RecipeRunnerFacts {
        @SuppressWarnings("unchecked")
        static Map<String, Object> read(Path runDir) {
            try {
                return dev.flywheel.lab.Json.MAPPER.readValue(runDir.resolve("summary.json").toFile(), Map.class);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
