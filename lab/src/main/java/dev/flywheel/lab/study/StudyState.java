package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a study stands, as a researcher needs it: the objective, the budget left, the baseline, the current best
 * recipe and its metric, the noise floor, the search space and a compact table of every run with its hypothesis
 * and decision. {@link Study#state()} builds it; an agent receives it as the {@code study_state} tool result, and
 * {@link #table()} is the table for people.
 */
public record StudyState(String study, String title, String objective, String metric, String researcher,
                         Budget budget, Baseline baseline, Best best, Noise noise, double keepSigmas,
                         List<String> searchSpace, List<Row> runs, List<String> notes, boolean finished,
                         String keepRule) {

    /**
     * @param total      the study budget as written (30m, 50runs)
     * @param perRun     the run budget as written (60s)
     * @param leftSeconds time left for a time budget, else null
     * @param runsLeft   runs left for a runs budget, else null
     * @param spent      no further experiment fits (what is left is reserved for the scale check and the end)
     * @param runSeconds how long a run takes here, start-up and evaluation included
     */
    public record Budget(String total, String perRun, double spentSeconds, Double leftSeconds, int runsDone,
                         Integer runsLeft, boolean spent, double runSeconds) {}

    /** The starting recipe's seed runs and their mean metric (the first best). */
    public record Baseline(List<String> runs, List<Double> metrics, Double metric) {}

    /**
     * @param diffFromStart what the kept changes changed, one line per setting
     * @param keptChanges   the kept experiments in order, one line each
     */
    public record Best(String run, Double metric, Recipe recipe, List<String> diffFromStart, List<String> keptChanges) {}

    /** σ as measured (NaN until two seeds finished), as used by the keep rule, and in words. */
    public record Noise(double measured, double used, int dof, String describe) {}

    /** One run. {@code delta} is its metric − the best before it; {@code stoppedAt} the budget fraction where it was stopped. */
    public record Row(int ordinal, String run, String experiment, String role, String proposer, String hypothesis,
                      String change, String status, Double metric, Double delta, String decision, String rationale,
                      Double stoppedAt, Double trainSeconds, Long steps) {}

    /** The state of a study with {@code settings} after history {@code h}, whose standing is {@code st}. */
    static StudyState of(StudySettings settings, StudyHistory h, Standing st, Budget budget, boolean finished) {
        var brief = settings.brief();
        var rows = h.runs().stream().map(r -> JournalWriter.row(h, r)).toList();
        var notes = h.notes().stream().map(n -> n.author() + ": " + n.body()).toList();
        var baselineRuns = h.runsOf(Role.BASELINE);
        return new StudyState(settings.name(), brief.title(), brief.objective(), settings.metric().id(),
                settings.researcher(), budget,
                new Baseline(baselineRuns.stream().map(RunRecord::id).toList(),
                        baselineRuns.stream().map(RunRecord::metric).toList(), st.baselineMetric()),
                new Best(st.bestRun(), st.bestMetric(), st.bestRecipe(), Recipe.diff(settings.start(), st.bestRecipe()),
                        st.keptLines()),
                new Noise(st.noise().measured(), st.noise().used(), st.noise().dof(), st.noise().describe()),
                settings.keepSigmas(), settings.space().describe(), rows, notes, finished, keepRule(settings, h));
    }

    /** How the study decides, in a sentence for a researcher (an LLM reads it in study_state). */
    static String keepRule(StudySettings settings, StudyHistory h) {
        var d = settings.decisions();
        if (!d.paired()) return String.format(Locale.ROOT, "a change is kept only if its metric beats the best by more "
                + "than %.1f noise standard deviations; a close call is confirmed with another seed; crashed, diverged "
                + "and early-stopped runs are discarded", settings.keepSigmas());
        var budget = PairedPolicy.budget(h, d);
        return String.format(Locale.ROOT, "each seed of a change runs against the best recipe's run on the same seed; "
                + "the study adds seeds (%d to %d) while the call is unclear and keeps the change only when its paired "
                + "gain is shown at the error budget allotted to it (one-sided t-test at α/%d per look), discards it early "
                + "when even an optimistic bound on its gain is below the noise floor, and re-measures a kept change on "
                + "%d fresh seeds; every experiment, kept or not, spends from the %s", d.minSeeds(), d.maxSeeds(),
                d.maxSeeds() - d.minSeeds() + 1, d.remeasureSeeds(), budget.describe());
    }

    /** The runs as a fixed-width table, one line each. */
    public String table() {
        return table(runs, metric);
    }

    public static String table(List<Row> rows, String metric) {
        var out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%4s  %-16s %-10s %-12s %-10s %10s %9s  %-8s %s%n", "#", "run", "role",
                "proposer", "status", metric, "delta", "decision", "change — hypothesis"));
        for (var r : rows) {
            var what = r.change() == null || r.change().isBlank() ? "" : r.change();
            if (r.hypothesis() != null && !r.hypothesis().isBlank())
                what += (what.isEmpty() ? "" : " — ") + oneLine(r.hypothesis(), 90);
            var status = r.stoppedAt() != null ? String.format(Locale.ROOT, "stop@%.0f%%", 100 * r.stoppedAt()) : r.status();
            out.append(String.format(Locale.ROOT, "%4d  %-16s %-10s %-12s %-10s %10s %9s  %-8s %s%n", r.ordinal(),
                    r.run(), orDash(r.role()), clip(orDash(r.proposer()), 12), status,
                    r.metric() == null ? "—" : String.format(Locale.ROOT, "%.4f", r.metric()),
                    r.delta() == null ? "—" : String.format(Locale.ROOT, "%+.4f", r.delta()), orDash(r.decision()), what));
        }
        return out.toString();
    }

    /** A few lines: budget, baseline, best, noise. */
    public String headline() {
        var lines = new ArrayList<String>();
        lines.add(String.format(Locale.ROOT, "%s: %s, %d runs done, budget %s%s", study, finished ? "finished" : "open",
                budget.runsDone(), budget.total(),
                budget.leftSeconds() != null ? String.format(Locale.ROOT, " (%.0f s left)", budget.leftSeconds())
                        : budget.runsLeft() != null ? " (" + budget.runsLeft() + " runs left)" : ""));
        if (baseline.metric() != null)
            lines.add(String.format(Locale.ROOT, "baseline %s %.4f (%d seeds), noise %s", metric, baseline.metric(),
                    baseline.metrics().size(), noise.describe()));
        if (best.metric() != null)
            lines.add(String.format(Locale.ROOT, "best %s %.4f (%s)%s", metric, best.metric(), best.run(),
                    best.keptChanges().isEmpty() ? "" : ": " + String.join("; ", best.keptChanges())));
        return String.join("\n", lines);
    }

    private static String orDash(String s) {
        return s == null || s.isBlank() ? "—" : s;
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    static String oneLine(String s, int n) {
        var t = dev.flywheel.lab.journal.ResearcherText.line(s);
        return t.length() <= n ? t : t.substring(0, n - 1) + "…";
    }
}
