package dev.flywheel.app;

import dev.flywheel.data.Progress;
import dev.flywheel.lab.exec.RunWatcher;
import dev.flywheel.lab.journal.ResearcherText;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.study.ExperimentResult;
import dev.flywheel.lab.study.StudyListener;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The live view of a study: each run as it starts (who proposed what, and why), its learning curve so far as a
 * sparkline with the loss, progress, the best so far and the time left, then the result and the decision. On a
 * terminal the run's line is rewritten in place; in a log (nohup, a pipe) a line is printed every quarter of a run.
 */
final class StudyProgress implements StudyListener {

    private static final String BARS = "▁▂▃▄▅▆▇█";
    private static final int BUCKETS = 24;

    private final PrintStream out;
    private final boolean tty;
    private final Progress data;
    private final Object lock = new Object();
    private String runId;
    private String bestLine = "";
    private double leftAtStart = Double.NaN;
    private String lastHypothesis;
    private long startNanos;
    private final double[] sum = new double[BUCKETS];
    private final int[] count = new int[BUCKETS];
    private long lastPrint;
    private int lastQuarter = -1;
    private boolean lineOpen;

    StudyProgress(PrintStream out, Progress data) {
        this.out = out;
        this.data = data;
        this.tty = System.console() != null && System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"));
    }

    @Override
    public Progress dataProgress() {
        return data;
    }

    @Override
    public void phase(String message) {
        synchronized (lock) {
            endLine();
            out.println("· " + message);
        }
    }

    @Override
    public void runStarted(RunStart s) {
        synchronized (lock) {
            endLine();
            runId = s.runId();
            java.util.Arrays.fill(sum, 0);
            java.util.Arrays.fill(count, 0);
            lastQuarter = -1;
            startNanos = System.nanoTime();
            var st = s.standing();
            leftAtStart = st.leftSeconds() == null ? Double.NaN : st.leftSeconds();
            bestLine = st.bestMetric() == null ? "" : String.format(Locale.ROOT, "best %.4f (%s)%s", st.bestMetric(),
                    st.bestRun(), st.noise() == null ? "" : String.format(Locale.ROOT, " σ %.4f", st.noise()));
            var budget = st.runsTotal() != null ? String.format(Locale.ROOT, "run %d of %d", st.runsDone() + 1, st.runsTotal())
                    : st.leftSeconds() != null ? "run " + (st.runsDone() + 1) + ", " + duration(Math.max(0, st.leftSeconds())) + " left"
                    : "run " + (st.runsDone() + 1);
            out.printf(Locale.ROOT, "%n[%s] %s · %s · %s%s%n", budget, s.runId(), s.role(), s.proposer(),
                    s.resumed() ? " (resumed from its checkpoint)" : "");
            if (s.description() != null && !s.description().isBlank()) out.println("  " + s.description());
            // an experiment's seeds share its hypothesis: say it once
            if (s.hypothesis() != null && !s.hypothesis().isBlank() && !"baseline".equals(s.role())
                    && !s.hypothesis().equals(lastHypothesis))
                out.println("  “" + clip(s.hypothesis(), 300) + "”");
            lastHypothesis = s.hypothesis();
            out.flush();
        }
    }

    @Override
    public void runProgress(String id, RunWatcher.Step step) {
        synchronized (lock) {
            if (!id.equals(runId)) return;
            int b = (int) Math.min(BUCKETS - 1, Math.max(0, step.progress() * BUCKETS));
            if (Double.isFinite(step.loss())) {
                sum[b] += step.loss();
                count[b]++;
            }
            long now = System.nanoTime();
            int quarter = (int) Math.min(4, Math.floor(step.progress() * 4));
            boolean due = tty ? now - lastPrint > 250_000_000L : quarter != lastQuarter && quarter > 0;
            if (!due) return;
            lastPrint = now;
            lastQuarter = quarter;
            var left = Double.isNaN(leftAtStart) ? "" : " · " + duration(Math.max(0, leftAtStart - (now - startNanos) / 1e9)) + " left";
            var line = String.format(Locale.ROOT, "  %s loss %.4f · step %d · %3.0f%% · %s%s", sparkline(),
                    step.loss(), step.step() + 1, 100 * Math.min(1, step.progress()), bestLine, left);
            if (tty) {
                out.print("\r" + line + "   ");
                lineOpen = true;
            } else out.println(line);
            out.flush();
        }
    }

    @Override
    public void runEvent(String id, RunEvent e) {
        synchronized (lock) {
            endLine();
            out.printf(Locale.ROOT, "  ! step %d: %s (%s) → %s%s%n", e.step(), e.kind(), e.rule(), e.action(),
                    e.message() == null ? "" : ": " + clip(e.message(), 200));
        }
    }

    @Override
    public void runEnded(String id, String status, Double metric, double wallSeconds) {
        synchronized (lock) {
            endLine();
            out.printf(Locale.ROOT, "  %s %s%s in %.0f s%n", id.equals(runId) ? sparkline() : "", status,
                    metric == null ? "" : String.format(Locale.ROOT, ", metric %.4f", metric), wallSeconds);
        }
    }

    @Override
    public void decided(ExperimentResult r) {
        synchronized (lock) {
            endLine();
            out.printf(Locale.ROOT, "  ⇒ %s: %s%n", r.decision(), clip(r.rationale(), 400));
            if (r.bestAfter() != null) out.printf(Locale.ROOT, "  best so far %.4f%n", r.bestAfter());
        }
    }

    @Override
    public void noted(String author, String text) {
        synchronized (lock) {
            endLine();
            out.println("  note from " + author + ": " + clip(text, 400));
        }
    }

    void endLine() {
        if (lineOpen) {
            out.println();
            lineOpen = false;
        }
    }

    /** The mean loss per 1/24 of the budget, min to max as ▁ to █; stretches with no step heard repeat the last. */
    private String sparkline() {
        int last = -1;
        for (int i = 0; i < BUCKETS; i++) if (count[i] > 0) last = i;
        if (last < 0) return " ".repeat(BUCKETS);
        double[] v = new double[last + 1];
        double prev = Double.NaN, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i <= last; i++) {
            v[i] = count[i] > 0 ? sum[i] / count[i] : prev;
            prev = v[i];
            if (Double.isFinite(v[i])) {
                min = Math.min(min, v[i]);
                max = Math.max(max, v[i]);
            }
        }
        var sb = new StringBuilder();
        for (int i = 0; i < BUCKETS; i++) {
            if (i > last || !Double.isFinite(v[i])) {
                sb.append(' ');
                continue;
            }
            int level = max > min ? (int) Math.round((v[i] - min) / (max - min) * (BARS.length() - 1)) : 0;
            sb.append(BARS.charAt(level));
        }
        return sb.toString();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }

    static String clip(String s, int n) {
        var t = ResearcherText.line(s);
        return t.length() <= n ? t : t.substring(0, n - 1) + "…";
    }
}
