package dev.flywheel.lab.exec;

import dev.flywheel.engine.Trainer;
import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.guard.Detector;
import dev.flywheel.lab.guard.Finding;
import dev.flywheel.lab.guard.StepSignals;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.EventAction;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.RecipeRunner;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunListener;
import dev.flywheel.lab.run.RunResult;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * What the lab makes of an external trainer's metric lines as they arrive: the same listeners as an engine run
 * (store, live progress), the guard's detection rules on each step's loss and gradient norm, the pruner's rungs,
 * and remediation by signal — an {@code lr_cut} line in the run's {@code control.jsonl} — when the trainer's hello
 * line says it supports it. A trainer cannot be rolled back from outside, so the detector's statistics always follow
 * the run (as under guard policy {@code detect}). Plain values in, a {@link Verdict} out: tested without processes.
 */
final class TrainerWatch {

    /** What the executor does after a line. */
    enum Verdict { GO_ON, STOP_EARLY, ABORT }

    private final Recipe recipe;
    private final Path runDir;
    private final RunListener listener;
    private final LongConsumer rewind;
    private final Detector detector;
    private final EarlyStop.Tracker tracker;
    private final List<RunEvent> events = new ArrayList<>();
    private final List<RunResult.CurvePoint> curve = new ArrayList<>();
    private Set<String> supports = Set.of();
    private long lastStep = -1, tokens, lastEvalStep = -1;
    private double seconds = Double.NaN, recentLoss = Double.NaN, lrScale = 1;
    private String stopReason, divergence;

    /**
     * @param listener hears steps, evaluations and events as an engine run's listeners do
     * @param rewind   called with a step when the trainer starts again from before it (a resume from a checkpoint):
     *                 what was recorded from that step on is to be forgotten
     */
    TrainerWatch(Recipe recipe, Path runDir, EarlyStop earlyStop, RunListener listener, LongConsumer rewind) {
        this.recipe = recipe;
        this.runDir = runDir;
        this.listener = listener;
        this.rewind = rewind;
        this.detector = new Detector(recipe.guard().withPolicy(Recipe.Guard.Policy.DETECT));
        this.tracker = earlyStop.tracker();
    }

    Verdict accept(TrainerLine line) {
        return switch (line) {
            case TrainerLine.Hello h -> {
                supports = h.supports();
                yield Verdict.GO_ON;
            }
            case TrainerLine.Eval e -> {
                lastEvalStep = e.step();
                listener.onEval(new Trainer.EvalResult(e.step(), e.valLoss(), e.valBpb(), 0, 0));
                yield Verdict.GO_ON;
            }
            case TrainerLine.Step s -> step(s);
            case TrainerLine.Bad b -> Verdict.GO_ON; // the check reports these; a run goes on without the line
        };
    }

    private Verdict step(TrainerLine.Step s) {
        if (s.step() <= lastStep) {
            rewind.accept(s.step());
            curve.removeIf(p -> p.step() >= s.step());
        }
        lastStep = s.step();
        tokens = s.tokens();
        seconds = s.seconds();
        double progress = progress(recipe, s);
        double gn = Double.isNaN(s.gradNorm()) ? 0 : s.gradNorm(); // not reported: the gradient rules see nothing
        listener.onStep(new Trainer.StepStats(s.step(), s.step(), (float) s.loss(), gn,
                Double.isNaN(s.lr()) ? 0 : s.lr(), Double.NaN, true, new double[0], new float[0], s.tokens(), Double.NaN,
                Double.isNaN(s.seconds()) ? 0 : s.seconds(), progress, Double.NaN));
        if (Double.isFinite(s.loss())) recentLoss = Double.isNaN(recentLoss) ? s.loss() : 0.9 * recentLoss + 0.1 * s.loss();
        RecipeRunner.addCurvePoint(curve, new RunResult.CurvePoint(s.step(), progress, s.loss(), s.lr(), s.gradNorm()));
        if (!Double.isFinite(s.loss())) {
            divergence = "the loss became " + s.loss() + " at step " + s.step();
            record(new RunEvent(s.step(), EventKind.NAN, "non-finite", Map.of("loss", String.valueOf(s.loss())),
                    EventAction.ABORT, divergence + "; an external trainer cannot be rolled back, so the run is stopped as diverged"));
            return Verdict.ABORT;
        }
        if (recipe.guard().policy() != Recipe.Guard.Policy.OFF) guard(s, gn);
        if (stopReason == null) stopReason = tracker.offer(progress, s.loss()).orElse(null);
        if (stopReason != null) {
            record(new RunEvent(s.step(), EventKind.EARLY_STOP, "successive-halving",
                    Map.of("progress", progress, "train_loss", s.loss()), EventAction.STOP, "stopped early: " + stopReason));
            return Verdict.STOP_EARLY;
        }
        return Verdict.GO_ON;
    }

