package dev.flywheel.lab.guard;

import dev.flywheel.data.prep.DataCache;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.EventAction;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.RecipeRunner;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunListener;
import dev.flywheel.lab.run.RunResult;
import dev.flywheel.lab.run.RunSpec;
import dev.flywheel.lab.run.RunStatus;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The guard on real (tiny) training runs of Tiny Shakespeare with injected faults, end to end: the injection,
 * the detection, the replay that explains it and the remediation. The rules themselves are tested on synthetic
 * statistics (DetectorTest, RemedyTest); what an unguarded run pays is measured by tools/guard_acceptance.sh.
 */
class GuardTest {

    @TempDir
    static Path dir;
    static DataCache cache;

    static Path shakespeare() {
        // FLYWHEEL_SHARED, else the folder 'shared' beside the repository (as CI has it)
        var shared = System.getenv("FLYWHEEL_SHARED");
        for (Path p : new Path[] {shared == null ? null : Path.of(shared, "data/tinyshakespeare/input.txt"),
                Path.of("../../shared/data/tinyshakespeare/input.txt"), Path.of("../shared/data/tinyshakespeare/input.txt")}) {
            if (p != null && Files.isRegularFile(p)) return p.toAbsolutePath();
        }
        throw new IllegalStateException("tests need Tiny Shakespeare: set FLYWHEEL_SHARED to the folder holding "
                + "data/tinyshakespeare (normally 'shared' beside the repository)");
    }

    @BeforeAll
    static void data() {
        cache = new DataCache(dir.resolve("cache"));
    }

    static Recipe recipe(String guard, String... inject) {
        return Recipe.defaults().with(Map.ofEntries(
                Map.entry("data.source", shakespeare().toString()), Map.entry("data.tokenizer", "char"),
                Map.entry("data.split", "contiguous"), Map.entry("model.layers", 2), Map.entry("model.heads", 2),
                Map.entry("model.dim", 32), Map.entry("model.seq", 32), Map.entry("batch.size", 8),
                Map.entry("budget", Map.of("kind", "steps", "amount", 200)), Map.entry("schedule.warmup", 20),
                Map.entry("optimizer.lr", 3e-3), Map.entry("optimizer.min_lr", 3e-4), Map.entry("eval.tokens", 10240),
                Map.entry("guard.policy", guard), Map.entry("inject", List.of(inject))));
    }

    static RunResult run(String name, Recipe r) {
        return RecipeRunner.run(new RunSpec(name, r, dir.resolve(name), cache, 2, false, false, 0), RunListener.NONE);
    }

    static List<RunEvent> events(RunResult r, EventKind kind) {
        return r.events().stream().filter(e -> e.kind() == kind).toList();
    }

    @Test
    void nanIsKeptOutOfTheWeightsAndTheEventsAreWrittenToTheRunDirectory() {
        var guarded = run("nan-guarded", recipe("remediate", "nan@120"));
        assertThat(guarded.status()).isEqualTo(RunStatus.FINISHED);
        var nan = events(guarded, EventKind.NAN);
        assertThat(nan).hasSize(1);
        assertThat(nan.getFirst().step()).isEqualTo(120);
        assertThat(nan.getFirst().action()).isEqualTo(EventAction.SKIP);
        assertThat(nan.getFirst().measured().get("cause")).isEqualTo("not-reproduced");
        assertThat(guarded.valLoss()).isFinite();
        var read = RecipeRunner.readEvents(dir.resolve("nan-guarded").resolve(RecipeRunner.EVENTS));
        assertThat(read).isEqualTo(guarded.events());
        assertThat(read.stream().map(RunEvent::kind)).contains(EventKind.INJECT, EventKind.NAN);
    }

    @Test
    @SuppressWarnings("unchecked")
    void corruptBatchesAreSkippedAndTracedToTheirDocuments() {
        var guarded = run("corrupt-guarded", recipe("remediate", "corrupt-batch@120:10"));
        var injected = (List<String>) events(guarded, EventKind.INJECT).getFirst().measured().get("documents");
        var spikes = events(guarded, EventKind.SPIKE);
        assertThat(spikes).as("every corrupt batch is caught").hasSize(10);
        for (var s : spikes) {
            assertThat(s.measured().get("cause")).isEqualTo("data");
            assertThat(s.action()).isEqualTo(EventAction.SKIP);
            var top = ((List<Map<String, Object>>) s.measured().get("top_documents")).stream()
                    .map(d -> (String) d.get("document")).limit(3).toList();
            assertThat(injected).as("the top 3 suspects of the spike at data step %s", s.measured()).containsAll(top);
        }
        assertThat(guarded.status()).isEqualTo(RunStatus.FINISHED);
    }

