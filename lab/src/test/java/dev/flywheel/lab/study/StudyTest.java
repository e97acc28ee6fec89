package dev.flywheel.lab.study;

import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.exec.InProcessExecutor;
import dev.flywheel.lab.journal.ResultsTsv;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.research.BuiltinResearcher;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A whole tiny study in this JVM, real training throughout: the baseline's seeds, an experiment stopped early by
 * successive halving, the built-in researcher's experiments, the scale check, the held-out test and the journal.
 */
class StudyTest {

    @Test
    void aTinyStudyRunsEndToEnd(@TempDir Path lab) throws Exception {
        var store = Store.open(lab.resolve("flywheel.db"));
        var settings = TinyStudies.settings(lab, "tiny", TinyStudies.brief(60, 2), "builtin", "10runs");
        var study = Study.open(settings, false, store, new InProcessExecutor(store), StudyListener.NONE);
        study.runBaseline();

        // a learning rate three times lower is clearly behind at half its budget: stopped there, and discarded
        var slow = study.runExperiment("test", "a far lower rate should be worse",
                Change.of(Map.of("optimizer.lr", 0.0003, "optimizer.min_lr", 0.00003)), 1);
        assertThat(slow.status()).isEqualTo("stopped");
        assertThat(slow.decision()).isEqualTo("discard");
        var stopped = store.run(slow.experiment()).orElseThrow();
        assertThat(stopped.stoppedAt()).isBetween(0.5, 0.55);
        assertThat(stopped.steps()).isBetween(30L, 33L);
        assertThat(study.runDetails(stopped.id()).events()).anySatisfy(e -> assertThat(e).contains("early-stop"));

        study.note("person", "lr is the lever to watch");
        var conclusion = StudyLoop.run(study, new BuiltinResearcher(1));

        var runs = store.runs("tiny");
        assertThat(runs.size()).isBetween(6, 10);
        assertThat(conclusion.runs()).isEqualTo(runs.size());
        assertThat(runs).allSatisfy(r -> assertThat(r.status().isFinal()).isTrue());
        var decisions = new HashMap<String, dev.flywheel.lab.store.DecisionRecord>();
        store.decisions("tiny").forEach(d -> decisions.put(d.run(), d));
        assertThat(decisions).hasSize(runs.size());
        // every experiment of the researcher says why, in its words, and which part of the search proposed it
        assertThat(runs).filteredOn(r -> "builtin".equals(r.proposer()) && r.role() == Role.EXPERIMENT)
                .isNotEmpty().allSatisfy(r -> assertThat(r.hypothesis()).matches("(?s).{20,}\\[(line search|tpe|tpe joint|ablation|playbook|combination)\\]"));
        // every experiment's runs are paired with the best's runs on the same seeds, and every decision says what the
        // paired evidence was: a kept one's gain is shown, so its paired differences are negative on average
        var experiments = runs.stream().filter(r -> r.role() == Role.EXPERIMENT || r.role() == Role.CONFIRM).toList();
        assertThat(experiments).hasSizeGreaterThanOrEqualTo(2);
        for (var r : experiments) {
            var d = decisions.get(r.id());
            assertThat(d.rationale()).as(r.id()).containsAnyOf("paired seeds", "stopped early", "a failed run", "error budget is spent");
            if (d.rationale().contains("paired seeds")) assertThat(d.bestBefore()).as(r.id()).isNotNull();
            if (d.decision() == Decision.KEEP) {
                var trial = experiments.stream().filter(x -> r.experiment().equals(x.experiment()))
                        .mapToDouble(x -> decisions.get(x.id()).delta()).average().orElseThrow();
                assertThat(trial).as(r.id()).isNegative();
                assertThat(d.rationale()).contains("the gain is shown; kept");
            }
        }
        assertThat(conclusion.bestMetric()).isLessThanOrEqualTo(conclusion.baselineMetric());
        assertThat(conclusion.testMetric()).isNotNull().isBetween(1.0, 7.0);
        assertThat(store.run(conclusion.bestRun()).orElseThrow().testMetric()).isEqualTo(conclusion.testMetric());
        var best = Recipe.read(conclusion.bestRecipe());
        assertThat(best).isEqualTo(study.bestRecipe());
        assertThat(best.data()).isEqualTo(settings.start().data());

        // the journal: every run once, in results.tsv and journal.md; the chart; the summary
        var rows = ResultsTsv.read(conclusion.results());
        assertThat(rows).extracting(ResultsTsv.Row::run).containsExactlyInAnyOrderElementsOf(runs.stream().map(RunRecord::id).toList());
        var journal = Files.readString(conclusion.journal());
        for (var r : runs) assertThat(journal).containsOnlyOnce("<!-- flywheel: end of run " + r.id() + " -->");
        assertThat(journal).containsOnlyOnce("## Summary").contains("lr is the lever to watch")
                .contains("Proposed by **test**").contains("stopped early");
        var png = Files.readAllBytes(conclusion.chart());
        assertThat(new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");

        // what an agent asks for
        var state = study.state();
        assertThat(state.finished()).isTrue();
        assertThat(state.searchSpace()).contains("optimizer.lr: 0.0003 .. 0.03 log");
        assertThat(state.baseline().runs()).hasSize(2);
        var details = study.runDetails(runs.get(3).id());
        assertThat(details.curve()).isNotEmpty();
        assertThat(details.diagnostics().summary()).contains("train loss");
        assertThat(store.study("tiny").orElseThrow().finished()).isTrue();
    }
}