    private void guard(TrainerLine.Step s, double gradNorm) {
        for (var f : detector.observe(StepSignals.of(s.step(), s.loss(), gradNorm))) {
            var measured = new LinkedHashMap<>(f.measured());
            if (!s.documents().isEmpty()) measured.put("batch_documents", s.documents());
            switch (f) {
                case Finding.Anomaly a -> {
                    boolean signal = recipe.guard().policy() == Recipe.Guard.Policy.REMEDIATE && supports.contains("lr_cut");
                    String message = String.format(Locale.ROOT, "%s at step %d: loss %.4f against a level of %.4f", a.kind(),
                            s.step(), s.loss(), a.level());
                    if (signal) {
                        lrScale *= recipe.guard().lrCut();
                        measured.put("lr_scale", lrScale);
                        Control.append(runDir, s.step(), lrScale);
                        message += String.format(Locale.ROOT, "; the trainer was signalled to scale its learning rate to %.3g", lrScale);
                    } else if (recipe.guard().policy() == Recipe.Guard.Policy.REMEDIATE) {
                        message += "; detected only: the trainer does not declare lr_cut support";
                    }
                    record(new RunEvent(s.step(), a.kind(), a.rule(), measured, signal ? EventAction.SIGNAL : EventAction.NONE, message));
                }
                case Finding.GradSpike g -> record(new RunEvent(s.step(), g.kind(), g.rule(), measured, EventAction.NONE, null));
                case Finding.Warning w -> record(new RunEvent(s.step(), w.kind(), w.rule(), measured, EventAction.WARN, w.message()));
            }
        }
    }

    /** The fraction of the run budget a step has spent. */
    static double progress(Recipe recipe, TrainerLine.Step s) {
        return switch (recipe.runBudget()) {
            case RunBudget.Steps b -> (s.step() + 1.0) / b.steps();
            case RunBudget.Tokens b -> (double) s.tokens() / b.tokens();
            case RunBudget.Seconds b -> Double.isNaN(s.seconds()) ? 0 : s.seconds() / b.seconds();
            case RunBudget.Flops b -> 6.0 * recipe.estimatedParameters() * s.tokens() / b.flops();
        };
    }

    private void record(RunEvent e) {
        events.add(e);
        RecipeRunner.appendEvent(runDir.resolve(RecipeRunner.EVENTS), e);
        listener.onEvent(e);
    }

    long lastEvalStep() {
        return lastEvalStep;
    }

    long steps() {
        return lastStep + 1;
    }

    long tokens() {
        return tokens;
    }

    double seconds() {
        return seconds;
    }

    double recentLoss() {
        return recentLoss;
    }

    Optional<String> stopReason() {
        return Optional.ofNullable(stopReason);
    }

    Optional<String> divergence() {
        return Optional.ofNullable(divergence);
    }

    List<RunEvent> events() {
        return List.copyOf(events);
    }

    List<RunResult.CurvePoint> curve() {
        return List.copyOf(curve);
    }

    /** The run's control file: the lab's signals to its trainer, one JSON line each. */
    static final class Control {
        private Control() {
        }

        static void append(Path runDir, long step, double lrScale) {
            var line = String.format(Locale.ROOT, "{\"step\": %d, \"signal\": \"lr_cut\", \"lr_scale\": %s}%n", step,
                    dev.flywheel.lab.recipe.Values.format(lrScale));
            try {
                java.nio.file.Files.writeString(runDir.resolve(TrainerLaunch.CONTROL), line, java.nio.charset.StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot write " + runDir.resolve(TrainerLaunch.CONTROL), e);
            }
        }
    }
}
