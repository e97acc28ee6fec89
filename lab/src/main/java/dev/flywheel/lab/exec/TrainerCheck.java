package dev.flywheel.lab.exec;

import dev.flywheel.data.prep.PreparedData;
import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.recipe.Recipe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code flywheel trainer check}: runs an external trainer for a short budget and says, in plain words, what in the
 * protocol (docs/trainer-protocol.md) it gets right and wrong — it exits 0, writes metrics.jsonl, every line is a step
 * or an evaluation with the protocol's keys, steps go up, the budget is kept, summary.json has the metric — and,
 * when asked, whether it survives SIGTERM and continues with FLYWHEEL_RESUME=1.
 */
public final class TrainerCheck {

    /** One finding: fine, worth knowing, or a breach of the protocol. */
    public record Item(Level level, String text) {}

    public enum Level { OK, NOTE, PROBLEM }

    /** All findings, in the order they were made. */
    public record Report(List<Item> items) {
        public boolean passed() {
            return items.stream().noneMatch(i -> i.level() == Level.PROBLEM);
        }
    }

    private final Recipe recipe;
    private final PreparedData data;
    private final double timeoutSeconds;
    private final int threads;
    private final List<Item> items = new ArrayList<>();

    /** @param recipe the recipe to run, its trainer.command the trainer checked; {@code data} its prepared data */
    public TrainerCheck(Recipe recipe, PreparedData data, double timeoutSeconds, int threads) {
        this.recipe = recipe;
        this.data = data;
        this.timeoutSeconds = timeoutSeconds;
        this.threads = threads;
    }

    /** Runs the trainer in {@code dir} (a fresh directory) and, if {@code resume}, again there after a SIGTERM. */
    public Report run(Path dir, boolean resume) {
        var first = start(dir.resolve("run"), false);
        if (first != null && finish(first, dir.resolve("run"))) {
            lines(dir.resolve("run"));
            summary(dir.resolve("run"));
        }
        if (resume) resume(dir.resolve("resume"));
        return new Report(List.copyOf(items));
    }

    private Process start(Path dir, boolean resume) {
        try {
            Files.createDirectories(dir);
            return TrainerLaunch.prepare(recipe, data, dir, new TrainerLaunch.Start(resume, false, threads)).start();
        } catch (IOException e) {
            add(Level.PROBLEM, "the command \"" + recipe.trainer().command() + "\" cannot be started (" + e.getMessage()
                    + "); give a program on the PATH, an absolute path, or a path relative to this directory");
            return null;
        }
    }

    /** Waits for the trainer to end; false (with the problem noted) when it failed or hung. */
    private boolean finish(Process p, Path dir) {
        try {
            if (!p.waitFor((long) (timeoutSeconds * 1000), TimeUnit.MILLISECONDS)) {
                ChildJvmExecutor.kill(p);
                add(Level.PROBLEM, String.format(Locale.ROOT, "it was still running after %.0f s for a budget of %s: it "
                        + "must stop by itself when FLYWHEEL_BUDGET (%s) is spent (or raise --timeout)", timeoutSeconds,
                        recipe.runBudget().format(), TrainerLaunch.budget(recipe)));
                return false;
            }
        } catch (InterruptedException e) {
            ChildJvmExecutor.kill(p);
            Thread.currentThread().interrupt();
            return false;
        }
        if (p.exitValue() != 0) {
            add(Level.PROBLEM, "it exited with code " + p.exitValue() + " (the protocol's success is 0); the end of its log "
                    + dir.resolve(TrainerLaunch.LOG) + ":\n" + Files2.tail(dir.resolve(TrainerLaunch.LOG), 8).indent(4).stripTrailing());
            return Files.exists(dir.resolve(TrainerLaunch.METRICS)); // its lines may still tell what went wrong
        }
        add(Level.OK, "it exited 0");
        return true;
    }

