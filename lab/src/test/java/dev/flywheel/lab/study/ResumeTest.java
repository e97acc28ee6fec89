package dev.flywheel.lab.study;

import dev.flywheel.lab.Pause;
import dev.flywheel.lab.exec.RunJob;
import dev.flywheel.lab.journal.ResultsTsv;
import dev.flywheel.lab.run.RecipeRunner;
import dev.flywheel.lab.run.RunListener;
import dev.flywheel.lab.run.RunSpec;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.MetricPoint;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.Store;
import dev.flywheel.data.prep.DataCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of a real study process (its runs in JVMs of their own, or for speed in its own) at several moments — while a run trains (after a checkpoint), between a run's end
 * and the decision on it, in the middle of writing the journal, in the middle of a run's JVM writing its result,
 * right after a run is recorded — then --resume each time: at the end nothing is lost, nothing is duplicated, the
 * run that was killed mid-training resumed from its checkpoint (and ended exactly where an uninterrupted run ends),
 * and no run JVM outlives the study process that started it.
 */
class ResumeTest {

    static final int STEPS = 100;

    /** A study process and what it printed. */
    static final class StudyProcess {
        final Process process;
        final List<String> out = new CopyOnWriteArrayList<>();
        final List<String> err = new CopyOnWriteArrayList<>();

