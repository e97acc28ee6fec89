package dev.flywheel.app;

import dev.flywheel.lab.journal.ResultsTsv;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.MetricPoint;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.Store;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Chaos drills on the real command line (issue 22): {@code flywheel research} killed with -9 at seeded random
 * moments, each followed by {@code --resume}; and interrupted with SIGINT (Ctrl-C), then resumed. At the end the
 * study must be the one an uninterrupted process makes — the same runs with the same metrics and decisions, none
 * lost, none run twice — and its journal, results.tsv and store must agree.
 *
 * <p>The suite kills {@code -Ddrill.kills} times (2 by default); {@code tools/chaos.sh} runs the 20 of the issue.
 * Runs (40 steps) are budgeted in steps and the study in runs, so no clock decides anything; the guard is off, because its
 * state is not in checkpoints and a resumed run must end bitwise where an uninterrupted one ends.
 */
class KillDrillTest {

    @TempDir
    static Path lab;
    static Path brief;
    static List<ResultsTsv.Row> reference;
    /** How long the reference study took once its first run trained (its start-up and JIT warm-up left out). */
    static double referenceSeconds;

    static List<String> research(String study, boolean resume) {
        var args = new ArrayList<>(List.of("research", "--lab", lab.toString(), "--study", study, "--executor", "in-process",
                "--threads", "1"));
        if (resume) args.add("--resume");
        else args.addAll(List.of("--brief", brief.toString(), "--budget", "8runs", "--no-scale-check", "--checkpoint-every", "0.2"));
        return args;
    }

    static CliProcess start(String study, boolean resume) throws Exception {
        return new CliProcess(Map.of(), research(study, resume).toArray(String[]::new));
    }

    @BeforeAll
    static void anUninterruptedStudy() throws Exception {
        // the guard keeps state that checkpoints do not hold: off, a resumed run ends bitwise where an uninterrupted one does
        brief = ResearchCommandTest.brief(lab);
        Files.writeString(brief, "- guard.policy: off\n", java.nio.file.StandardOpenOption.APPEND);
        var ref = start("ref", false);
        awaitLine(ref, "· step ");
        long t0 = System.nanoTime();
        assertThat(ref.await(600)).as(String.join("\n", ref.tail())).isZero();
        referenceSeconds = (System.nanoTime() - t0) / 1e9;
        reference = ResultsTsv.read(lab.resolve("studies/ref/results.tsv"));
        assertThat(reference).hasSizeGreaterThanOrEqualTo(4);
    }

