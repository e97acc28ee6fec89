package dev.flywheel.lab.study;

import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.exec.Executor;
import dev.flywheel.lab.exec.ResultFile;
import dev.flywheel.lab.exec.RunJob;
import dev.flywheel.lab.exec.RunWatcher;
import dev.flywheel.lab.journal.ResultsTsv;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RunResult;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.store.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The study's rules — noise floor, keep/discard, confirmation of close calls, failed runs, rejected changes,
 * the budget — with an executor whose results are scripted per recipe, so each rule is hit exactly.
 */
class StudyRulesTest {

    /** Results by recipe: a metric (or a crash for NaN) for each recipe the study runs. */
    record Scripted(Function<Recipe, Double> metric) implements Executor {
        @Override
        public RunResult execute(RunJob job, RunWatcher watcher) {
            double m = metric.apply(job.recipe());
            var r = Double.isNaN(m)
                    ? new RunResult(job.runId(), RunStatus.CRASHED, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0, 0,
                    0.1, 0, Double.NaN, null, "out of memory at step 3: the model or batch is too large for the heap", List.of(), List.of())
                    : new RunResult(job.runId(), RunStatus.FINISHED, m * Math.log(2), m, Double.NaN, m, 10, 100, 0.5, 0.6,
                    1000, 200, null, null, List.of(), List.of());
            ResultFile.write(job.resultFile(), r);
            return r;
        }

        @Override
        public String describe() {
            return "scripted";
        }
    }

    static double bySeedAndLr(Recipe r) {
        if (r.model().dim() != 32) return 1.90;                                // the scale check: no gain at scale
        double lr = r.optimizer().lr();
        int seed = (int) (r.seed() - 1337);
        if (lr == 0.001) return at(seed, 2.00, 2.01, 1.99);          // the baseline: mean 2.00, σ 0.01
        if (lr == 0.002) return at(seed, 1.975, 1.970);              // a close call that holds
        if (lr == 0.004) return at(seed, 1.952, 1.975);              // a close call that fades (best is now 1.9725)
        if (lr == 0.008) return Double.NaN;                                    // a crash
        if (lr == 0.0005) return 1.80;                                         // a clear win
        return 2.5;
    }

    /** The scripted metric on seed {@code seed}; seeds past the script (the replication's fresh ones) repeat the last. */
    static double at(int seed, double... values) {
        return values[Math.min(seed, values.length - 1)];
    }

    Study open(Path lab, Store store, String budget) {
        // these rules are the keep rule's (k·σ, a close call confirmed once): studies made before the paired procedure
        var settings = TinyStudies.settings(lab, "rules", TinyStudies.brief(10, 3), "builtin", budget, 1,
                DecisionSettings.keepRule());
        return Study.open(settings, false, store, new Scripted(StudyRulesTest::bySeedAndLr), StudyListener.NONE);
    }

