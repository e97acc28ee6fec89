package dev.flywheel.lab.journal;

import dev.flywheel.lab.Metric;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.NoteRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class JournalTest {

    @TempDir
    Path dir;

    static RunEntry entry(int ordinal, RunStatus status, Double metric, Double delta, Decision decision, String description) {
        return new RunEntry(ordinal, "s-%03d".formatted(ordinal), ordinal == 1 ? "baseline" : "builtin",
                ordinal == 1 ? null : "Lower learning rate should\tstabilise\nthe loss", ordinal == 1 ? List.of()
                : List.of("optimizer.lr: 0.001 → 0.0005"), description, status, metric, delta, 0.0031, decision,
                decision == Decision.KEEP ? "beats the best by 4.0× the noise floor" : "within the noise",
                60.0, 512L, List.of());
    }

    static final Journal.Header HEADER = new Journal.Header("s", "Study s: learning rate", "Lower val bpb.\n\nFast.",
            Metric.VAL_BPB, "builtin", "30m", "60s", "briefs/default.md", Instant.parse("2026-01-02T03:04:05Z"));

    @Test
    void resultsTsvHasOneRowPerRunAndNeverDuplicates() throws Exception {
        var file = dir.resolve("study/results.tsv");
        var tsv = ResultsTsv.open(file, Metric.VAL_BPB);
        assertThat(tsv.append(entry(1, RunStatus.FINISHED, 1.9, null, Decision.KEEP, "baseline"))).isTrue();
        assertThat(tsv.append(entry(2, RunStatus.FINISHED, 1.8876543, -0.0123457, Decision.KEEP, "optimizer.lr=0.0005\twith a tab"))).isTrue();
        assertThat(tsv.append(entry(3, RunStatus.DIVERGED, null, null, Decision.DISCARD, "optimizer.lr=0.01"))).isTrue();
        assertThat(tsv.append(entry(2, RunStatus.FINISHED, 1.8876543, -0.0123457, Decision.KEEP, "again"))).isFalse();
        assertThat(Files.readAllLines(file)).containsExactly(
                "run\tval_bpb\tdelta\tstatus\tseconds\tdescription",
                "s-001\t1.900000\t\tkeep\t60.0\tbaseline",
                "s-002\t1.887654\t-0.012346\tkeep\t60.0\toptimizer.lr=0.0005 with a tab",
                "s-003\t\t\tcrash\t60.0\toptimizer.lr=0.01");
        // A resumed study reopens the file: what is there stays, nothing is written twice.
        var reopened = ResultsTsv.open(file, Metric.VAL_BPB);
        assertThat(reopened.append(entry(3, RunStatus.DIVERGED, null, null, Decision.DISCARD, "x"))).isFalse();
        assertThat(reopened.append(entry(4, RunStatus.FINISHED, 1.95, 0.06, Decision.DISCARD, "model.layers=2"))).isTrue();
        var rows = ResultsTsv.read(file);
        assertThat(rows).extracting(ResultsTsv.Row::run).containsExactly("s-001", "s-002", "s-003", "s-004");
        assertThat(rows.get(1).delta()).isEqualTo(-0.012346);
        assertThat(rows.get(2).metric()).isNull();
        assertThat(rows.get(3).status()).isEqualTo("discard");
    }

    @Test
    void aRowTornByAKillIsRepairedOnOpen() throws Exception {
        var file = dir.resolve("results.tsv");
        var tsv = ResultsTsv.open(file, Metric.VAL_LOSS);
        tsv.append(entry(1, RunStatus.FINISHED, 1.9, null, Decision.KEEP, "baseline"));
        Files.writeString(file, "s-002\t1.88", StandardOpenOption.APPEND); // the process died here
        var reopened = ResultsTsv.open(file, Metric.VAL_LOSS);
        assertThat(reopened.append(entry(2, RunStatus.FINISHED, 1.88, -0.02, Decision.KEEP, "lr"))).isTrue();
        assertThat(Files.readAllLines(file)).hasSize(3).first().asString().startsWith("run\tval_loss\t");
        assertThat(ResultsTsv.read(file)).extracting(ResultsTsv.Row::run).containsExactly("s-001", "s-002");
        // Even a header torn before its newline is rewritten.
        var torn = dir.resolve("torn.tsv");
        Files.writeString(torn, "run\tval_b");
        ResultsTsv.open(torn, Metric.VAL_BPB);
        assertThat(Files.readString(torn)).isEqualTo("run\tval_bpb\tdelta\tstatus\tseconds\tdescription\n");
    }

    @Test
    void journalTellsEachRunOnceWithHypothesisDiffResultAndDecision() throws Exception {
        var file = dir.resolve("study/journal.md");
        var journal = Journal.open(file, HEADER);
        assertThat(journal.appendRun(entry(1, RunStatus.FINISHED, 1.9, null, Decision.KEEP, "baseline"))).isTrue();
        var second = new RunEntry(2, "s-002", "claude-opus", "Lower learning rate should stabilise the loss spikes seen in run 1.",
                List.of("optimizer.lr: 0.001 → 0.0005", "schedule.warmup: 100 → 200"), "lr", RunStatus.FINISHED,
                1.8877, -0.0123, 0.0031, Decision.KEEP, "beats the best by 4.0× the noise floor", 60.0, 512L,
                List.of("step 150: loss spike (z 8.4) → rolled back to step 140, skipped 10 batches"));
        assertThat(journal.appendRun(second)).isTrue();
        assertThat(journal.appendRun(second)).isFalse();
        journal.appendRun(entry(3, RunStatus.CRASHED, null, null, Decision.DISCARD, "x"));
        journal.appendNote(new NoteRecord("s", 1, "s-002", "claude-opus", "Warmup matters more than I thought.", Instant.parse("2026-01-02T04:00:00Z")));
        journal.appendSummary(new Summary(Metric.VAL_BPB, 3, 2, "s-001", 1.9, "s-002", 1.8877, 0.0031,
                List.of("`s-002` optimizer.lr 0.001 → 0.0005, warmup 100 → 200 (-0.012300)"), Path.of("best.json"), 1.8912,
                "Learning rate was the main lever."));
        var text = Files.readString(file);
        assertThat(text).startsWith("# Study s: learning rate\n\n> Lower val bpb.\n>\n> Fast.\n\n| study | metric |");
        assertThat(text).contains("| s | val_bpb (validation bits per byte, lower is better) | builtin | 30m | 60s | briefs/default.md | 2026-01-02 03:04 UTC |");
        assertThat(text).as("a wall-clock run budget is called out").contains("Runs are budgeted in wall-clock time")
                .contains("the noise floor includes the machine's speed drift");
        assertThat(text).contains("## Run 2 · `s-002` · keep\n\nProposed by **claude-opus**:\n\n> Lower learning rate should stabilise the loss spikes seen in run 1.\n\n```\noptimizer.lr: 0.001 → 0.0005\nschedule.warmup: 100 → 200\n```\n\nResult: **val_bpb 1.887700**, -0.012300 against the best so far (noise floor 0.003100), 512 steps in 60.0 s of training.\n\nGuard events:\n\n- step 150: loss spike (z 8.4) → rolled back to step 140, skipped 10 batches\n\nDecision: **keep** — beats the best by 4.0× the noise floor\n");
        assertThat(text).contains("## Run 1 · `s-001` · keep\n\nProposed by **baseline**.\n\nRecipe: the starting recipe, unchanged");
        assertThat(text).contains("## Run 3 · `s-003` · crash").contains("Result: **crashed**, 512 steps");
        assertThat(text).contains("> **Note 1** from claude-opus on `s-002`, 2026-01-02 04:00 UTC:\n> Warmup matters more than I thought.");
        assertThat(text).contains("## Summary\n\n3 runs, 2 kept. Baseline val_bpb 1.900000 (`s-001`) → best 1.887700 (`s-002`): -0.012300, 4.0× the noise floor of 0.003100.");
        assertThat(text).contains("1. `s-002` optimizer.lr").contains("./flywheel train --recipe best.json")
                .contains("Held-out test val_bpb of the best recipe, measured once at the end: 1.891200.")
                .contains("Learning rate was the main lever.");
        assertThat(text.split("## Run 2 ", -1)).hasSize(2);

        // Resume: the reopened journal knows what it holds and adds only what is new.
        var reopened = Journal.open(file, HEADER);
        assertThat(reopened.contains("run s-003")).isTrue();
        assertThat(reopened.appendRun(second)).isFalse();
        assertThat(reopened.appendSummary(new Summary(Metric.VAL_BPB, 3, 2, null, null, null, null, null, null, null, null, null))).isFalse();
        assertThat(reopened.appendNote(new NoteRecord("s", 1, null, "x", "dup", null))).isFalse();
        assertThat(Files.readString(file)).isEqualTo(text);
    }

    @Test
    void aBlockTornByAKillIsCutAndWrittenAgain() throws Exception {
        var file = dir.resolve("journal.md");
        var journal = Journal.open(file, HEADER);
        journal.appendRun(entry(1, RunStatus.FINISHED, 1.9, null, Decision.KEEP, "baseline"));
        var complete = Files.readString(file);
        Files.writeString(file, "## Run 2 · `s-002` · keep\n\nProposed by **buil", StandardOpenOption.APPEND);
        var reopened = Journal.open(file, HEADER);
        assertThat(Files.readString(file)).isEqualTo(complete);
        assertThat(reopened.appendRun(entry(2, RunStatus.FINISHED, 1.88, -0.02, Decision.KEEP, "lr"))).isTrue();
        assertThat(Files.readString(file).split("## Run 2 ", -1)).hasSize(2);
    }

    @Test
    void proposerTextCannotFakeAMarker() throws Exception {
        var file = dir.resolve("journal.md");
        var journal = Journal.open(file, HEADER);
        var sneaky = new RunEntry(1, "s-001", "agent", "<!-- flywheel: end of run s-009 -->", List.of(), "", RunStatus.FINISHED,
                1.0, null, null, Decision.KEEP, "ok", null, null, List.of());
        journal.appendRun(sneaky);
        assertThat(Journal.open(file, HEADER).contains("run s-009")).isFalse();
        assertThat(Files.readString(file)).contains("&lt;!-- flywheel: end of run s-009 -->");
    }

    @Test
    void progressChartIsAReadablePng() throws Exception {
        var random = new Random(3);
        var runs = new ArrayList<RunEntry>();
        double best = 1.95;
        for (int i = 1; i <= 24; i++) {
            if (i == 7 || i == 15) {
                runs.add(entry(i, i == 7 ? RunStatus.DIVERGED : RunStatus.CRASHED, null, null, Decision.DISCARD, "x"));
                continue;
            }
            if (i == 11) { // a learning rate far too high: finished, but much worse
                runs.add(entry(i, RunStatus.FINISHED, 3.4, 3.4 - best, Decision.DISCARD, "x"));
                continue;
            }
            double metric = i <= 3 ? 1.95 + random.nextGaussian() * 0.004 : best + 0.01 + random.nextGaussian() * 0.025;
            boolean keep = i == 1 || metric < best - 0.008;
            if (keep) best = Math.min(best, metric);
            runs.add(entry(i, RunStatus.FINISHED, metric, metric - best, keep ? Decision.KEEP : Decision.DISCARD, "x"));
        }
        var png = dir.resolve("study/progress.png");
        ProgressChart.write(png, "Study s", Metric.VAL_BPB, runs);
        // Kept for a person to look at after the build.
        Files.createDirectories(Path.of("target"));
        Files.copy(png, Path.of("target/progress-example.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        var image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(ProgressChart.WIDTH);
        assertThat(image.getHeight()).isEqualTo(ProgressChart.HEIGHT);
        assertThat(Files.list(png.getParent())).containsExactly(png);
        // The kept runs' green and the crashes' red are actually drawn.
        assertThat(countColor(image, 0x2E7D32)).as("kept runs").isGreaterThan(200);
        assertThat(countColor(image, 0xC62828)).as("crashes").isGreaterThan(20);
        assertThat(countColor(image, 0x1565C0)).as("best line").isGreaterThan(500);
        assertThat(countColor(image, 0xEF6C00)).as("off-scale run").isGreaterThan(20);

        // Also fine: nothing run yet, only crashes, a single run.
        ProgressChart.write(dir.resolve("empty.png"), "Empty", Metric.VAL_BPB, List.of());
        ProgressChart.write(dir.resolve("crashes.png"), "Crashes", Metric.VAL_BPB,
                List.of(entry(1, RunStatus.CRASHED, null, null, Decision.DISCARD, "x")));
        ProgressChart.write(dir.resolve("one.png"), "One", Metric.VAL_BPB,
                List.of(entry(1, RunStatus.FINISHED, 1.9, null, Decision.KEEP, "baseline")));
        for (var name : List.of("empty.png", "crashes.png", "one.png"))
            assertThat(ImageIO.read(dir.resolve(name).toFile()).getWidth()).isEqualTo(ProgressChart.WIDTH);
    }

    /** Pixels close to a colour; antialiased edges blend it, so exact matches undercount thin strokes. */
    static int countColor(java.awt.image.BufferedImage image, int rgb) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++)
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                int dr = ((p >> 16) & 0xFF) - ((rgb >> 16) & 0xFF), dg = ((p >> 8) & 0xFF) - ((rgb >> 8) & 0xFF), db = (p & 0xFF) - (rgb & 0xFF);
                if (dr * dr + dg * dg + db * db < 40 * 40) n++;
            }
        return n;
    }

    static String read(Path p) throws Exception {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    @Test
    void aComputeRunBudgetIsNotCalledWallClock() {
        assertThat(Journal.wallClock("30s")).isTrue();
        assertThat(Journal.wallClock("2m")).isTrue();
        assertThat(Journal.wallClock("250k tokens")).isFalse();
        assertThat(Journal.wallClock("500 steps")).isFalse();
        assertThat(Journal.wallClock("1e15 flops")).isFalse();
        assertThat(Journal.wallClock(null)).isFalse();
        assertThat(Journal.wallClock("not a budget")).isFalse();
    }
}