    @Test
    void killedAtSeededRandomMomentsAndResumedNothingIsLostOrRunTwice() throws Exception {
        int kills = Integer.getInteger("drill.kills", 2);
        var random = new Random(Long.getLong("drill.seed", 22));
        int killed = 0;
        var moments = new ArrayList<String>();
        for (int i = 0; i < kills; i++) {
            // spread over the study's life: one kill in four during start-up (before its first run), the others
            // once a run trains, on average one per 1/kills of the study's work (start-up and JIT warm-up are not work)
            boolean early = random.nextInt(4) == 0;
            long delayMs = early ? random.nextLong(3000) : random.nextLong((long) (2000 * referenceSeconds / kills) + 1);
            // resumed once its settings are written: a kill before that leaves nothing to resume
            var p = start("k", Files.exists(lab.resolve("studies/k/study.json")));
            if (!early && !awaitLine(p, "· step ")) {
                assertThat(p.process.exitValue()).as(String.join("\n", p.tail())).isZero();
                moments.add("ended on its own");
                break;
            }
            if (p.process.waitFor(delayMs, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                assertThat(p.process.exitValue()).as(String.join("\n", p.tail())).isZero();
                moments.add("ended on its own before " + delayMs + " ms");
                break; // the study finished before this kill
            }
            p.signal(null);
            killed++;
            moments.add(String.format("kill %d %s %.1f s: %s", killed, early ? "during start-up, at" : "once a run trained, +",
                    delayMs / 1000.0, where("k")));
        }
        var last = start("k", Files.exists(lab.resolve("studies/k/study.json")));
        assertThat(last.await(600)).as(String.join("\n", last.tail())).isZero();
        System.out.println("kill drill: " + killed + " kills survived of " + kills + " planned\n  " + String.join("\n  ", moments));

        assertThat(killed).as("kills that landed before the study ended").isGreaterThanOrEqualTo(Math.min(kills, 2));
        assertSameAsReference("k");
    }

    @Test
    void sigintStopsTheStudyCleanlyAndItResumes() throws Exception {
        var p = start("int", false);
        var store = lab.resolve("flywheel.db");
        // interrupt while the first run trains (its progress lines say so; polling the store would contend for its lock)
        assertThat(awaitLine(p, "· step ")).as(String.join("\n", p.tail())).isTrue();
        int status = p.signal("INT");
        assertThat(status).as("the exit status of a process ended by SIGINT").isEqualTo(130);
        Thread.sleep(50);
        var said = p.err.stream().filter(l -> l.startsWith("flywheel: interrupted")).toList();
        assertThat(said).as(String.join("\n", p.err)).hasSize(1);
        assertThat(said.getFirst()).contains("study int", "lost nothing", "--study int --resume");
        assertThat(String.join("\n", p.err)).doesNotContain("Exception", "\tat ");
        assertThat(Files.exists(store)).isTrue();

        var resumed = start("int", true);
        assertThat(resumed.await(600)).as(String.join("\n", resumed.tail())).isZero();
        assertSameAsReference("int");
    }

    /** Waits until the process prints a line containing {@code text}; false if it ended first. */
    static boolean awaitLine(CliProcess p, String text) throws InterruptedException {
        long deadline = System.nanoTime() + 600_000_000_000L;
        while (p.out.stream().noneMatch(l -> l.contains(text))) {
            if (!p.process.isAlive()) return false;
            assertThat(System.nanoTime()).as("waiting for '" + text + "'").isLessThan(deadline);
            Thread.sleep(20);
        }
        return true;
    }

    /** Where a study stands: runs recorded, and whether one is training. */
    static String where(String study) {
        if (!Files.exists(lab.resolve("flywheel.db"))) return "before the store existed";
        try {
            var store = Store.open(lab.resolve("flywheel.db"));
            var runs = store.runs(study);
            long ended = runs.stream().filter(r -> r.status().isFinal()).count();
            boolean training = runs.stream().anyMatch(r -> !r.status().isFinal());
            return ended + " runs ended" + (training ? ", one training" : "") + (store.study(study).map(s -> s.finished()).orElse(false) ? ", finished" : "");
        } catch (RuntimeException e) {
            return "store not readable yet (" + e.getMessage() + ")";
        }
    }

    /** The study is the reference study under another name, and its journal, results and store agree. */
    static void assertSameAsReference(String study) throws Exception {
        {
            var store = Store.open(lab.resolve("flywheel.db"));
            var runs = store.runs(study);
            assertThat(store.study(study).orElseThrow().finished()).isTrue();
            assertThat(runs).extracting(RunRecord::ordinal)
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, runs.size()).boxed().toList());
            assertThat(runs).allSatisfy(r -> assertThat(r.status().isFinal()).as(r.id()).isTrue());
            // nothing run twice: one decision per run, and each run's loss logged once per step
            assertThat(store.decisions(study)).extracting(DecisionRecord::run)
                    .containsExactlyInAnyOrderElementsOf(runs.stream().map(RunRecord::id).toList());
            for (var r : runs) {
                var steps = store.metrics(r.id(), "loss").stream().map(MetricPoint::step).toList();
                assertThat(steps).as(r.id()).doesNotHaveDuplicates();
            }
            // the same runs, metrics and decisions as the uninterrupted study
            var rows = ResultsTsv.read(lab.resolve("studies").resolve(study).resolve("results.tsv"));
            assertThat(rows.stream().map(KillDrillTest::comparable).toList())
                    .containsExactlyElementsOf(reference.stream().map(KillDrillTest::comparable).toList());
            assertThat(rows).extracting(ResultsTsv.Row::run)
                    .containsExactlyInAnyOrderElementsOf(runs.stream().map(RunRecord::id).toList());
            var journal = Files.readString(lab.resolve("studies").resolve(study).resolve("journal.md"));
            for (var r : runs)
                assertThat(count(journal, "<!-- flywheel: end of run " + r.id() + " -->")).as(r.id()).isEqualTo(1);
            assertThat(count(journal, "<!-- flywheel: end of summary -->")).isEqualTo(1);
        }
    }

    /** A results row without its study's name and training seconds (a wall-clock figure). */
    static List<Object> comparable(ResultsTsv.Row r) {
        return Stream.of(r.run().substring(r.run().lastIndexOf('-')), r.metric(), r.delta(), r.status(), r.description())
                .map(o -> (Object) String.valueOf(o)).toList();
    }

    static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) n++;
        return n;
    }
}
