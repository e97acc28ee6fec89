package dev.flywheel.lab.store;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Metric;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.EventAction;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.Outcome;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.search.Change;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoreTest {

    @TempDir
    Path dir;
    Store store;

    static NewStudy study(String name) {
        return new NewStudy(name, "lower val bpb", Metric.VAL_BPB, "builtin", "# brief", "optimizer.lr: 0.0001 .. 0.01 log", "30m", "60s");
    }

    @BeforeEach
    void open() {
        store = Store.open(dir.resolve("lab/lab.db"));
    }

    @Test
    void migrationsCreateTheSchemaOnceAndSqliteIsSetUpForDurabilityAndReaders() {
        var again = Store.open(dir.resolve("lab/lab.db")); // a second open migrates nothing and keeps the data
        store.createStudy(study("s"));
        assertThat(again.study("s")).isPresent();
        var history = store.jdbi().withHandle(h -> h.createQuery(
                "select version from flyway_schema_history where success = 1 order by installed_rank").mapTo(String.class).list());
        assertThat(history).containsExactly("1", "2");
        var tables = store.jdbi().withHandle(h -> h.createQuery(
                "select name from sqlite_master where type = 'table' and name not like 'flyway%' order by name").mapTo(String.class).list());
        assertThat(tables).containsExactly("decisions", "events", "metric_points", "notes", "runs", "studies");
        store.jdbi().useHandle(h -> {
            assertThat(h.createQuery("pragma journal_mode").mapTo(String.class).one()).isEqualTo("wal");
            assertThat(h.createQuery("pragma foreign_keys").mapTo(Integer.class).one()).isEqualTo(1);
            assertThat(h.createQuery("pragma synchronous").mapTo(Integer.class).one()).isEqualTo(2); // FULL
            assertThat(h.createQuery("pragma busy_timeout").mapTo(Integer.class).one()).isEqualTo(30_000);
        });
    }

    @Test
    void studiesAreCreatedOnceAndFinished() {
        var clock = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
        var timed = Store.open("jdbc:sqlite:" + dir.resolve("timed.db"), clock);
        var created = timed.createStudy(study("lr-sweep"));
        assertThat(created.finished()).isFalse();
        assertThat(created.createdAt()).isEqualTo(clock.instant());
        assertThat(created.metric()).isEqualTo("val_bpb");
        // Resuming creates nothing new and changes nothing.
        var changedBrief = new NewStudy("lr-sweep", "other", Metric.VAL_LOSS, "claude", null, null, null, null);
        assertThat(timed.createStudy(changedBrief)).isEqualTo(created);
        assertThat(timed.studies()).hasSize(1);
        var finished = timed.finishStudy("lr-sweep", "lr 0.002 won");
        assertThat(finished.finished()).isTrue();
        assertThat(finished.summary()).isEqualTo("lr 0.002 won");
        assertThat(finished.finishedAt()).isEqualTo(clock.instant());
        assertThatThrownBy(() -> timed.finishStudy("nope", "x")).isInstanceOf(LabException.class)
                .hasMessageStartingWith("study nope does not exist in the store");
        assertThatThrownBy(() -> study("has space")).hasMessageContaining("study name \"has space\" may hold only letters");
        assertThatThrownBy(() -> study("../up")).hasMessageContaining("study name \"../up\" may hold only");
    }

    @Test
    void runsAreNumberedWithinTheirStudyAndQueueingIsIdempotent() {
        store.createStudy(study("s"));
        store.createStudy(study("t"));
        var recipe = Recipe.defaults();
        var base = store.queueRun(new NewRun(null, "s", recipe, null, null, "baseline", "the starting recipe"));
        assertThat(base.id()).isEqualTo("s-001");
        assertThat(base.ordinal()).isEqualTo(1);
        assertThat(base.status()).isEqualTo(RunStatus.QUEUED);
        assertThat(base.attempts()).isZero();
        assertThat(base.recipe()).isEqualTo(recipe);
        assertThat(base.recipeHash()).isEqualTo(recipe.hash());
        assertThat(base.change()).isNull();
        var changed = recipe.with("optimizer.lr", 0.002);
        var second = store.queueRun(new NewRun(null, "s", changed, "s-001", Change.of("optimizer.lr", 0.002), "builtin", "faster"));
        assertThat(second.id()).isEqualTo("s-002");
        assertThat(second.change()).isEqualTo(Change.of("optimizer.lr", 0.002));
        assertThat(second.parent()).isEqualTo("s-001");
        assertThat(store.queueRun(new NewRun(null, "t", recipe, null, null, "baseline", null)).id()).isEqualTo("t-001");
        // An explicit id queued twice stays one run.
        var explicit = new NewRun("s-custom", "s", changed, null, null, "claude-x", "again");
        var first = store.queueRun(explicit);
        assertThat(store.queueRun(explicit)).isEqualTo(first);
        assertThat(store.runs("s")).extracting(RunRecord::id).containsExactly("s-001", "s-002", "s-custom");
        // Outside a study a run gets a random id and no ordinal.
        var single = store.queueRun(new NewRun(null, null, recipe, null, null, "cli", null));
        assertThat(single.id()).matches("run-[0-9a-f]{8}");
        assertThat(single.ordinal()).isNull();
        assertThat(store.runs()).hasSize(5);
        assertThatThrownBy(() -> store.queueRun(new NewRun(null, "ghost", recipe, null, null, "x", null)))
                .hasMessageStartingWith("study ghost does not exist in the store");
    }

    @Test
    void finishingARunTwiceLeavesOneResult() {
        store.createStudy(study("s"));
        var id = store.queueRun(new NewRun(null, "s", Recipe.defaults(), null, null, "baseline", null)).id();
        var started = store.startRun(id);
        assertThat(started.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(started.attempts()).isEqualTo(1);
        assertThat(started.startedAt()).isNotNull();
        var outcome = RunOutcome.finished(1.84, 500, 1_024_000, 60.0, "ckpt/s-001");
        var finished = store.finishRun(id, outcome);
        var again = store.finishRun(id, outcome);
        assertThat(again).isEqualTo(finished);
        assertThat(store.runs("s")).hasSize(1);
        assertThat(finished.metric()).isEqualTo(1.84);
        assertThat(finished.steps()).isEqualTo(500L);
        assertThat(finished.tokens()).isEqualTo(1_024_000L);
        assertThat(finished.trainSeconds()).isEqualTo(60.0);
        assertThat(finished.checkpointPath()).isEqualTo("ckpt/s-001");
        assertThat(finished.wallTime()).isNotNull();
        assertThatThrownBy(() -> store.startRun(id)).isInstanceOf(LabException.class)
                .hasMessage("run s-001 already ended (finished); queue a new run to repeat it");
        assertThatThrownBy(() -> store.finishRun("s-999", outcome)).hasMessageStartingWith("run s-999 does not exist");
        assertThatThrownBy(() -> new RunOutcome(null, null, null, null, null, null))
                .hasMessageContaining("needs an end");
        assertThat(store.setTestMetric(id, 1.9).testMetric()).isEqualTo(1.9);
    }

    @Test
    void aRunStoppedEarlyIsStoredAsFinishedWithStoppedAtAndReadBackAsStopped() throws Exception {
        store.createStudy(study("s"));
        var id = store.queueRun(new NewRun(null, "s", Recipe.defaults(), null, null, "builtin", null)).id();
        store.startRun(id);
        var end = new Outcome.StoppedEarly(0.5, "stopped early at rung 1");
        var stopped = store.finishRun(id, new RunOutcome(end, 2.4, 50L, 1000L, 1.0, "ck"));
        assertThat(stopped.status()).isEqualTo(RunStatus.STOPPED);
        assertThat(stopped.stoppedAt()).isEqualTo(0.5);
        assertThat(stopped.error()).isEqualTo("stopped early at rung 1");
        assertThat(stopped.outcome()).isEqualTo(end);
        // the columns keep the words of stores written before `stopped` was a status, so both read the same
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("lab/lab.db"));
             var rs = c.createStatement().executeQuery("select status, stopped_at from runs where id = '" + id + "'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("status")).isEqualTo("finished");
            assertThat(rs.getDouble("stopped_at")).isEqualTo(0.5);
        }
        assertThat(store.unfinishedRuns("s")).isEmpty();
    }

    @Test
    void aResumedStudyFindsItsUnfinishedRunsAndRestartsThemCleanly() {
        store.createStudy(study("s"));
        var done = store.queueRun(new NewRun(null, "s", Recipe.defaults(), null, null, "baseline", null)).id();
        store.startRun(done);
        store.finishRun(done, RunOutcome.failed(new Outcome.Diverged("loss went to NaN at step 40"), 40L, 80_000L, 3.5));
        var interrupted = store.queueRun(new NewRun(null, "s", Recipe.defaults().with("model.layers", 2), null, null, "builtin", null)).id();
        store.startRun(interrupted);
        for (int step = 0; step < 10; step++) store.recordMetric(interrupted, step, "loss", 5.0 - step * 0.1);
        store.recordEvent(interrupted, new RunEvent(8, EventKind.SPIKE, "loss z > 6", Map.of("z", 7.0), EventAction.ROLLBACK, "spike"));
        var waiting = store.queueRun(new NewRun(null, "s", Recipe.defaults().with("model.layers", 3), null, null, "builtin", null)).id();

        assertThat(store.unfinishedRuns("s")).extracting(RunRecord::id).containsExactly(interrupted, waiting);
        assertThat(store.run(done).orElseThrow().status()).isEqualTo(RunStatus.DIVERGED);
        assertThat(store.run(done).orElseThrow().error()).isEqualTo("loss went to NaN at step 40");

        // Restart from the checkpoint at step 5: the dead attempt's later points and events go.
        store.discardAfter(interrupted, 5);
        assertThat(store.metrics(interrupted, "loss")).extracting(MetricPoint::step).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        assertThat(store.events(interrupted)).isEmpty();
        var restarted = store.startRun(interrupted);
        assertThat(restarted.attempts()).isEqualTo(2);
        store.discardAfter(interrupted, -1); // or from scratch
        assertThat(store.metrics(interrupted)).isEmpty();
    }

    @Test
    void metricPointsUpsertAndKeepNaN() {
        store.createStudy(study("s"));
        var id = store.queueRun(new NewRun(null, "s", Recipe.defaults(), null, null, "baseline", null)).id();
        store.recordMetrics(id, 1, Map.of("loss", 4.0, "lr", 1e-4, "grad_norm", 1.5));
        store.recordMetrics(id, 2, Map.of("loss", Double.NaN, "lr", 2e-4));
        store.recordMetric(id, 1, "loss", 3.9); // a replayed step replaces, never duplicates
        assertThat(store.metrics(id)).containsExactly(
                new MetricPoint(id, "grad_norm", 1, 1.5),
                new MetricPoint(id, "loss", 1, 3.9),
                new MetricPoint(id, "loss", 2, Double.NaN),
                new MetricPoint(id, "lr", 1, 1e-4),
                new MetricPoint(id, "lr", 2, 2e-4));
        assertThat(store.metrics(id, "loss")).hasSize(2);
        assertThatThrownBy(() -> store.recordMetric("ghost", 1, "loss", 1.0)).isInstanceOf(LabException.class)
                .hasMessageStartingWith("store jdbc:sqlite:").hasMessageContaining("could not record metrics of run ghost");
    }

    @Test
    void eventsAreNumberedAndKeepTheirMeasuredValues() {
        store.createStudy(study("s"));
        var id = store.queueRun(new NewRun(null, "s", Recipe.defaults(), null, null, "baseline", null)).id();
        var first = store.recordEvent(id, new RunEvent(150, EventKind.NAN, "loss is not finite", Map.of("loss", Double.NaN), EventAction.ROLLBACK,
                "NaN loss at step 150; rolled back to step 140 and skipped 10 batches"));
        var second = store.recordEvent(id, new RunEvent(300, EventKind.SPIKE, "loss z-score > 6", Map.of("loss", 7.5, "z", 9.25, "cause", "data"), EventAction.ROLLBACK_LR_CUT, "spike"));
        assertThat(first.seq()).isEqualTo(1);
        assertThat(second.seq()).isEqualTo(2);
        var events = store.events(id);
        assertThat(events).hasSize(2);
        assertThat(events.get(0).event().value("loss")).isNaN();
        assertThat(events.get(1).event()).isEqualTo(second.event());
        assertThat(events.get(1).recordedAt()).isNotNull();
        assertThatThrownBy(() -> store.recordEvent("ghost", second.event())).hasMessageStartingWith("run ghost does not exist");
    }

    @Test
    void eventsStoredUnderOlderSpellingsReadAsTheirKindAndAction() {
        store.createStudy(study("s"));
        var id = store.queueRun(new NewRun(null, "s", Recipe.defaults(), null, null, "baseline", null)).id();
        // rows as written before the guard's and the store's event types became one
        store.jdbi().useHandle(h -> {
            h.execute("insert into events (run, seq, step, kind, rule, measured, action, message, recorded_at) "
                    + "values (?, 1, 40, 'grad_spike', 'grad-zscore', '{\"grad_norm\":3.5}', 'clip', 'clipped', 0)", id);
            h.execute("insert into events (run, seq, step, kind, rule, measured, action, message, recorded_at) "
                    + "values (?, 2, 90, 'spike', 'loss-zscore', '{\"loss\":\"NaN\"}', 'cut_lr', 'cut', 0)", id);
            h.execute("insert into events (run, seq, step, kind, rule, measured, action, message, recorded_at) "
                    + "values (?, 3, 95, 'early_stop', null, null, 'skip_batches', null, 0)", id);
            h.execute("insert into events (run, seq, step, kind, rule, measured, action, message, recorded_at) "
                    + "values (?, 4, 99, 'divergence', 'non-finite-loss', '{}', null, null, 0)", id);
        });
        var events = store.events(id).stream().map(EventRecord::event).toList();
        assertThat(events).extracting(RunEvent::kind)
                .containsExactly(EventKind.GRAD_SPIKE, EventKind.SPIKE, EventKind.EARLY_STOP, EventKind.DIVERGENCE);
        assertThat(events).extracting(RunEvent::action)
                .containsExactly(EventAction.CLIP, EventAction.ROLLBACK_LR_CUT, EventAction.SKIP, EventAction.NONE);
        assertThat(events.get(0).value("grad_norm")).isEqualTo(3.5);
        assertThat(events.get(1).value("loss")).isNaN();
    }

    @Test
    void decisionsAreOnePerRunInRunOrderAndNotesAccumulate() {
        store.createStudy(study("s"));
        var a = store.queueRun(new NewRun(null, "s", Recipe.defaults(), null, null, "baseline", null)).id();
        var b = store.queueRun(new NewRun(null, "s", Recipe.defaults().with("model.layers", 2), a, null, "builtin", null)).id();
        store.recordDecision(new DecisionRecord("s", b, Decision.DISCARD, 1.9, 1.8, 0.1, 0.01, "worse", null));
        store.recordDecision(new DecisionRecord("s", a, Decision.KEEP, 1.8, null, null, 0.01, "baseline", Instant.EPOCH));
        store.recordDecision(new DecisionRecord("s", b, Decision.DISCARD, 1.9, 1.8, 0.1, 0.01, "worse by 10 sigma", null));
        var decisions = store.decisions("s");
        assertThat(decisions).extracting(DecisionRecord::run).containsExactly(a, b);
        assertThat(decisions.get(0).decidedAt()).isEqualTo(Instant.EPOCH);
        assertThat(decisions.get(0).bestBefore()).isNull();
        assertThat(decisions.get(1).rationale()).isEqualTo("worse by 10 sigma");
        assertThat(decisions.get(1).decision()).isEqualTo(Decision.DISCARD);

        store.addNote("s", null, "claude-x", "learning rate seems saturated");
        var note = store.addNote("s", b, "builtin", "depth 2 is too shallow");
        assertThat(note.seq()).isEqualTo(2);
        assertThat(store.notes("s")).extracting(NoteRecord::body)
                .containsExactly("learning rate seems saturated", "depth 2 is too shallow");
    }

    @Test
    void concurrentWritersWaitForEachOtherInsteadOfFailing() throws Exception {
        store.createStudy(study("s"));
        var a = store.queueRun(new NewRun(null, "s", Recipe.defaults(), null, null, "baseline", null)).id();
        var b = store.queueRun(new NewRun(null, "s", Recipe.defaults(), null, null, "baseline", null)).id();
        var other = Store.open(dir.resolve("lab/lab.db")); // as a child JVM would: its own connections
        try (var pool = Executors.newFixedThreadPool(3)) {
            var futures = new ArrayList<Future<?>>();
            futures.add(pool.submit(() -> { for (int i = 0; i < 60; i++) store.recordMetric(a, i, "loss", i); }));
            futures.add(pool.submit(() -> { for (int i = 0; i < 60; i++) other.recordMetric(b, i, "loss", i); }));
            futures.add(pool.submit(() -> { for (int i = 0; i < 30; i++) other.addNote("s", null, "x", "n" + i); }));
            for (var f : futures) f.get(60, TimeUnit.SECONDS);
        }
        assertThat(store.metrics(a)).hasSize(60);
        assertThat(store.metrics(b)).hasSize(60);
        assertThat(store.notes("s")).hasSize(30);
    }

    @Test
    void metricPointsSurviveTheWriterBeingKilled() throws Exception {
        store.createStudy(study("s"));
        var id = store.queueRun(new NewRun(null, "s", Recipe.defaults(), null, null, "baseline", null)).id();
        var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var process = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                MetricWriterMain.class.getName(), dir.resolve("lab/lab.db").toString(), id)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long lastCommitted = -1;
        try (var out = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
            String line;
            while ((line = out.readLine()) != null) {
                lastCommitted = Long.parseLong(line.strip());
                if (lastCommitted >= 25) break;
            }
            process.destroyForcibly(); // SIGKILL: no shutdown hooks, no flushing
            process.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(lastCommitted).as("the child wrote metrics").isGreaterThanOrEqualTo(25);
        var loss = store.metrics(id, "loss");
        // Every step the child reported as written is there, once, and nothing is half-written.
        assertThat(loss.size()).isGreaterThanOrEqualTo((int) lastCommitted + 1);
        assertThat(loss).extracting(MetricPoint::step).doesNotHaveDuplicates().startsWith(0L, 1L, 2L);
        assertThat(store.metrics(id, "lr")).hasSameSizeAs(loss);
    }

    @Test
    void theContractHoldsOnSqlite() {
        StoreContract.exercise(() -> Store.open(dir.resolve("contract.db")));
    }

    @Test
    void badLocationsAreOneSentence() {
        assertThatThrownBy(() -> Store.open("sqlite:/tmp/x.db")).isInstanceOf(LabException.class)
                .hasMessageStartingWith("store URL \"sqlite:/tmp/x.db\" is not a JDBC URL; use jdbc:sqlite:");
        assertThatThrownBy(() -> Store.open("jdbc:sqlite:" + dir.resolve("missing/dir/lab.db")))
                .isInstanceOf(LabException.class).hasMessageContaining("cannot be opened");
        assertThatThrownBy(() -> Store.open("jdbc:nosuchdb://x")).isInstanceOf(LabException.class)
                .hasMessageStartingWith("store jdbc:nosuchdb://x cannot be opened");
        assertThat(List.of(store.url())).singleElement().asString().startsWith("jdbc:sqlite:");
    }
}