    /**
     * Issue 22: a genuine spike at step 72 of a BPE run (the first layer's gradient norm 0.08 → 0.96, and the
     * loss 6.42 → 7.63 a step later) was blamed on the data, every later batch was skipped as a spike and the run
     * was aborted as diverged, while the same run unguarded recovers. The issue's command with 200 steps instead
     * of 600 (the warm-up is in steps, so steps 0–99 and the spike are the same): the guard must roll back, and end
     * finished and no worse than the run without it.
     *
     * <p>The tolerance, 0.01 bits per byte: about one seed-to-seed standard deviation of this recipe at this
     * length (0.011 over 19 seeds in docs/guard.md's sweep), and the most a guarded run of the sweep ended worse
     * than its unguarded twin by (0.012, gradient clipping alone perturbing the trajectory). This run measured
     * 2.6662 guarded against 2.6675 unguarded; before the fix the guarded run aborted at step 72.
     */
    @Test
    void aGenuineSpikeEarlyInTrainingIsRolledBackAndTheRunEndsAsWellAsUnguarded() throws Exception {
        Path data = Files.createDirectories(dir.resolve("issue22")).resolve("tinyshakespeare.txt");
        Files.copy(shakespeare(), data, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        var guarded = run("issue22-guarded", issue22(data, "remediate"));
        var unguarded = run("issue22-unguarded", issue22(data, "off"));
        assertThat(unguarded.status()).isEqualTo(RunStatus.FINISHED);
        assertThat(guarded.status()).as("events %s", guarded.events()).isEqualTo(RunStatus.FINISHED);
        var spikes = events(guarded, EventKind.SPIKE);
        assertThat(spikes).as("the spike at step 72, and nothing made of every batch after it").hasSizeLessThan(5);
        var first = spikes.getFirst();
        assertThat(first.step()).isEqualTo(72);
        assertThat(first.measured().get("cause")).isEqualTo("optimizer");
        assertThat(first.action().rolledBack()).isTrue();
        assertThat(guarded.events()).noneMatch(e -> e.action() == EventAction.ABORT || e.action() == EventAction.SKIP);
        assertThat(guarded.valBpb()).isLessThanOrEqualTo(unguarded.valBpb() + 0.01);
    }

    static Recipe issue22(Path data, String guard) {
        return Recipe.defaults().with(Map.ofEntries(
                Map.entry("data.source", data.toString()), Map.entry("data.tokenizer", "bpe"), Map.entry("data.vocab", 2048),
                Map.entry("data.split", "hash"), Map.entry("model.layers", 4), Map.entry("model.heads", 4),
                Map.entry("model.dim", 128), Map.entry("model.seq", 64), Map.entry("batch.size", 12),
                Map.entry("optimizer.lr", 1e-3), Map.entry("optimizer.min_lr", 1e-4), Map.entry("optimizer.beta2", 0.99),
                Map.entry("optimizer.weight_decay", 0.1), Map.entry("schedule.warmup", 100), Map.entry("seed", 3002),
                Map.entry("budget", Map.of("kind", "steps", "amount", 200)), Map.entry("guard.policy", guard)));
    }

    @Test
    void aLearningRateSpikeIsRolledBackAndBlamedOnTheOptimizer() {
        var guarded = run("lr-guarded", recipe("remediate", "lr-spike@120:100"));
        var injected = events(guarded, EventKind.INJECT).getFirst();
        assertThat(injected.value("factor")).isEqualTo(100.0);
        var spike = events(guarded, EventKind.SPIKE).getFirst();
        assertThat(spike.step()).isBetween(121L, 125L);
        assertThat(spike.measured().get("cause")).isEqualTo("optimizer");
        assertThat(spike.action().rolledBack()).isTrue();
        assertThat(guarded.status()).isEqualTo(RunStatus.FINISHED);
    }
}