    @Test
    void closeCallsAreConfirmedAndFailuresAreResults(@TempDir Path lab) throws Exception {
        var store = Store.open(lab.resolve("flywheel.db"));
        var study = open(lab, store, "34runs"); // 20 for these rules, 14 held back for the scale check after a keep
        study.runBaseline();
        var s0 = study.state();
        assertThat(s0.baseline().metric()).isCloseTo(2.00, within(1e-12));
        assertThat(s0.noise().measured()).isCloseTo(0.01, within(1e-12));
        assertThat(s0.noise().dof()).isEqualTo(2);

        var held = study.runExperiment("builtin", "a higher rate", Change.of(Map.of("optimizer.lr", 0.002, "optimizer.min_lr", 0.0002)), 1);
        assertThat(held.runs()).hasSize(2);                       // the close call got a confirmation run
        assertThat(held.decision()).isEqualTo("keep");
        assertThat(held.metric()).isCloseTo(1.9725, within(1e-12));
        assertThat(held.sigmas()).isCloseTo(2.75, within(1e-9));
        assertThat(held.bestAfter()).isCloseTo(1.9725, within(1e-12));
        var confirm = store.run(held.runs().get(1)).orElseThrow();
        assertThat(confirm.role()).isEqualTo(Role.CONFIRM);
        assertThat(confirm.recipe().seed()).isEqualTo(1338);
        assertThat(confirm.experiment()).isEqualTo(held.experiment());

        var faded = study.runExperiment("builtin", "higher still", Change.of(Map.of("optimizer.lr", 0.004, "optimizer.min_lr", 0.0004)), 1);
        // against 1.9725 with σ now pooled over the baseline and the confirmed pair
        assertThat(faded.noiseFloor()).isCloseTo(Math.sqrt((2 * 1e-4 + 1.25e-5) / 3), within(1e-12));
        assertThat(faded.runs()).hasSize(2);
        assertThat(faded.decision()).isEqualTo("discard");
        assertThat(study.bestRecipe().optimizer().lr()).isEqualTo(0.002);

        var crashed = study.runExperiment("claude-test", "far higher", Change.of(Map.of("optimizer.lr", 0.008, "optimizer.min_lr", 0.0008)), 1);
        assertThat(crashed.status()).isEqualTo("crashed");
        assertThat(crashed.decision()).isEqualTo("discard");
        assertThat(crashed.rationale()).contains("out of memory");

        var two = study.runExperiment("builtin", "lower, two seeds", Change.of(Map.of("optimizer.lr", 0.0005, "optimizer.min_lr", 0.00005)), 2);
        assertThat(two.runs()).hasSize(2);
        assertThat(store.run(two.runs().get(1)).orElseThrow().role()).isEqualTo(Role.EXPERIMENT);
        assertThat(two.decision()).isEqualTo("keep");

        // invalid changes are rejected with a message that says what to fix, and nothing runs
        int before = store.runs("rules").size();
        assertThatThrownBy(() -> study.runExperiment("x", "h", Change.of("data.source", "elsewhere"), 1))
                .isInstanceOf(LabException.class).hasMessageContaining("data.source is fixed by the study");
        assertThatThrownBy(() -> study.runExperiment("x", "h", Change.of("optimizer.lr", 5.0), 1))
                .isInstanceOf(LabException.class).hasMessageContaining("outside this study's search space");
        assertThatThrownBy(() -> study.runExperiment("x", "h", Change.of("model.layrs", 2), 1))
                .isInstanceOf(LabException.class).hasMessageContaining("did you mean model.layers");
        assertThat(store.runs("rules")).hasSize(before);

        // the journal has every decided run once, with its proposer; the chart exists
        var rows = ResultsTsv.read(lab.resolve("studies/rules/results.tsv"));
        assertThat(rows).extracting(ResultsTsv.Row::run).doesNotHaveDuplicates().hasSize(store.runs("rules").size());
        assertThat(rows).filteredOn(r -> r.status().equals("crash")).hasSize(1);
        var journal = Files.readString(lab.resolve("studies/rules/journal.md"));
        assertThat(journal).contains("Proposed by **claude-test**").contains("Confirming a close call");
        assertThat(lab.resolve("studies/rules/progress.png")).isNotEmptyFile();

        var table = study.state().table();
        assertThat(table).contains("confirm").contains("crashed");
        var c = study.finish("done");
        assertThat(c.kept()).isEqualTo(2);
        assertThat(c.bestMetric()).isCloseTo(1.80, within(1e-12));
        // the scripted scale runs show no gain: the kept changes are reported, not exported
        assertThat(c.scaleHeld()).isFalse();
        assertThat(Recipe.read(c.candidateRecipe()).optimizer().lr()).isEqualTo(0.0005);
        assertThat(Recipe.read(c.bestRecipe()).optimizer().lr()).isEqualTo(0.001);
        assertThat(study.finish(null)).isSameAs(c);
        assertThatThrownBy(() -> study.runExperiment("x", "h", Change.of("optimizer.lr", 0.003), 1))
                .isInstanceOf(LabException.class).hasMessageContaining("finished");
    }

