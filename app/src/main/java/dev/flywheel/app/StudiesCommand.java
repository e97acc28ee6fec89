package dev.flywheel.app;

import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code flywheel studies}: every study of the lab, one line each. */
@Command(name = "studies", mixinStandardHelpOptions = true, description = "List the lab's studies.")
final class StudiesCommand implements Callable<Integer> {

    @Option(names = "--lab", paramLabel = "DIR", description = "Lab directory (default: $FLYWHEEL_LAB or ./flywheel-lab).")
    Path lab;
    @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
    boolean json;

    @Override
    public Integer call() {
        var o = new Output(json);
        var labDir = Lab.existing(lab);
        if (!java.nio.file.Files.exists(labDir.store())) {
            o.say("no studies yet in %s; start one with `flywheel research`", labDir.dir());
            o.result(java.util.Map.of("studies", java.util.List.of()));
            return 0;
        }
        var store = Store.open(labDir.store());
        var time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneId.systemDefault());
        var list = new ArrayList<Object>();
        o.say("%-32s %-9s %-12s %6s %5s %10s %10s  %s", "study", "status", "researcher", "runs", "kept", "baseline", "best", "started");
        for (var s : store.studies()) {
            var runs = store.runs(s.name());
            var decisions = store.decisions(s.name());
            long kept = decisions.stream().filter(d -> d.decision() == dev.flywheel.lab.store.Decision.KEEP).map(d ->
                    runs.stream().filter(r -> r.id().equals(d.run())).findFirst().orElse(null))
                    .filter(r -> r != null && r.role() == Role.EXPERIMENT && r.id().equals(r.experiment())).count();
            var baseline = runs.stream().filter(r -> r.role() == Role.BASELINE && r.metric() != null)
                    .mapToDouble(r -> r.metric()).average();
            var best = bestMetric(runs, decisions);
            long done = runs.stream().filter(r -> r.status().isFinal()).count();
            o.say("%-32s %-9s %-12s %6d %5d %10s %10s  %s", s.name(), s.finished() ? "finished" : "open", s.researcher(),
                    done, kept, baseline.isPresent() ? String.format(Locale.ROOT, "%.4f", baseline.getAsDouble()) : "—",
                    best == null ? "—" : String.format(Locale.ROOT, "%.4f", best), time.format(s.createdAt()));
            var j = new LinkedHashMap<String, Object>();
            j.put("study", s.name());
            j.put("finished", s.finished());
            j.put("researcher", s.researcher());
            j.put("metric", s.metric());
            j.put("runs", done);
            j.put("kept", kept);
            j.put("baseline", baseline.isPresent() ? baseline.getAsDouble() : null);
            j.put("best", best);
            j.put("budget", s.budget());
            j.put("run_budget", s.runBudget());
            j.put("created_at", s.createdAt().toString());
            j.put("directory", labDir.studies().resolve(s.name()).toString());
            list.add(j);
        }
        o.result(java.util.Map.of("studies", list));
        return 0;
    }

    /** The metric of the last kept experiment (the mean of its complete runs), else the baseline mean. */
    static Double bestMetric(java.util.List<dev.flywheel.lab.store.RunRecord> runs,
                             java.util.List<dev.flywheel.lab.store.DecisionRecord> decisions) {
        Double best = null;
        var keptRuns = new java.util.HashSet<String>();
        for (var d : decisions) if (d.decision() == dev.flywheel.lab.store.Decision.KEEP) keptRuns.add(d.run());
        var byExperiment = new LinkedHashMap<String, java.util.List<Double>>();
        for (var r : runs) {
            if (!keptRuns.contains(r.id()) || r.metric() == null || r.stoppedAt() != null) continue;
            if (r.role() != Role.BASELINE && r.role() != Role.EXPERIMENT && r.role() != Role.CONFIRM) continue;
            byExperiment.computeIfAbsent(r.experiment(), k -> new ArrayList<>()).add(r.metric());
        }
        for (var metrics : byExperiment.values())
            best = metrics.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        return best;
    }
}
