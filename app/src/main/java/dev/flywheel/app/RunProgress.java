package dev.flywheel.app;

import dev.flywheel.engine.Trainer;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunListener;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The live progress line of a training run: step, loss, learning rate, gradient norm, tokens/s and time left.
 * On a terminal it rewrites one line a few times a second; otherwise (a log file, a pipe) it prints a line every
 * tenth of the budget, so logs stay readable.
 */
class RunProgress implements RunListener {

    private final PrintStream out;
    private final boolean tty;
    private long lastPrint;
    private int lastDecile = -1;
    private double smoothLoss = Double.NaN;
    private boolean lineOpen;

    RunProgress(PrintStream out) {
        this.out = out;
        this.tty = System.console() != null && System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"));
    }

    @Override
    public void onStart(RunInfo info) {
        endLine();
        out.printf(Locale.ROOT, "run %s: %,d parameters, %s, %,d train / %,d val tokens, %,d tokens per step, budget %s%n",
                info.runId(), info.params(), info.tokenizer(), info.trainTokens(), info.valTokens(), info.tokensPerStep(),
                info.budget());
    }

    @Override
    public void onStep(Trainer.StepStats s) {
        smoothLoss = Double.isNaN(smoothLoss) || !Double.isFinite(smoothLoss) ? s.loss() : 0.95 * smoothLoss + 0.05 * s.loss();
        long now = System.nanoTime();
        int decile = (int) Math.min(10, Math.floor(s.progress() * 10));
        boolean due = tty ? now - lastPrint > 250_000_000L : decile != lastDecile;
        if (!due) return;
        lastPrint = now;
        lastDecile = decile;
        double tokS = s.trainSeconds() > 0 ? s.tokens() / s.trainSeconds() : 0;
        double left = s.progress() > 0 ? s.trainSeconds() * (1 - s.progress()) / s.progress() : Double.NaN;
        String line = String.format(Locale.ROOT, "step %6d  loss %.4f  lr %.2e  grad %.3f  %,.0f tok/s  %3.0f%%  ETA %s",
                s.step() + 1, smoothLoss, s.lr(), s.gradNorm(), tokS, 100 * Math.min(1, s.progress()), eta(left));
        if (tty) {
            out.print("\r" + line + "   ");
            lineOpen = true;
        } else {
            out.println(line);
        }
        out.flush();
    }

    @Override
    public void onEval(Trainer.EvalResult e) {
        endLine();
        out.printf(Locale.ROOT, "eval at step %d: val loss %.4f, %.4f bits per byte (%,d tokens)%n", e.step(), e.loss(),
                e.bitsPerByte(), e.tokens());
    }

    @Override
    public void onEvent(RunEvent e) {
        endLine();
        out.printf(Locale.ROOT, "step %d: %s (%s) -> %s%s%n", e.step(), e.kind(), e.rule(), e.action(),
                e.message() == null ? "" : ": " + e.message());
    }

    void endLine() {
        if (lineOpen) {
            out.println();
            lineOpen = false;
        }
    }

    private static String eta(double seconds) {
        if (!Double.isFinite(seconds)) return "--";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