        StudyProcess(Path lab, Path brief, String mode, String executor, String pauseAt) throws IOException {
            var java = ProcessHandle.current().info().command().orElseThrow();
            var pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), StudyProcessMain.class.getName(), lab.toString(),
                    brief.toString(), "k", "12runs", mode, executor);
            if (pauseAt != null) pb.environment().put(Pause.ENV, pauseAt);
            else pb.environment().remove(Pause.ENV);
            process = pb.start();
            dev.flywheel.engine.ProcessLines.pump(process.getInputStream(), out);
            dev.flywheel.engine.ProcessLines.pump(process.getErrorStream(), err);
        }


        boolean printed(String prefix) {
            return out.stream().anyMatch(l -> l.startsWith(prefix)) || err.stream().anyMatch(l -> l.startsWith(prefix));
        }

        /** kill -9, and wait until the run JVMs it started are gone too (they watch their stdin for its death). */
        void kill() throws InterruptedException {
            var children = process.descendants().toList();
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            for (var c : children) c.onExit().orTimeout(30, TimeUnit.SECONDS).join();
            assertThat(children).noneMatch(ProcessHandle::isAlive);
        }
    }

    static void killWhen(Path lab, Path brief, String mode, String executor, String pauseAt, String what,
                         java.util.function.Predicate<StudyProcess> condition) throws Exception {
        var p = new StudyProcess(lab, brief, mode, executor, pauseAt);
        await(what, p, () -> condition.test(p));
        p.kill();
    }

    static void await(String what, StudyProcess p, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (!condition.getAsBoolean()) {
            if (!p.process.isAlive())
                throw new AssertionError("the study process ended before " + what + ":\n" + String.join("\n", p.out)
                        + "\n" + String.join("\n", p.err.stream().filter(l -> !l.contains("INFO")).toList()));
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    /** A run killed in training: a checkpoint short of the end exists. */
    static boolean midRunCheckpoint(Path lab) {
        try (var dirs = Files.list(lab.resolve("studies/k/runs"))) {
            for (var d : dirs.toList()) {
                var trainer = d.resolve("checkpoint/trainer.json");
                if (Files.exists(d.resolve(RunJob.RESULT_FILE)) || !Files.isRegularFile(trainer)) continue;
                var m = Pattern.compile("\"step\"\\s*:\\s*(\\d+)").matcher(Files.readString(trainer));
                if (m.find() && Long.parseLong(m.group(1)) >= 10 && Long.parseLong(m.group(1)) < STEPS - 20) return true;
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    static boolean pausedInARunLog(Path lab) {
        try (var dirs = Files.list(lab.resolve("studies/k/runs"))) {
            for (var d : dirs.toList()) {
                var log = d.resolve(RunJob.LOG_FILE);
                if (Files.isRegularFile(log) && Files.readString(log).contains("@flywheel-paused")) return true;
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    @Test
    void aStudyKilledAtAnyMomentResumesWithoutLosingOrDuplicatingAnything(@TempDir Path lab) throws Exception {
        Path brief = lab.resolve("brief.md");
        // the guard keeps state that checkpoints do not hold yet, so it is off here: with it off, a resumed run must
        // end bitwise where an uninterrupted one does
        Files.writeString(brief, TinyStudies.brief(STEPS, 2) + "- guard.policy: off\n");

        // 1. while a run trains, after it saved a checkpoint
        killWhen(lab, brief, "new", "child", null, "a run with a mid-run checkpoint",
                p -> Files.isDirectory(lab.resolve("studies/k/runs")) && midRunCheckpoint(lab));
        var store = Store.open(lab.resolve("flywheel.db"));
        var killedRun = store.runs("k").stream().filter(r -> r.status() == RunStatus.RUNNING).findFirst().orElseThrow();
        // 2. between a run's end and the decision on it
        killWhen(lab, brief, "resume", "in-process", "before-decision:1", "the pause before a decision",
                p -> p.printed("@flywheel-paused before-decision"));
        // 3. in the middle of writing a journal block
        killWhen(lab, brief, "resume", "in-process", "journal-write:1", "the pause inside a journal write",
                p -> p.printed("@flywheel-paused journal-write"));
        // 4. in the middle of a run's JVM writing its result (written, not yet renamed into place)
        killWhen(lab, brief, "resume", "child", "write result.json:1", "the pause inside a run's result write",
                p -> pausedInARunLog(lab));
        // 5. right after a run's end is recorded
        killWhen(lab, brief, "resume", "in-process", "run-recorded:1", "the pause after recording a run",
                p -> p.printed("@flywheel-paused run-recorded"));
        // 6. to the end
        var last = new StudyProcess(lab, brief, "resume", "in-process", null);
        await("the end of the study", last, () -> last.printed("@done"));
        assertThat(last.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(last.process.exitValue()).isZero();

        var runs = store.runs("k");
        assertThat(runs.size()).isBetween(7, 12); // the paired procedure's seeds and re-measures within 12 runs
        assertThat(runs).extracting(RunRecord::ordinal)
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, runs.size()).boxed().toList());
        assertThat(runs).allSatisfy(r -> assertThat(r.status().isFinal()).as(r.id()).isTrue());
        var decisions = store.decisions("k");
        // every run decided exactly once (a re-measure of the best may be decided before the experiment that asked for it)
        assertThat(decisions).extracting(d -> d.run()).containsExactlyInAnyOrderElementsOf(runs.stream().map(RunRecord::id).toList());
        assertThat(store.study("k").orElseThrow().finished()).isTrue();

        var rows = ResultsTsv.read(lab.resolve("studies/k/results.tsv"));
        assertThat(rows).extracting(ResultsTsv.Row::run).containsExactlyInAnyOrderElementsOf(runs.stream().map(RunRecord::id).toList());
        var journal = Files.readString(lab.resolve("studies/k/journal.md"));
        for (var r : runs) {
            assertThat(count(journal, "<!-- flywheel: end of run " + r.id() + " -->")).as(r.id()).isEqualTo(1);
            assertThat(count(journal, "## Run " + r.ordinal() + " · `" + r.id() + "`")).as(r.id()).isEqualTo(1);
        }
        assertThat(count(journal, "## Summary")).isEqualTo(1);
        assertThat(count(journal, "<!-- flywheel: end of summary -->")).isEqualTo(1);

        // the run killed while training restarted from its checkpoint and ended where an uninterrupted run ends
        var resumed = store.run(killedRun.id()).orElseThrow();
        assertThat(resumed.attempts()).isGreaterThanOrEqualTo(2);
        assertThat(RunJob.read(lab.resolve("studies/k/runs").resolve(resumed.id()).resolve(RunJob.JOB_FILE)).resume()).isTrue();
        assertThat(store.metrics(resumed.id(), "loss")).extracting(MetricPoint::step)
                .containsExactlyElementsOf(LongStream.range(0, STEPS).boxed().toList());
        var fresh = RecipeRunner.run(new RunSpec("fresh", resumed.recipe(), lab.resolve("fresh"),
                new DataCache(lab.resolve("cache")), 1, false, false, 0), RunListener.NONE);
        assertThat(resumed.metric()).isEqualTo(fresh.valBpb());
    }

    static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) n++;
        return n;
    }
}
