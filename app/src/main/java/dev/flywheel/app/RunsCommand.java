package dev.flywheel.app;

import dev.flywheel.lab.store.Store;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code flywheel runs show ID}: one run of a study — recipe, metrics, curve, events, decision. */
@Command(name = "runs", mixinStandardHelpOptions = true, description = "Look at runs.", subcommands = {RunsCommand.Show.class})
final class RunsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "A run's recipe, metrics summary, learning curve, events and the decision on it.")
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The run id, such as builtin-20260101-120000-004.")
        String id;
        @Option(names = "--lab", paramLabel = "DIR", description = "Lab directory (default: $FLYWHEEL_LAB or ./flywheel-lab).")
        Path lab;
        @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
        boolean json;

        @Override
        public Integer call() {
            var o = new Output(json);
            var labDir = Lab.existing(lab);
            Lab.runId(id);
            if (!java.nio.file.Files.exists(labDir.store()))
                throw new IllegalArgumentException("there are no runs in " + labDir.dir() + "; check --lab");
            var store = Store.open(labDir.store());
            var run = store.run(id).orElseThrow(() -> new IllegalArgumentException("there is no run " + id
                    + " in " + labDir.dir() + "; list a study's runs with `flywheel study show NAME`"));
            if (run.study() == null)
                throw new IllegalArgumentException("run " + id + " is not part of a study; `flywheel runs show` shows study runs");
            var d = StudyCommand.inspect(labDir, run.study()).runDetails(id);
            var r = d.row();
            o.say("run %s · study %s · #%d · %s · proposed by %s", r.run(), run.study(), r.ordinal(), r.role(), r.proposer());
            if (r.hypothesis() != null) o.say("hypothesis: %s", r.hypothesis());
            o.say("status: %s", r.stoppedAt() == null ? r.status() : String.format(Locale.ROOT, "stopped early at %.0f%%", 100 * r.stoppedAt()));
            if (r.metric() != null) o.say("metric: %.6f%s", r.metric(), r.delta() == null ? "" : String.format(Locale.ROOT, " (%+.6f against the best before it)", r.delta()));
            if (run.testMetric() != null) o.say("held-out test: %.6f", run.testMetric());
            o.say("steps %s, tokens %s, %s s of training, %s",
                    run.steps(), run.tokens(), run.trainSeconds() == null ? "—" : String.format(Locale.ROOT, "%.1f", run.trainSeconds()),
                    d.diagnostics().summary());
            if (r.decision() != null) o.say("decision: %s — %s", r.decision(), r.rationale());
            o.say("recipe %s:", d.recipe().hash());
            var sections = new java.util.LinkedHashMap<String, java.util.List<String>>();
            d.recipe().flatten().forEach((path, value) -> {
                int dot = path.indexOf('.');
                sections.computeIfAbsent(dot < 0 ? "run" : path.substring(0, dot), k -> new java.util.ArrayList<>())
                        .add((dot < 0 ? path : path.substring(dot + 1)) + "=" + dev.flywheel.lab.recipe.Values.format(value));
            });
            sections.forEach((section, values) -> o.say("  %-10s %s", section, String.join(" ", values)));
            o.say("changes from its parent:%s", d.diffFromParent().isEmpty() ? " none" : "");
            for (var line : d.diffFromParent()) o.say("  %s", line);
            o.say("changes from the starting recipe:%s", d.diffFromStart().isEmpty() ? " none" : "");
            for (var line : d.diffFromStart()) o.say("  %s", line);
            o.say("curve (step, progress, loss, lr, grad norm):");
            var curve = d.curve();
            int every = Math.max(1, curve.size() / 16);
            for (int i = 0; i < curve.size(); i += every) {
                var p = curve.get(i);
                o.say("  %6d %5.1f%% %8.4f %10.3e %8.3f", p.step(), 100 * p.progress(), p.loss(), p.lr(), p.gradNorm());
            }
            o.say("events:%s", d.events().isEmpty() ? " none" : "");
            for (var e : d.events()) o.say("  %s", e);
            if (d.error() != null) o.say("error: %s", d.error());
            if (d.logTail() != null && !d.logTail().isBlank()) o.say("end of its log:%n%s", d.logTail());
            if (d.checkpoint() != null) o.say("checkpoint: %s", d.checkpoint());
            var j = new LinkedHashMap<String, Object>();
            j.put("run", r.run());
            j.put("study", run.study());
            j.put("ordinal", r.ordinal());
            j.put("role", r.role());
            j.put("proposer", r.proposer());
            j.put("hypothesis", r.hypothesis());
            j.put("status", r.status());
            j.put("stopped_at", r.stoppedAt());
            j.put("metric", r.metric());
            j.put("test_metric", run.testMetric());
            j.put("delta", r.delta());
            j.put("decision", r.decision());
            j.put("rationale", r.rationale());
            j.put("steps", run.steps());
            j.put("tokens", run.tokens());
            j.put("train_seconds", run.trainSeconds());
            j.put("diagnostics", d.diagnostics().summary());
            j.put("diff_from_parent", d.diffFromParent());
            j.put("diff_from_start", d.diffFromStart());
            j.put("recipe", d.recipe().flatten());
            j.put("events", d.events());
            j.put("error", d.error());
            j.put("checkpoint", d.checkpoint());
            o.result(j);
            return 0;
        }
    }
}
