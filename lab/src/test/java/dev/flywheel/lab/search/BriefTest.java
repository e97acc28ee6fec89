package dev.flywheel.lab.search;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Metric;
import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.recipe.Recipe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BriefTest {

    @Test
    void theExampleBriefIsTheDefaultSpaceWrittenOut() {
        var brief = Brief.defaults();
        assertThat(brief.title()).isEqualTo("Research brief: a better small GPT on a fixed number of tokens");
        assertThat(brief.metric()).isEqualTo(Metric.VAL_BPB);
        assertThat(brief.space()).isEqualTo(SearchSpace.defaults());
        assertThat(brief.studyBudget()).contains(new StudyBudget.Time(Duration.ofMinutes(10)));
        assertThat(brief.runBudget()).contains(new RunBudget.Tokens(250_000));
        assertThat(brief.noiseSeeds()).isEqualTo(3);
        assertThat(brief.keepSigmas()).isEqualTo(2.0);
        assertThat(brief.objective()).startsWith("Lower the validation bits per byte").doesNotContain("metric:");
        assertThat(brief.constraints()).startsWith("The evaluation data, the metric").doesNotContain("run_budget");
        assertThat(brief.baseline().isEmpty()).isTrue();
        assertThat(brief.startingRecipe()).isEqualTo(Recipe.defaults()); // the brief's run_budget is the recipe default
        assertThat(brief.text()).contains("## Notes for the researcher");
    }

    @Test
    void everyDimensionDescribesItselfInBriefSyntax() {
        var lines = new StringBuilder("## Search space\n");
        SearchSpace.defaults().describe().forEach(l -> lines.append("- ").append(l).append('\n'));
        assertThat(Brief.parse(lines.toString(), "x").space()).isEqualTo(SearchSpace.defaults());
    }

    @Test
    void forgivingSyntax() {
        var brief = Brief.parse("""
                Some preamble that is not a section.

                ### DIMENSIONS TO EXPLORE
                Try these first:
                * `optimizer.lr`: 1e-4..1e-2 log-scale   # around the default
                + optimizer.lr_typo_free = 0.001 to 0.01
                1. model.norm: layernorm | rmsnorm (both are cheap)
                - model.heads: [2, 4, 8]
                - model.layers: 2 – 6
                - optimizer.minLr: 1e-5 .. 1e-4 log
                """.replace("+ optimizer.lr_typo_free = 0.001 to 0.01\n", "+ optimizer.weight_decay = 0.01 to 0.2\n"), "b.md");
        assertThat(brief.space().dimensions()).containsExactly(
                Dimension.Numeric.log("optimizer.lr", 1e-4, 1e-2),
                Dimension.Numeric.linear("optimizer.weight_decay", 0.01, 0.2),
                Dimension.Categorical.of("model.norm", "layernorm", "rmsnorm"),
                Dimension.Categorical.of("model.heads", 2, 4, 8),
                Dimension.Numeric.linear("model.layers", 2, 6),
                Dimension.Numeric.log("optimizer.min_lr", 1e-5, 1e-4));
        assertThat(brief.title()).isEqualTo("Research brief");
    }

    @Test
    void defaultsCanBeExtendedNarrowedAndTrimmed() {
        var brief = Brief.parse("""
                # Tuning
                ## Search space
                - defaults
                - model.layers: 2 .. 12
                - model.position: fixed
                - guard.policy: detect, remediate
                """, "b.md");
        var space = brief.space();
        assertThat(space.dimension("model.layers")).contains(Dimension.Numeric.linear("model.layers", 2, 12));
        assertThat(space.dimension("model.position")).isEmpty();
        assertThat(space.dimension("guard.policy")).contains(Dimension.Categorical.of("guard.policy", "detect", "remediate"));
        assertThat(space.dimensions()).hasSize(SearchSpace.defaults().dimensions().size());
        // Only removals also start from the defaults.
        var trimmed = Brief.parse("## Search\n- model.bias: fixed\n", "b.md").space();
        assertThat(trimmed.dimensions()).hasSize(SearchSpace.defaults().dimensions().size() - 1);
        // A single default dimension can be picked by name.
        var picked = Brief.parse("## Search space\n- model.activation: default\n- optimizer.lr: default\n", "b.md").space();
        assertThat(picked.dimensions()).containsExactly(SearchSpace.defaults().dimension("model.activation").orElseThrow(),
                SearchSpace.defaults().dimension("optimizer.lr").orElseThrow());
        // No search-space section at all: the defaults.
        assertThat(Brief.parse("# Just a title\nDo your best.\n", "b.md").space()).isEqualTo(SearchSpace.defaults());
    }

    @Test
    void settingsAndBaseline() {
        var brief = Brief.parse("""
                # Shakespeare
                ## Goal
                Make it rhyme.
                metric: val_loss

                ## Limits
                * budget: 2h
                * run budget: 500steps
                * max_params: 2.5M
                * seeds: 5
                * keep sigmas: 1.5
                Note: never touch the tokenizer.

                ## Starting point
                - data.source: tinyshakespeare
                - data.tokenizer: char
                - data.split: contiguous
                - model.layers: 6
                - inject: nan@150, lr-spike@200:10
                """, "b.md");
        assertThat(brief.metric()).isEqualTo(Metric.VAL_LOSS);
        assertThat(brief.objective()).isEqualTo("Make it rhyme.");
        assertThat(brief.studyBudget()).contains(new StudyBudget.Time(Duration.ofHours(2)));
        assertThat(brief.runBudget()).contains(new RunBudget.Steps(500));
        assertThat(brief.space().maxParameters()).isEqualTo(OptionalLong.of(2_500_000));
        assertThat(brief.noiseSeeds()).isEqualTo(5);
        assertThat(brief.keepSigmas()).isEqualTo(1.5);
        assertThat(brief.constraints()).contains("Note: never touch the tokenizer.");
        var start = brief.startingRecipe();
        assertThat(start.data().source()).isEqualTo("tinyshakespeare");
        assertThat(start.data().tokenizer()).isEqualTo(Recipe.Data.Tokenizer.CHAR);
        assertThat(start.data().split()).isEqualTo(Recipe.Data.Split.CONTIGUOUS);
        assertThat(start.model().layers()).isEqualTo(6);
        assertThat(start.inject()).containsExactly("nan@150", "lr-spike@200:10");
        assertThat(start.runBudget()).isEqualTo(new RunBudget.Steps(500));
    }

    @Test
    void badLinesAreReportedWithLineNumbersAndFixes() {
        var markdown = """
                # Broken
                ## Constraints
                - run_budgte: 60s
                - study_budget: 500steps
                ## Search space
                - model.layrs: 1 .. 8
                - model.norm: layernorm, groupnorm
                - optimizer.lr: 0.01 .. 0.001
                - optimizer.lr: 1e-4 .. 1e-2 cubic
                - data.vocab: 4096, 8192
                - model.norm: 1 .. 2
                - just some words
                ## Baseline
                - model.heads: 3
                - model.dim: wide
                """;
        assertThatThrownBy(() -> Brief.parse(markdown, "b.md"))
                .isInstanceOf(Brief.BriefException.class)
                .satisfies(e -> assertThat(((Brief.BriefException) e).problems()).containsExactly(
                        "line 3: run_budgte is not a brief setting; did you mean run_budget?",
                        "line 4: budget \"500steps\" limits a single run; a study budget is a total time (30m, 2h) or a number of runs (50runs) — give steps as the run budget instead",
                        "line 6: model.layrs is not a recipe setting; did you mean model.layers?",
                        "line 7: model.norm must be one of layernorm, rmsnorm (got \"groupnorm\")",
                        "line 8: optimizer.lr: the range 0.01 .. 0.001 is empty; write the smaller bound first",
                        "line 9: \"cubic\" after the range of optimizer.lr is not understood; the range may be followed by \"log\" or \"linear\"",
                        "line 10: data.vocab is fixed by the study (the evaluation data, metric, seed and run budget are the same for every run) and cannot be searched; set it in the brief's Baseline section instead",
                        "line 11: model.norm is one of layernorm, rmsnorm, not a number; list its values instead, such as model.norm: layernorm, rmsnorm",
                        "line 12: \"just some words\" is not a dimension; write \"- path: min .. max [log]\", \"- path: a, b, c\" or \"- defaults\"",
                        "line 15: model.dim must be a whole number (got \"wide\"); write a whole number such as 4",
                        "line 13 (baseline): model: dim 128 is not divisible by heads 3; choose a dim that is a multiple of the number of heads"))
                .hasMessageStartingWith("brief b.md has 11 problems:\n  line 3: run_budgte");
        assertThatThrownBy(() -> Brief.parse("## Search space\n- model.layers: 0.2 .. 0.8\n", "one.md"))
                .hasMessage("brief one.md line 2: model.layers is a whole number, and no whole number lies in 0.2 .. 0.8");
        assertThatThrownBy(() -> Brief.parse("## Search space\n- model.layers: 0 .. 8\n", "one.md"))
                .hasMessage("brief one.md line 2: model.layers: the range reaches 0, which no recipe accepts (model.layers must be at least 1 (got 0)); narrow the range");
        assertThatThrownBy(() -> Brief.parse("## Search space\n- optimizer.beta2: 0.9, 0.99, 1.0\n", "one.md"))
                .hasMessageContaining("optimizer.beta2: 1.0, which no recipe accepts (optimizer.beta2 must be at least 0 and below 1 (got 1.0)); leave it out");
        // A value that only fails with the default of another setting is allowed: heads 3 suits dim 96.
        assertThat(Brief.parse("## Search space\n- model.heads: 1, 3\n- model.dim: 96, 192\n", "ok.md").space().dimensions()).hasSize(2);
    }

    @Test
    void baselineLinesAreCheckedTogetherAndProblemsPinnedToTheirLines() {
        // Heads 3 alone breaks the default width 128; with width 96 on the next line it is right.
        var start = Brief.parse("## Baseline\n- model.heads: 3\n- model.dim: 96\n", "b.md").startingRecipe();
        assertThat(start.model().heads()).isEqualTo(3);
        assertThatThrownBy(() -> Brief.parse("## Baseline\n- data.vocab: 100\n- model.layers: 0\n", "b.md"))
                .isInstanceOf(Brief.BriefException.class)
                .satisfies(e -> assertThat(((Brief.BriefException) e).problems()).containsExactly(
                        "line 2: data.vocab must be at least 257 (got 100); a BPE vocabulary holds the 256 bytes and <|endoftext|>, plus merges",
                        "line 3: model.layers must be at least 1 (got 0)"));
        assertThatThrownBy(() -> Brief.parse("## Baseline\n- model.layers 6\n", "b.md"))
                .hasMessage("brief b.md line 2: \"model.layers 6\" is not a setting; write \"- path: value\", such as \"- model.layers: 6\"");
    }

    @Test
    void emptySpaceIsAnError() {
        assertThatThrownBy(() -> Brief.parse("## Search space\n- defaults\n" + SearchSpace.defaults().dimensions().stream()
                .map(d -> "- " + d.path() + ": fixed\n").reduce("", String::concat), "e.md"))
                .hasMessageContaining("leaves the search space empty");
    }

    @Test
    void briefFilesAreRead(@TempDir Path dir) throws Exception {
        var file = dir.resolve("brief.md");
        Files.writeString(file, "# Mine\n## Search space\n- optimizer.lr: 1e-3 .. 3e-3 log\n");
        var brief = Brief.read(file);
        assertThat(brief.source()).isEqualTo(file.toString());
        assertThat(brief.space().dimensions()).hasSize(1);
        // What the brief allows, apply() enforces.
        var result = brief.space().apply(Recipe.defaults(), Change.of(Map.of("optimizer.lr", 0.01)));
        assertThat(result).isInstanceOf(ChangeResult.Rejected.class);
        assertThatThrownBy(() -> Brief.read(dir.resolve("missing.md"))).isInstanceOf(LabException.class)
                .hasMessageContaining("does not exist");
        assertThat(List.of(brief.title())).containsExactly("Mine");
    }
}
