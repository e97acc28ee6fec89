package dev.flywheel.agent;

import dev.flywheel.lab.recipe.Values;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.study.Lab;
import dev.flywheel.lab.study.StudyState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The compact memory a restarted conversation begins from, built from the study's own record (the store behind the
 * journal) rather than from the old conversation: where the study stands, what was kept, what was discarded and
 * why, what failed and how, every setting already tried without success, the proposals the search space refused,
 * and the notes — so a model with a fresh context does not walk into the same dead ends.
 */
final class Memory {

    private Memory() {
    }

    /**
     * @param restart      how many times the conversation has been restarted, this one included (0: the first opening)
     * @param rejections   proposals the study refused in this session
     * @param lastExchange the last tool calls and results before the restart, or null
     */
    static String build(Lab study, int restart, List<LabTools.Rejection> rejections, String lastExchange) {
        var s = study.state();
        var out = new StringBuilder();
        if (restart > 0)
            out.append("# Memory of this study (conversation restart ").append(restart).append(")\n\n")
                    .append("The conversation was restarted to keep the context short. This memory is built from the study's ")
                    .append("journal; the tools work as before (study_state has the full table of runs).\n\n");
        else
            out.append("# This study so far\n\n");
        out.append("## Objective\n").append(s.objective() == null ? "(none given)" : s.objective().strip()).append("\n\n");

        out.append("## Standing\n");
        out.append(String.format(Locale.ROOT, "- Metric: %s on the validation split, lower is better.%n", s.metric()));
        if (s.baseline().metric() != null)
            out.append(String.format(Locale.ROOT, "- Baseline: %.4f over %d seeds. Noise floor: %s. Keep rule: %s.%n",
                    s.baseline().metric(), s.baseline().metrics().size(), s.noise().describe(), s.keepRule()));
        if (s.best().metric() != null)
            out.append(String.format(Locale.ROOT, "- Best so far: %.4f (run %s)%s.%n", s.best().metric(), s.best().run(),
                    s.baseline().metric() == null ? "" : String.format(Locale.ROOT, ", %+.4f vs the baseline",
                            s.best().metric() - s.baseline().metric())));
        if (!s.best().diffFromStart().isEmpty())
            out.append("- The best recipe differs from the start in: ").append(String.join("; ", s.best().diffFromStart())).append(".\n");
        out.append("- Budget: ").append(budget(s.budget())).append("\n\n");

        var experiments = experiments(s.runs());
        var kept = new ArrayList<String>();
        var discarded = new ArrayList<String>();
        var failed = new ArrayList<String>();
        var tried = new LinkedHashMap<String, List<String>>();
        for (var e : experiments) {
            var first = e.getFirst();
            var line = new StringBuilder("- ").append(first.run()).append(" (").append(first.proposer()).append("): ")
                    .append(first.change() == null ? "?" : first.change());
            var metrics = e.stream().filter(r -> r.metric() != null).map(r -> String.format(Locale.ROOT, "%.4f", r.metric())).toList();
            if (!metrics.isEmpty()) line.append(" → ").append(String.join(", ", metrics));
            if (first.delta() != null) line.append(String.format(Locale.ROOT, " (%+.4f vs the best then)", first.delta()));
            if (first.hypothesis() != null) line.append(" — hypothesis: \"").append(LabTools.clip(first.hypothesis(), 200)).append('"');
            var bad = e.stream().filter(r -> !"finished".equals(r.status()) || r.stoppedAt() != null).findFirst();
            String decision = first.decision() == null ? "undecided" : first.decision();
            if ("keep".equals(decision)) {
                kept.add(line.toString());
            } else if (bad.isPresent()) {
                var r = bad.get();
                line.append(" — ").append(r.stoppedAt() != null
                        ? String.format(Locale.ROOT, "stopped early at %.0f%%", 100 * r.stoppedAt()) : r.status());
                if (r.rationale() != null) line.append(": ").append(LabTools.clip(r.rationale(), 240));
                var events = events(study, r.run());
                if (!events.isEmpty()) line.append(" Guard: ").append(LabTools.clip(String.join("; ", events), 300));
                failed.add(line.toString());
                remember(tried, study, first, r.stoppedAt() != null ? "stopped early" : r.status());
            } else {
                if (first.rationale() != null) line.append(" — ").append(LabTools.clip(first.rationale(), 240));
                discarded.add(line.toString());
                remember(tried, study, first, first.delta() == null ? "discarded"
                        : String.format(Locale.ROOT, "%+.4f", first.delta()));
            }
        }
        section(out, "What worked (kept, in order)", kept, "nothing kept yet");
        section(out, "What did not beat the best (discarded)", discarded, "none");
        section(out, "What failed (crashed, diverged, stopped early) and why", failed, "none");
        var triedLines = new ArrayList<String>();
        tried.forEach((path, values) -> triedLines.add("- " + path + ": " + String.join(", ", values)));
        section(out, "Settings already tried without success (do not repeat them without a new reason)", triedLines, "none");
        var rej = rejections.stream().map(r -> "- " + r.changes() + ": " + LabTools.clip(r.reason(), 240)).distinct().toList();
        section(out, "Proposals the search space refused (fix the path or value rather than repeating them)",
                rej.subList(Math.max(0, rej.size() - 12), rej.size()), "none");
        var notes = s.notes();
        section(out, "Notes in the journal (latest last)", notes.subList(Math.max(0, notes.size() - 15), notes.size())
                .stream().map(n -> "- " + LabTools.clip(n, 400)).toList(), "none");
        if (lastExchange != null && !lastExchange.isBlank())
            out.append("## Where you left off\n").append(lastExchange.strip()).append("\n\n");
        return out.toString().strip();
    }

    private static String budget(StudyState.Budget b) {
        var left = b.leftSeconds() != null ? String.format(Locale.ROOT, "%.0f s of %s left", b.leftSeconds(), b.total())
                : b.runsLeft() != null ? b.runsLeft() + " of " + b.total() + " left" : b.total();
        return left + String.format(Locale.ROOT, ", a run takes about %.0f s (run budget %s)", b.runSeconds(), b.perRun())
                + (b.spent() ? "; no further experiment fits" : "");
    }

    /** Experiment runs (not baseline or scale checks) grouped by experiment, in order. */
    private static List<List<StudyState.Row>> experiments(List<StudyState.Row> rows) {
        var groups = new LinkedHashMap<String, List<StudyState.Row>>();
        for (var r : rows) {
            if (!"experiment".equals(r.role()) && !"confirm".equals(r.role())) continue;
            groups.computeIfAbsent(r.experiment() == null ? r.run() : r.experiment(), k -> new ArrayList<>()).add(r);
        }
        return new ArrayList<>(groups.values());
    }

    private static void remember(Map<String, List<String>> tried, Lab study, StudyState.Row first, String outcome) {
        var run = study.record().run(first.run());
        if (run.isEmpty() || run.get().change() == null) return;
        run.get().change().values().forEach((path, value) ->
                tried.computeIfAbsent(path, k -> new ArrayList<>()).add(Values.format(value) + " (" + outcome + ")"));
    }

    private static List<String> events(Lab study, String runId) {
        try {
            var d = study.runDetails(runId);
            return d.row().status().equals(RunStatus.FINISHED.id()) && d.events().isEmpty() ? List.of() : d.events();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    private static void section(StringBuilder out, String title, List<String> lines, String none) {
        out.append("## ").append(title).append('\n');
        if (lines.isEmpty()) out.append(none).append('\n');
        else lines.forEach(l -> out.append(l).append('\n'));
        out.append('\n');
    }
}
