package dev.flywheel.app;

import dev.flywheel.data.TestText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code research}, {@code studies}, {@code study show} and {@code runs show} as people and scripts call them. */
class ResearchCommandTest {

    static Path brief(Path dir) throws Exception {
        var brief = dir.resolve("brief.md");
        Files.writeString(brief, """
                # A tiny study

                ## Objective
                Lower the validation bits per byte of a tiny char model.

                ## Constraints
                - noise_seeds: 2

                ## Search space
                - optimizer.lr: 0.0003 .. 0.03 log
                - optimizer.min_lr: 0.00001 .. 0.003 log
                - schedule.warmup: 0 .. 40
                - model.norm: layernorm, rmsnorm
                - model.dim: 16, 32, 48

                ## Baseline
                - data.source: %s
                - data.tokenizer: char
                - model.layers: 1
                - model.heads: 2
                - model.dim: 32
                - model.seq: 32
                - batch.size: 8
                - optimizer.lr: 0.001
                - optimizer.min_lr: 0.0001
                - schedule.warmup: 20
                - eval.tokens: 4096
                - budget.kind: steps
                - budget.amount: 40
                """.formatted(TestText.shakespeare()));
        return brief;
    }

    @Test
    void researchRunsAStudyAndTheOtherCommandsShowIt(@TempDir Path dir) throws Exception {
        var lab = dir.resolve("lab").toString();
        var r = CliTest.run("research", "--lab", lab, "--brief", brief(dir).toString(), "--budget", "8runs", "--study", "cli",
                "--executor", "in-process", "--threads", "1", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        var j = r.json();
        for (var key : new String[]{"study", "runs", "kept", "baseline_bpb", "best_bpb", "noise_bpb", "test_bpb", "journal",
                "best_recipe", "results", "chart"})
            assertThat(j.has(key)).as("research --json has " + key).isTrue();
        assertThat(j.get("study").asText()).isEqualTo("cli");
        int runs = j.get("runs").asInt(); // the paired procedure's seeds and re-measures, within the 8 runs
        assertThat(runs).isBetween(4, 8);
        assertThat(j.get("best_bpb").asDouble()).isLessThanOrEqualTo(j.get("baseline_bpb").asDouble());
        assertThat(j.get("noise_bpb").asDouble()).isPositive();
        assertThat(j.get("test_bpb").asDouble()).isBetween(1.0, 7.0);
        assertThat(Path.of(j.get("journal").asText())).content().contains("## Summary");
        // the human lines went to stderr: which run, who proposed it, the decision
        assertThat(r.err()).contains("cli-001 · baseline").contains("· builtin").contains("⇒ ");

        var studies = CliTest.run("studies", "--lab", lab, "--json");
        assertThat(studies.code()).as(studies.err()).isZero();
        assertThat(studies.json().get("studies").get(0).get("study").asText()).isEqualTo("cli");
        assertThat(studies.json().get("studies").get(0).get("finished").asBoolean()).isTrue();

        var show = CliTest.run("study", "show", "cli", "--lab", lab);
        assertThat(show.code()).as(show.err()).isZero();
        assertThat(show.out()).contains("cli-003").contains("experiment").contains("builtin").contains("noise σ");
        var showJson = CliTest.run("study", "show", "cli", "--lab", lab, "--json").json();
        assertThat(showJson.get("runs")).hasSize(runs);

        var run = CliTest.run("runs", "show", "cli-003", "--lab", lab, "--json");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.json().get("proposer").asText()).isEqualTo("builtin");
        assertThat(run.json().get("hypothesis").asText()).isNotBlank();
        assertThat(run.json().get("decision").asText()).isIn("keep", "discard");
        assertThat(run.json().get("recipe").get("model.layers").asInt()).isEqualTo(1);

        // the best recipe is a recipe `train` accepts
        var train = CliTest.run("train", "--recipe", j.get("best_recipe").asText(), "--steps", "5", "--lab", lab,
                "--sample-tokens", "0", "--threads", "1", "--json");
        assertThat(train.code()).as(train.err()).isZero();

        // resuming a finished study changes nothing and reports it again
        var again = CliTest.run("research", "--lab", lab, "--study", "cli", "--resume", "--executor", "in-process", "--json");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.json().get("runs").asInt()).isEqualTo(runs);
        assertThat(again.json().get("best_bpb").asDouble()).isEqualTo(j.get("best_bpb").asDouble());

        // the finding on two fresh paired seeds: the figures a script reads (a gain of 0 when nothing was kept)
        var rep = CliTest.run("replicate", "cli", "--seeds", "2", "--lab", lab, "--executor", "in-process", "--threads", "1", "--json");
        assertThat(rep.code()).as(rep.err()).isZero();
        for (var key : new String[]{"gain_bpb", "gain_ci", "test_gain_bpb", "test_gain_ci", "ablations", "seeds"})
            assertThat(rep.json().has(key)).as("replicate --json has " + key).isTrue();
        assertThat(rep.json().get("gain_ci")).hasSize(2);
        assertThat(rep.json().get("ablations")).hasSize(j.get("kept").asInt());
    }

    @Test
    void mistakesEndInOneSentenceAndExitCodeTwo(@TempDir Path dir) throws Exception {
        var lab = dir.resolve("lab").toString();
        var brief = brief(dir).toString();
        String[][] cases = {
                {"research", "--lab", lab, "--resume"},
                {"research", "--lab", lab, "--resume", "--study", "ghost"},
                {"research", "--lab", lab, "--researcher", "oracle"},
                {"research", "--lab", lab, "--budget", "5"},
                {"research", "--lab", lab, "--run-budget", "3runs"},
                {"research", "--lab", lab, "--brief", dir.resolve("missing.md").toString()},
                {"research", "--lab", lab, "--brief", brief, "--data", dir.resolve("nothing.txt").toString()},
                {"study", "show", "nope", "--lab", lab},
                {"runs", "show", "nope-001", "--lab", lab},
                {"replicate", "nope", "--lab", lab},
                {"replicate", "nope", "--lab", lab, "--seeds", "1"},
        };
        for (var args : cases) {
            var r = CliTest.run(args);
            var what = String.join(" ", args);
            assertThat(r.code()).as(what + "\n" + r.err()).isEqualTo(2);
            assertThat(r.err()).as(what).contains("flywheel: ").doesNotContain("Exception").doesNotContain("\tat ");
        }
    }
}