    private void lines(Path dir) {
        var file = dir.resolve(TrainerLaunch.METRICS);
        if (!Files.isRegularFile(file)) {
            add(Level.PROBLEM, "it wrote no " + TrainerLaunch.METRICS + ": append one JSON line per step, such as "
                    + "{\"step\": 0, \"tokens\": 8192, \"loss\": 4.2}, to $FLYWHEEL_RUN_DIR/" + TrainerLaunch.METRICS);
            return;
        }
        int steps = 0, evals = 0, bad = 0;
        long last = -1, lastTokens = -1;
        boolean lr = false, grad = false, seconds = false;
        for (var line : new MetricsTail(file).rest()) {
            switch (TrainerLine.parse(line.text(), TrainerLaunch.METRICS + " line " + line.number())) {
                case TrainerLine.Bad b -> {
                    if (++bad <= 5) add(Level.PROBLEM, b.problem());
                }
                case TrainerLine.Hello h -> add(Level.OK, "it supports the signals " + h.supports());
                case TrainerLine.Eval e -> {
                    evals++;
                    if (!Double.isFinite(e.valBpb()) && !Double.isFinite(e.valLoss()))
                        add(Level.PROBLEM, "the evaluation at step " + e.step() + " has no finite val_loss or val_bpb");
                }
                case TrainerLine.Step s -> {
                    steps++;
                    if (s.step() <= last && ++bad <= 5)
                        add(Level.PROBLEM, "step " + s.step() + " follows step " + last + ": steps must go up");
                    if (s.tokens() < lastTokens && ++bad <= 5)
                        add(Level.PROBLEM, "tokens fall from " + lastTokens + " to " + s.tokens() + " at step " + s.step()
                                + ": \"tokens\" counts the training tokens seen so far");
                    if (!Double.isFinite(s.loss()) && ++bad <= 5)
                        add(Level.PROBLEM, "the loss at step " + s.step() + " is " + s.loss());
                    last = s.step();
                    lastTokens = s.tokens();
                    lr |= Double.isFinite(s.lr());
                    grad |= Double.isFinite(s.gradNorm());
                    seconds |= Double.isFinite(s.seconds());
                }
            }
        }
        if (bad > 5) add(Level.PROBLEM, (bad - 5) + " more problems in " + TrainerLaunch.METRICS + " not listed");
        if (steps == 0) {
            add(Level.PROBLEM, TrainerLaunch.METRICS + " has no training steps ({\"step\", \"tokens\", \"loss\"})");
            return;
        }
        add(Level.OK, steps + " training steps" + (evals > 0 ? " and " + evals + " evaluations" : "") + " in " + TrainerLaunch.METRICS);
        if (evals == 0) add(Level.NOTE, "no evaluation lines ({\"step\", \"val_bpb\"}): optional, but they draw the live validation curve");
        if (!grad) add(Level.NOTE, "no \"grad_norm\": the guard's gradient-spike rule has nothing to watch");
        if (!lr) add(Level.NOTE, "no \"lr\": the journal cannot show the schedule");
        if (!seconds) add(Level.NOTE, "no \"seconds\": throughput is measured by the lab's wall clock, start-up included");
        if (recipe.runBudget() instanceof RunBudget.Steps b && last + 1 != b.steps())
            add(Level.PROBLEM, "the budget was " + b.steps() + " steps (FLYWHEEL_BUDGET=" + TrainerLaunch.budget(recipe)
                    + ") but the last step was " + last + ": train steps 0 .. " + (b.steps() - 1));
        if (recipe.runBudget() instanceof RunBudget.Tokens b && lastTokens < b.tokens())
            add(Level.PROBLEM, "the budget was " + b.tokens() + " tokens but the last step reports " + lastTokens);
    }

