package dev.flywheel.lab.study;

import dev.flywheel.lab.Json;
import dev.flywheel.lab.exec.Executor;
import dev.flywheel.lab.exec.InProcessExecutor;
import dev.flywheel.lab.exec.RunJob;
import dev.flywheel.lab.exec.RunWatcher;
import dev.flywheel.lab.run.RunResult;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A replication of a tiny real study, in this JVM: killed part-way, resumed without running a finished run again,
 * its JSON figures, and its journal section.
 */
class ReplicateTest {

    /** Runs jobs in this JVM and records which; "kills the study" (throws) before the run numbered {@code killAt}. */
    static final class Counting implements Executor {
        final InProcessExecutor inner;
        int killAt;
        final List<String> ran = new ArrayList<>();

        Counting(Store store) {
            this.inner = new InProcessExecutor(store, 0); // step budgets: no JIT warm-up needed
        }

        @Override
        public RunResult execute(RunJob job, RunWatcher watcher) {
            if (ran.size() + 1 == killAt) throw new IllegalStateException("killed");
            ran.add(job.runId());
            return inner.execute(job, watcher);
        }

        @Override
        public String describe() {
            return "counting";
        }
    }

    @Test
    void aReplicationReportsTheGainAndAblationsAndResumesWithoutRerunning(@TempDir Path lab) throws Exception {
        var store = Store.open(lab.resolve("flywheel.db"));
        // the keep rule (one run against k·σ) keeps a clear win at once: a small study with two kept changes
        var settings = TinyStudies.settings(lab, "rep", TinyStudies.brief(20, 2), "builtin", "36runs", 1,
                DecisionSettings.keepRule());
        var killed = new Counting(store);
        var study = Study.open(settings, false, store, killed, StudyListener.NONE);
        study.runBaseline();
        var lr = study.runExperiment("test", "a higher rate learns more in 20 steps",
                Change.of(Map.of("optimizer.lr", 0.01, "optimizer.min_lr", 0.001)), 1);
        assertThat(lr.decision()).isEqualTo("keep");
        var warmup = study.runExperiment("test", "no warmup: 20 steps warming up is all of them",
                Change.of("schedule.warmup", 0), 1);
        assertThat(warmup.decision()).isEqualTo("keep");
        int searchRuns = store.runs("rep").size();

        // 4 recipes (start, best, best without each change) × 2 seeds; the study is killed in its 4th run
        killed.killAt = killed.ran.size() + 4;
        assertThatThrownBy(() -> study.replicate(2)).hasMessageContaining("killed");
        var afterKill = replication(store);
        assertThat(afterKill).hasSize(8);
        assertThat(afterKill.stream().filter(r -> r.status().isFinal())).hasSize(3);

        study.close(); // as the killed process's exit would: the study's lock is released
        var resumed = new Counting(store);
        ReplicationReport report;
        try (var again = Study.open(settings, true, store, resumed, StudyListener.NONE)) {
            report = again.replicate(2);
        }
        // the three finished runs were not run again: only the other five
        assertThat(resumed.ran).hasSize(5).doesNotContainAnyElementsOf(
                afterKill.stream().filter(r -> r.status().isFinal()).map(RunRecord::id).toList());
        var runs = replication(store);
        assertThat(runs).hasSize(8).allSatisfy(r -> {
            assertThat(StudyHistory.complete(r)).as(r.id()).isTrue();
            assertThat(r.testMetric()).as(r.id()).isNotNull();
            assertThat(r.recipe().seed()).isGreaterThanOrEqualTo(settings.start().seed() + 2); // never a seed of the search
        });
        assertThat(store.decisions("rep")).extracting(d -> d.run()).doesNotContainAnyElementsOf(runs.stream().map(RunRecord::id).toList());

        var json = Json.MAPPER.readTree(Json.write(report.toMap(true)));
        System.out.println("replicate --json: " + json);
        assertThat(json.has("gain_bpb") && json.has("gain_ci") && json.has("test_gain_bpb") && json.has("test_gain_ci")
                && json.has("ablations")).isTrue();
        assertThat(json.get("gain_ci")).hasSize(2);
        assertThat(json.get("gain_bpb").asDouble()).isBetween(json.get("gain_ci").get(0).asDouble(), json.get("gain_ci").get(1).asDouble());
        assertThat(json.get("test_gain_bpb").isNumber()).isTrue();
        assertThat(json.get("ablations")).hasSize(2).allSatisfy(a -> {
            assertThat(a.get("change").asText()).isNotBlank();
            assertThat(a.get("delta_bpb").isNumber()).isTrue();
            assertThat(a.get("ci")).hasSize(2);
        });
        // a clear learning-rate win on 30 steps replicates
        assertThat(report.gain().gain()).isPositive();

        // asked again with one more seed: only that seed's four runs are new
        var more = new Counting(store);
        try (var again = Study.open(settings, true, store, more, StudyListener.NONE)) {
            assertThat(again.replicate(3).seeds()).hasSize(3);
        }
        assertThat(more.ran).hasSize(4);
        assertThat(store.runs("rep")).hasSize(searchRuns + 12);

        var journal = Files.readString(settings.dir().resolve(Study.JOURNAL));
        assertThat(journal).contains("## Replication").contains("| without schedule.warmup=0 |")
                .containsPattern("\\| without optimizer\\.(min_)?lr=");

        // the end of the study: after the scale check's 14-24 runs (16 planned, less where a rate leaves the space, up
        // to 8 more where a sweep's best is at an edge and is extended), 30-40 runs are used, so 5 seeds (8 more runs)
        // do not fit and 3 seeds do (all run already): the summary reports them, and only the scale check ran
        var end = new Counting(store);
        try (var again = Study.open(settings, true, store, end, StudyListener.NONE)) {
            again.finish("done");
        }
        var scale = store.runs("rep").stream().filter(r -> r.role() == Role.SCALE).toList();
        assertThat(scale).hasSizeBetween(14, 24);
        assertThat(end.ran).hasSize(scale.size());
        assertThat(store.runs("rep")).hasSize(searchRuns + 12 + scale.size());
        assertThat(Files.readString(settings.dir().resolve(Study.JOURNAL))).contains("Replication on 3 fresh paired seeds")
                .doesNotContain(Replication.SKIPPED);
    }

    private static List<RunRecord> replication(Store store) {
        return store.runs("rep").stream().filter(r -> r.role() == Role.REPLICATION).toList();
    }
}