    @Test
    void seedsRunSideBySideWithConcurrency(@TempDir Path lab) {
        var store = Store.open(lab.resolve("flywheel.db"));
        var running = new java.util.concurrent.atomic.AtomicInteger();
        var most = new java.util.concurrent.atomic.AtomicInteger();
        var scripted = new Scripted(StudyRulesTest::bySeedAndLr);
        Executor slow = new Executor() {
            public RunResult execute(RunJob job, RunWatcher watcher) {
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                try {
                    Thread.sleep(300);
                    return scripted.execute(job, watcher);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                } finally {
                    running.decrementAndGet();
                }
            }

            public String describe() {
                return "slow";
            }
        };
        var settings = TinyStudies.settings(lab, "side", TinyStudies.brief(10, 3), "builtin", "20runs", 3,
                DecisionSettings.keepRule());
        var study = Study.open(settings, false, store, slow, StudyListener.NONE);
        study.runBaseline();
        assertThat(most.get()).isEqualTo(3);
        assertThat(study.state().noise().measured()).isCloseTo(0.01, within(1e-12));
        var two = study.runExperiment("builtin", "two seeds at once", Change.of(Map.of("optimizer.lr", 0.0005, "optimizer.min_lr", 0.00005)), 2);
        assertThat(two.kept()).isTrue();
        assertThat(store.runs("side")).hasSize(5).allSatisfy(r -> assertThat(r.status().isFinal()).isTrue());
        assertThat(ResultsTsv.read(lab.resolve("studies/side/results.tsv"))).hasSize(5);
    }

    @Test
    void theBudgetEndsExperimentsAndKeepsRoomForTheScaleCheck(@TempDir Path lab) {
        var store = Store.open(lab.resolve("flywheel.db"));
        var study = open(lab, store, "32runs");
        study.runBaseline();
        assertThat(study.canRunExperiment()).isTrue();
        var win = study.runExperiment("builtin", "a clear win", Change.of(Map.of("optimizer.lr", 0.0005, "optimizer.min_lr", 0.00005)), 1);
        assertThat(win.kept()).isTrue();
        // 4 runs used; with a kept change the end's runs are held back — the scale check's 8 (a finding of rates only
        // runs each arm at its own rate) and a replication's 6 (2 recipes × 3 seeds): 14, within half of 32
        for (int i = 5; i <= 32 - 14; i++) {
            assertThat(study.canRunExperiment()).isTrue();
            study.runExperiment("builtin", "a nudge", Change.of("schedule.warmup", i), 1);
        }
        assertThat(store.runs("rules")).hasSize(18);
        assertThat(study.canRunExperiment()).isFalse();
        assertThatThrownBy(() -> study.runExperiment("builtin", "more", Change.of("optimizer.lr", 0.002), 1))
                .isInstanceOf(LabException.class).hasMessageContaining("budget is spent");
        var c = study.finish(null);
        assertThat(c.scaleHeld()).isNotNull();
        assertThat(store.runs("rules").stream().filter(r -> r.role() == Role.SCALE)).hasSize(8);
        assertThat(store.runs("rules").stream().filter(r -> r.role() == Role.REPLICATION)).hasSize(6);
    }

    @Test
    void aBudgetTooShortForItsEndSearchesToTheEndAndSaysTheCheckWasSkipped(@TempDir Path lab) {
        var store = Store.open(lab.resolve("flywheel.db"));
        var study = open(lab, store, "6runs");
        study.runBaseline();
        var win = study.runExperiment("builtin", "a clear win", Change.of(Map.of("optimizer.lr", 0.0005, "optimizer.min_lr", 0.00005)), 1);
        assertThat(win.kept()).isTrue();
        // the end's 14 runs are more than half of 6: nothing is held back, the search goes on to the budget's end
        assertThat(study.canRunExperiment()).isTrue();
        study.runExperiment("builtin", "a nudge", Change.of("schedule.warmup", 5), 1);
        study.runExperiment("builtin", "a nudge", Change.of("schedule.warmup", 6), 1);
        assertThat(study.canRunExperiment()).isFalse();
        var c = study.finish(null);
        assertThat(c.runs()).isEqualTo(6);
        assertThat(c.scaleHeld()).isNull();
        assertThat(c.scaleCheck()).startsWith("not checked at scale: the study budget has no room for its 8 runs");
        assertThat(store.runs("rules")).noneMatch(r -> r.role() == Role.SCALE);
        assertThat(c.bestRecipe()).hasSameTextualContentAs(c.candidateRecipe()); // not checked: exported
    }
}