    private void summary(Path dir) {
        var s = TrainerSummary.read(dir);
        if (!s.ok()) {
            add(Level.PROBLEM, s.problem() + ": at the end, write {\"val_bpb\": ...} (and/or \"val_loss\") to $FLYWHEEL_RUN_DIR/"
                    + TrainerLaunch.SUMMARY);
            return;
        }
        add(Level.OK, String.format(Locale.ROOT, "%s: val_bpb %s, val_loss %s", TrainerLaunch.SUMMARY,
                Double.isFinite(s.valBpb()) ? String.format(Locale.ROOT, "%.4f", s.valBpb()) : "missing",
                Double.isFinite(s.valLoss()) ? String.format(Locale.ROOT, "%.4f", s.valLoss()) : "missing"));
        if (!Double.isFinite(s.valBpb()))
            add(Level.NOTE, "no val_bpb in " + TrainerLaunch.SUMMARY + ": studies scored in bits per byte (the default) will "
                    + "see these runs as failed; compute it over data.json's val_spans and token_bytes");
    }

    /** SIGTERM after the second step, then a second start with FLYWHEEL_RESUME=1 must continue past where it was. */
    private void resume(Path dir) {
        var p = start(dir, false);
        if (p == null) return;
        var tail = new MetricsTail(dir.resolve(TrainerLaunch.METRICS));
        long seen = -1;
        long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
        try {
            while (p.isAlive() && seen < 1 && System.nanoTime() < deadline) {
                for (var l : tail.poll())
                    if (TrainerLine.parse(l.text(), "") instanceof TrainerLine.Step s) seen = Math.max(seen, s.step());
                Thread.sleep(50);
            }
            if (!p.isAlive()) {
                add(Level.NOTE, "the resume check could not interrupt it: it ended before its second step was read");
                return;
            }
            long t0 = System.nanoTime();
            ExternalExecutor.terminate(p, 60);
            double took = (System.nanoTime() - t0) / 1e9;
            add(took < 60 ? Level.OK : Level.PROBLEM, String.format(Locale.ROOT,
                    "after SIGTERM at step %d it exited in %.1f s (code %d)%s", seen, took, p.exitValue(),
                    took < 60 ? "" : ": save what a resume needs and exit within 60 s"));
        } catch (InterruptedException e) {
            ChildJvmExecutor.kill(p);
            Thread.currentThread().interrupt();
            return;
        }
        tail.rest(); // what the first start wrote is behind us
        var again = start(dir, true);
        if (again == null || !finish(again, dir)) return;
        long first = -1;
        for (var l : tail.rest())
            if (TrainerLine.parse(l.text(), "") instanceof TrainerLine.Step s) {
                first = s.step();
                break;
            }
        if (first > 0) add(Level.OK, "started again with FLYWHEEL_RESUME=1 it continued at step " + first);
        else add(Level.PROBLEM, "started again with FLYWHEEL_RESUME=1 it began at step " + first
                + ": on SIGTERM save a checkpoint in $FLYWHEEL_RUN_DIR, and load it when FLYWHEEL_RESUME=1");
        var resumed = TrainerSummary.read(dir);
        if (!resumed.ok()) {
            add(Level.PROBLEM, "the resumed run wrote no usable " + TrainerLaunch.SUMMARY);
            return;
        }
        var straight = TrainerSummary.read(dir.resolveSibling("run"));
        if (!straight.ok() || !Double.isFinite(resumed.valBpb()) || !Double.isFinite(straight.valBpb())) return;
        // a resume that does not continue the same run (data order, optimizer state) quietly changes results
        boolean same = Math.abs(resumed.valBpb() - straight.valBpb()) <= 0.01 * straight.valBpb();
        add(same ? Level.OK : Level.NOTE, String.format(Locale.ROOT, "the resumed run ends at val_bpb %.4f, the uninterrupted "
                + "one at %.4f%s", resumed.valBpb(), straight.valBpb(), same ? "" : ": check that the checkpoint holds the "
                + "optimizer state and the data position"));
    }

    private void add(Level level, String text) {
        items.add(new Item(level, text));
    }
}
