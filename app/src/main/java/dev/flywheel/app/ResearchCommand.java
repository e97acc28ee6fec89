package dev.flywheel.app;

import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.exec.Executor;
import dev.flywheel.agent.AgentResearchers;
import dev.flywheel.lab.research.Researcher;
import dev.flywheel.lab.search.Brief;
import dev.flywheel.lab.store.Store;
import dev.flywheel.lab.study.Conclusion;
import dev.flywheel.lab.study.Study;
import dev.flywheel.lab.study.StudyLoop;
import dev.flywheel.lab.study.StudySettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code flywheel research}: a study — baseline, experiments proposed by a researcher and kept only when they beat
 * the noise, a scale check, the held-out test, and a journal to read afterwards.
 */
@Command(name = "research", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a research study: changes to a recipe, each kept only if it beats the noise.",
                "A researcher proposes changes to a starting recipe; each is trained under a fixed budget and kept only if",
                "it beats the best so far by more than the noise floor.",
                "With no flags: a 10-minute study of 250k-token runs on the JDK's sources with the built-in researcher.",
                "The journal (journal.md, results.tsv, progress.png) is in LAB/studies/NAME."})
final class ResearchCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "SOURCE", description = "Corpus for every run (default: the brief's, else jdk-src).")
    String data;
    @Option(names = "--budget", paramLabel = "BUDGET", description = "Study budget: a total time (10m, 2h) or a number of runs (50runs). Default: the brief's, else 10m.")
    String budget;
    @Option(names = "--run-budget", paramLabel = "BUDGET", description = "Budget of each run: 250k tokens (compute: the same steps on any machine), 500steps, or wall-clock 30s, 2m. Default: the brief's (250k tokens).")
    String runBudget;
    @Option(names = "--researcher", defaultValue = "builtin", paramLabel = "builtin|random|claude|openai", description = {"Who proposes the experiments (default: ${DEFAULT-VALUE}):",
                "the built-in researcher (offline), random search, Claude (ANTHROPIC_API_KEY) or an OpenAI-compatible server."})
    String researcher;
    @Option(names = "--brief", paramLabel = "FILE", description = "Research brief in Markdown: objective, constraints, search space, baseline.")
    Path brief;
    @Option(names = "--study", paramLabel = "NAME", description = "Study name (default: RESEARCHER-TIMESTAMP); with --resume, the study to continue.")
    String study;
    @Option(names = "--resume", description = "Continue a study that was stopped or killed (the latest unfinished one without --study).")
    boolean resume;
    @Option(names = "--lab", paramLabel = "DIR", description = "Lab directory (default: $FLYWHEEL_LAB or ./flywheel-lab).")
    Path lab;
    @Mixin
    ExecutionOptions execution;
    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seed of the researcher's random choices (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--no-early-stop", description = "Do not stop clearly losing runs early.")
    boolean noEarlyStop;
    @Option(names = "--no-scale-check", description = "Skip the scale check at the end (the kept changes at two larger sizes, each arm at its own swept learning rate); the best recipe is then exported unchecked.")
    boolean noScaleCheck;
    @Option(names = "--checkpoint-every", converter = Numbers.NonNegativeDouble.class, defaultValue = "30", paramLabel = "SECONDS", description = "Checkpoint runs this often, to resume after a kill (default: ${DEFAULT-VALUE}).")
    double checkpointEvery;
    @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
    boolean json;
    @Mixin
    LlmOptions llm;

    @Override
    public Integer call() {
        var o = new Output(json);
        var labDir = Lab.at(lab);
        if (study != null) labDir.study(study); // a name that would leave the lab is refused before any write
        execution.check();
        int perRun = execution.threadsPerRun();
        // checks the API key, endpoint and model before anything is trained
        Researcher theResearcher = AgentResearchers.create(researcher, llm.settings(researcher, seed));
        {
            var s = Store.open(labDir.store());
            StudySettings settings;
            if (resume) {
                var name = study != null ? study : latestUnfinished(s);
                if (!StudySettings.exists(labDir.study(name)))
                    throw new IllegalArgumentException("there is no study " + name + " in " + labDir.dir()
                            + " to resume; list the studies with `flywheel studies`, or check --lab");
                settings = StudySettings.read(labDir.study(name), labDir.cache().root())
                        .withExecution(labDir.cache().root(), execution.concurrency, perRun);
                if (!settings.researcher().equals(theResearcher.id()))
                    theResearcher = AgentResearchers.create(settings.researcher(), llm.settings(settings.researcher(), seed));
            } else {
                settings = newSettings(labDir, perRun, theResearcher.id());
            }
            Executor ex = execution.executor(s);
            var progress = new StudyProgress(o.human(), TrainCommand.dataProgress(o));
            o.say("study %s: researcher %s, budget %s, runs of %s on %s%s", settings.name(), settings.researcher(),
                    settings.budget().format(), settings.runBudget().format(), settings.start().data().source(),
                    resume ? " (resumed)" : "");
            o.say("journal: %s", settings.dir().resolve(Study.JOURNAL));
            Conclusion c;
            var interrupted = interruptHint(settings.name());
            Runtime.getRuntime().addShutdownHook(interrupted);
            try (var theStudy = Study.open(settings, resume, s, ex, progress)) {
                c = StudyLoop.run(theStudy, theResearcher);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(interrupted);
                } catch (IllegalStateException shuttingDown) {
                    // interrupted: the hint is on its way
                }
            }
            progress.endLine();
            report(o, c);
            return 0;
        }
    }

    /**
     * What Ctrl-C (SIGINT) or a plain kill leaves on the screen: the study is safe as it is — every write is
     * crash-safe, and the run in training resumes from its last checkpoint — and how to continue it.
     */
    private Thread interruptHint(String name) {
        var labArg = lab == null ? "" : " --lab " + lab;
        return Thread.ofPlatform().unstarted(() -> {
            System.err.println();
            System.err.println("flywheel: interrupted: study " + name + " stopped where it was and lost nothing; continue "
                    + "it with `flywheel research" + labArg + " --study " + name + " --resume`");
            System.err.flush();
        });
    }

    private StudySettings newSettings(Lab labDir, int perRun, String researcherId) {
        var b = brief != null ? Brief.read(brief) : Brief.defaults();
        var start = b.startingRecipe();
        if (data != null) start = start.with("data.source", data);
        if (runBudget != null) {
            var rb = RunBudget.parse(runBudget);
            start = start.with(Map.of("budget.kind", rb.kind(), "budget.amount", rb.amount()));
        }
        var studyBudget = budget != null ? StudyBudget.parse(budget)
                : b.studyBudget().orElse(StudyBudget.parse("10m"));
        var name = study != null ? study : researcher.toLowerCase(Locale.ROOT) + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return new StudySettings(name, b, start, researcherId, studyBudget,
                labDir.study(name), labDir.cache().root(), execution.concurrency, perRun, !noEarlyStop,
                !noScaleCheck, checkpointEvery);
    }

    private static String latestUnfinished(Store store) {
        var open = store.studies().stream().filter(s -> !s.finished()).toList();
        if (open.isEmpty())
            throw new IllegalArgumentException("there is no unfinished study to resume; name one with --study, or list them with `flywheel studies`");
        return open.getLast().name();
    }

    private static void report(Output o, Conclusion c) {
        o.say("");
        o.say("study %s finished: %d runs, %d kept", c.study(), c.runs(), c.kept());
        if (c.baselineMetric() != null && c.bestMetric() != null)
            o.say("%s: baseline %.4f (%s) → best %.4f (%s), %+.4f; noise floor σ %.4f", c.metric(), c.baselineMetric(),
                    c.baselineRun(), c.bestMetric(), c.bestRun(), c.bestMetric() - c.baselineMetric(),
                    c.noiseFloor() == null ? Double.NaN : c.noiseFloor());
        for (var k : c.keptChanges()) o.say("  kept: %s", k);
        if (c.scaleCheck() != null) o.say("scale check: %s", c.scaleCheck());
        if (c.testMetric() != null) o.say("held-out test %s of the best: %.4f", c.metric(), c.testMetric());
        o.say("best recipe: %s (./flywheel train --recipe %s)", c.bestRecipe(), c.bestRecipe());
        o.say("journal: %s", c.journal());
        var j = new LinkedHashMap<String, Object>();
        String unit = c.metric().equals("val_loss") ? "loss" : "bpb";
        j.put("study", c.study());
        j.put("metric", c.metric());
        j.put("runs", c.runs());
        j.put("kept", c.kept());
        j.put("baseline_" + unit, c.baselineMetric());
        j.put("best_" + unit, c.bestMetric());
        j.put("noise_" + unit, c.noiseFloor());
        j.put("test_" + unit, c.testMetric());
        j.put("baseline_run", c.baselineRun());
        j.put("best_run", c.bestRun());
        j.put("kept_changes", c.keptChanges());
        j.put("scale_check", c.scaleCheck());
        j.put("scale_held", c.scaleHeld());
        j.put("best_recipe", c.bestRecipe().toString());
        j.put("candidate_recipe", c.candidateRecipe().toString());
        j.put("journal", c.journal().toString());
        j.put("results", c.results().toString());
        j.put("chart", c.chart().toString());
        o.result(j);
    }
}
