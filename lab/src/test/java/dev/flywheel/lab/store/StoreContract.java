package dev.flywheel.lab.store;

import dev.flywheel.lab.run.EventAction;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Metric;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.search.Change;

import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every statement the store runs, once, with the results a study relies on. Run against SQLite and against
 * PostgreSQL, it is the proof that the schema and the SQL are portable.
 */
final class StoreContract {

    private StoreContract() {
    }

    static void exercise(Supplier<Store> open) {
        var store = open.get();
        open.get(); // migrating an up-to-date store changes nothing

        var study = store.createStudy(new NewStudy("contract", "lower val bpb", Metric.VAL_BPB, "builtin", "# brief",
                "optimizer.lr: 0.0001 .. 0.01 log", "30m", "60s"));
        assertThat(store.createStudy(new NewStudy("contract", "x", Metric.VAL_LOSS, "y", null, null, null, null))).isEqualTo(study);
        assertThat(store.studies()).extracting(StudyRecord::name).contains("contract");

        var recipe = Recipe.defaults();
        var base = store.queueRun(new NewRun(null, "contract", recipe, null, null, "baseline", "start"));
        assertThat(base.id()).isEqualTo("contract-001");
        var changed = recipe.with("optimizer.lr", 0.002);
        var second = store.queueRun(new NewRun(null, "contract", changed, base.id(), Change.of("optimizer.lr", 0.002), "builtin", "faster"));
        assertThat(second.id()).isEqualTo("contract-002");
        assertThat(second.recipe()).isEqualTo(changed);
        assertThat(second.change()).isEqualTo(Change.of("optimizer.lr", 0.002));
        var explicit = new NewRun("contract-x", "contract", changed, null, null, "claude", null);
        assertThat(store.queueRun(explicit)).isEqualTo(store.queueRun(explicit));
        var single = store.queueRun(new NewRun(null, null, recipe, null, null, "cli", null));
        assertThat(single.ordinal()).isNull();

        store.startRun(base.id());
        store.recordMetrics(base.id(), 1, Map.of("loss", 4.0, "lr", 1e-4));
        store.recordMetrics(base.id(), 2, Map.of("loss", Double.NaN));
        store.recordMetric(base.id(), 1, "loss", 3.5);
        store.recordMetrics(base.id(), 3, Map.of("loss", 3.0));
        assertThat(store.metrics(base.id(), "loss")).extracting(MetricPoint::value).containsExactly(3.5, Double.NaN, 3.0);
        assertThat(store.metrics(base.id())).hasSize(4);
        var e1 = store.recordEvent(base.id(), new RunEvent(2, EventKind.NAN, "loss is not finite", Map.of("loss", Double.NaN), EventAction.ROLLBACK, "NaN"));
        var e2 = store.recordEvent(base.id(), new RunEvent(3, EventKind.SPIKE, "z > 6", Map.of("z", 7.5), EventAction.NONE, "spike"));
        assertThat(e2.seq()).isEqualTo(e1.seq() + 1);
        assertThat(store.events(base.id())).extracting(r -> r.event().kind()).containsExactly(EventKind.NAN, EventKind.SPIKE);
        assertThat(store.events(base.id()).getFirst().event().value("loss")).isNaN();
        store.discardAfter(base.id(), 2);
        assertThat(store.metrics(base.id(), "loss")).hasSize(2);
        assertThat(store.events(base.id())).hasSize(1);

        var outcome = RunOutcome.finished(1.84, 500, 1_024_000, 60.0, "ckpt");
        var finished = store.finishRun(base.id(), outcome);
        assertThat(store.finishRun(base.id(), outcome)).isEqualTo(finished);
        assertThat(finished.status()).isEqualTo(RunStatus.FINISHED);
        assertThat(finished.attempts()).isEqualTo(1);
        assertThat(store.setTestMetric(base.id(), 1.9).testMetric()).isEqualTo(1.9);
        assertThatThrownBy(() -> store.startRun(base.id())).isInstanceOf(LabException.class);
        assertThatThrownBy(() -> store.finishRun("nope", outcome)).isInstanceOf(LabException.class);
        assertThat(store.unfinishedRuns("contract")).extracting(RunRecord::id).containsExactly("contract-002", "contract-x");
        assertThat(store.runs("contract")).hasSize(3);
        assertThat(store.runs()).hasSizeGreaterThanOrEqualTo(4);
        assertThat(store.run(second.id())).contains(second);

        store.recordDecision(new DecisionRecord("contract", second.id(), Decision.DISCARD, 1.9, 1.84, 0.06, 0.01, "worse", null));
        store.recordDecision(new DecisionRecord("contract", base.id(), Decision.KEEP, 1.84, null, null, null, "baseline", null));
        store.recordDecision(new DecisionRecord("contract", second.id(), Decision.DISCARD, 1.9, 1.84, 0.06, 0.01, "worse by 6 sigma", null));
        assertThat(store.decisions("contract")).extracting(DecisionRecord::rationale).containsExactly("baseline", "worse by 6 sigma");

        store.addNote("contract", null, "builtin", "first");
        assertThat(store.addNote("contract", base.id(), "builtin", "second").seq()).isEqualTo(2);
        assertThat(store.notes("contract")).extracting(NoteRecord::body).containsExactly("first", "second");

        var done = store.finishStudy("contract", "done");
        assertThat(done.finished()).isTrue();
        assertThat(store.finishStudy("contract", "done again").finishedAt()).isEqualTo(done.finishedAt());
    }
}
