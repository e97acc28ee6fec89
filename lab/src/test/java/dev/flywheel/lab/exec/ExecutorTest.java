package dev.flywheel.lab.exec;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunListener;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.MetricPoint;
import dev.flywheel.lab.store.NewRun;
import dev.flywheel.lab.store.Store;
import dev.flywheel.lab.study.TinyStudies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs in a JVM of their own: metrics reach the store as they train, the parent hears the progress, and a run
 * that overruns, runs out of memory or dies comes back as a crashed result — the study goes on.
 */
class ExecutorTest {

    static Recipe tiny(int steps) {
        return TinyStudies.recipe(steps);
    }

    static RunJob job(Path lab, Store store, String id, Recipe recipe) {
        store.queueRun(new NewRun(id, null, recipe, null, null, "test", null));
        return new RunJob(id, recipe, lab.resolve("runs").resolve(id), lab.resolve("cache"), 1, false, false, 0,
                store.url(), EarlyStop.NONE);
    }

    /** Whether any process still runs with this job file on its command line. */
    static boolean alive(RunJob job) {
        var file = job.jobFile().toString();
        return ProcessHandle.allProcesses().anyMatch(p -> p.isAlive()
                && p.info().commandLine().map(c -> c.contains(file)).orElse(false));
    }

    @Test
    void aChildJvmRecordsAsItTrainsAndLeavesItsResult(@TempDir Path lab) {
        var store = Store.open(lab.resolve("lab.db"));
        var job = job(lab, store, "child-ok", tiny(30));
        var steps = new CopyOnWriteArrayList<RunWatcher.Step>();
        var started = new CopyOnWriteArrayList<RunListener.RunInfo>();
        var evals = new CopyOnWriteArrayList<RunWatcher.Eval>();
        var result = new ChildJvmExecutor().execute(job, new RunWatcher() {
            public void started(RunListener.RunInfo info) { started.add(info); }
            public void stepped(Step s) { steps.add(s); }
            public void evaluated(Eval e) { evals.add(e); }
        });
        assertThat(result.status()).as(result.error()).isEqualTo(RunStatus.FINISHED);
        assertThat(result.steps()).isEqualTo(30);
        assertThat(result.valBpb()).isFinite().isBetween(1.0, 7.0);
        assertThat(ResultFile.read(job.resultFile())).get().extracting(r -> r.valBpb()).isEqualTo(result.valBpb());
        assertThat(started).singleElement().extracting(RunListener.RunInfo::runId).isEqualTo("child-ok");
        assertThat(steps).isNotEmpty().last().extracting(RunWatcher.Step::progress).isEqualTo(1.0);
        assertThat(evals).last().extracting(RunWatcher.Eval::bitsPerByte).isEqualTo(result.valBpb());
        // every step's points are in the store, written by the child
        assertThat(store.metrics("child-ok", "loss")).extracting(MetricPoint::step)
                .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 30).boxed().toList());
        assertThat(store.metrics("child-ok", "val_bpb")).singleElement().extracting(MetricPoint::value).isEqualTo(result.valBpb());
        assertThat(job.spec().checkpointDir().resolve("model.safetensors")).exists();
    }

    @Test
    void aRunStillAliveAtItsHardLimitIsKilled(@TempDir Path lab) {
        var store = Store.open(lab.resolve("lab.db"));
        var job = job(lab, store, "child-hang", tiny(1_000_000_000));
        // 15 s: time enough for a child JVM to start and train a step on a loaded 2-core machine (8 s was not)
        var executor = new ChildJvmExecutor(ChildJvmExecutor.Settings.defaults().withLimits(0, 15).withWarmup(0));
        long t0 = System.nanoTime();
        var result = executor.execute(job, RunWatcher.NONE);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(result.status()).isEqualTo(RunStatus.CRASHED);
        assertThat(result.error()).startsWith("killed after");
        assertThat(result.events()).extracting(RunEvent::kind).containsExactly(EventKind.KILLED);
        assertThat(seconds).isBetween(15.0, 60.0);
        assertThat(alive(job)).as("the killed JVM is gone").isFalse();
        assertThat(ResultFile.read(job.resultFile())).get().extracting(r -> r.status()).isEqualTo(RunStatus.CRASHED);
        // it trained until it was killed, and what it recorded stays
        assertThat(store.metrics("child-hang", "loss")).isNotEmpty();
    }

    @Test
    void outOfMemoryAndADeadJvmAreCrashedResults(@TempDir Path lab) {
        var store = Store.open(lab.resolve("lab.db"));
        var huge = tiny(10).with(Map.of("model.layers", 8, "model.heads", 8, "model.dim", 1024));
        var oom = new ChildJvmExecutor(ChildJvmExecutor.Settings.defaults().withJavaOptions(List.of("-Xmx96m")))
                .execute(job(lab, store, "child-oom", huge), RunWatcher.NONE);
        assertThat(oom.status()).isEqualTo(RunStatus.CRASHED);
        assertThat(oom.error()).contains("out of memory");

        var dead = new ChildJvmExecutor(ChildJvmExecutor.Settings.defaults().withJavaOptions(List.of("-Xmx1k")))
                .execute(job(lab, store, "child-dead", tiny(10)), RunWatcher.NONE);
        assertThat(dead.status()).isEqualTo(RunStatus.CRASHED);
        assertThat(dead.error()).contains("exited with code").contains("without a result");
        assertThat(Files.exists(lab.resolve("runs/child-dead/run.log"))).isTrue();
    }

    @Test
    void inProcessFailuresAreResultsToo(@TempDir Path lab) {
        var store = Store.open(lab.resolve("lab.db"));
        var missing = tiny(10).with("data.source", lab.resolve("no-such-corpus.txt").toString());
        var result = new InProcessExecutor(store).execute(job(lab, store, "in-missing", missing), RunWatcher.NONE);
        assertThat(result.status()).isEqualTo(RunStatus.CRASHED);
        assertThat(result.error()).contains("no-such-corpus.txt");
        assertThat(ResultFile.read(lab.resolve("runs/in-missing/result.json"))).isPresent();
    }

    @Test
    void earlyStopFailsARunWhoseLossIsAboveTheRung() {
        var rule = new EarlyStop(List.of(new EarlyStop.Rung(0.5, 0.2, 3.0, "a test threshold")));
        var t = rule.tracker();
        assertThat(t.offer(0.1, 4.0)).isEmpty();
        assertThat(t.offer(0.35, 3.3)).isEmpty();
        var stop = t.offer(0.5, 3.1);
        assertThat(stop).isPresent();
        assertThat(stop.get()).contains("3.2000").contains("a test threshold"); // mean of 3.3 and 3.1 (4.0 is outside the window)
        assertThat(t.stoppedAt()).isEqualTo(0.5);
        var pass = rule.tracker();
        pass.offer(0.4, 2.9);
        assertThat(pass.offer(0.55, 2.8)).isEmpty();
        assertThat(pass.offer(0.9, 9.0)).isEmpty(); // rungs are checked once
    }
}
