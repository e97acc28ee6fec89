package dev.flywheel.app;

import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.scaling.LawFit;
import dev.flywheel.lab.search.Brief;
import dev.flywheel.lab.store.Store;
import dev.flywheel.lab.study.LadderPlan;
import dev.flywheel.lab.study.Study;
import dev.flywheel.lab.study.StudySettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code flywheel scale ladder}: trains a ladder of sizes × token counts from a recipe as a study of its own (store,
 * journal, guard; run it again to resume), fits the law on all but the target, writes the prediction down, trains the
 * target and reports the error.
 */
@Command(name = "ladder", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a scaling ladder and predict its largest run before training it. The target gets",
                "--compute FLOPs (C = 6ND) at --tokens-per-param; below it, --sizes model sizes (each ×--size-step",
                "smaller) × --token-counts token counts (D_t, D_t/2, …), each size at the best of a learning-rate",
                "sweep (×0.5, ×1, ×2, extended past an edge), the target at the rate extrapolated from theirs.",
                "Runs are a study's (role ladder): run the same command again to resume."})
final class ScaleLadderCommand implements Callable<Integer> {

    @Option(names = "--recipe", required = true, paramLabel = "FILE", description = "The recipe to ladder (its architecture, data, optimizer; size and budget are the ladder's).")
    Path recipe;
    @Option(names = "--compute", required = true, converter = Numbers.PositiveDouble.class, paramLabel = "FLOPS",
            description = "The target run's training compute C = 6ND, in FLOPs.")
    double compute;
    @Option(names = "--tokens-per-param", converter = Numbers.PositiveDouble.class, defaultValue = "0.5", paramLabel = "R",
            description = "The target's tokens per parameter (default: ${DEFAULT-VALUE}; a small corpus is seen once at most).")
    double tokensPerParam;
    @Option(names = "--sizes", converter = Numbers.PositiveInt.class, defaultValue = "5", paramLabel = "K", description = "Model sizes below the target (default: ${DEFAULT-VALUE}).")
    int sizes;
    @Option(names = "--token-counts", converter = Numbers.PositiveInt.class, defaultValue = "4", paramLabel = "M", description = "Token counts per size (default: ${DEFAULT-VALUE}).")
    int tokenCounts;
    @Option(names = "--size-step", converter = Numbers.PositiveDouble.class, defaultValue = "2", paramLabel = "X", description = "Parameter ratio between sizes (default: ${DEFAULT-VALUE}).")
    double sizeStep;
    @Option(names = "--study", paramLabel = "NAME", description = "The ladder's study name (default: ladder- and the recipe's hash).")
    String study;
    @Option(names = "--bootstrap", converter = Numbers.NonNegativeInt.class, defaultValue = "200", paramLabel = "N", description = "Bootstrap resamples (default: ${DEFAULT-VALUE}).")
    int bootstrap;
    @Option(names = "--lab", paramLabel = "DIR", description = "Lab directory (default: $FLYWHEEL_LAB or ./flywheel-lab).")
    Path lab;
    @Mixin
    ExecutionOptions execution;
    @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
    boolean json;

    /** The ladder's brief: its metric is the validation loss in nats, the unit the law is fitted in. */
    static final String BRIEF = """
            # Scaling ladder

            ## Objective

            Fit a scaling law on a ladder of model sizes and token counts, and predict the largest run before it runs.

            - metric: val_loss

            ## Constraints

            - noise_seeds: 1

            ## Search space

            - defaults
            """;

    @Override
    public Integer call() {
        var o = new Output(json);
        execution.check();
        var base = Recipe.read(recipe);
        var plan = LadderPlan.of(base, new LadderPlan.Settings(compute, tokensPerParam, sizes, tokenCounts, sizeStep));
        var name = study != null ? study : "ladder-" + base.hash();
        var labDir = Lab.at(lab);
        var dir = labDir.study(name);
        var store = Store.open(labDir.store());
        boolean resume = StudySettings.exists(dir);
        var brief = Brief.parse(BRIEF, "the ladder's brief");
        var settings = new StudySettings(name, brief, plan.target(), "ladder", StudyBudget.parse(plan.plannedRuns() + "runs"), dir,
                labDir.cache().root(), execution.concurrency, execution.threadsPerRun(), false, false, 60);
        var progress = new StudyProgress(o.human(), TrainCommand.dataProgress(o));
        o.say("%s scaling ladder %s: %d sizes below a target of %.3g FLOPs", resume ? "resuming" : "starting", name, plan.sizes().size(), compute);
        for (var s : plan.sizes())
            o.say("  %,d parameters (%d layers, width %d): tokens %s", s.params(), s.recipe().model().layers(), s.recipe().model().dim(), s.tokens());
        o.say("  target: %,d parameters (%d layers, %d heads, width %d), %,d tokens", plan.target().estimatedParameters(),
                plan.target().model().layers(), plan.target().model().heads(), plan.target().model().dim(), (long) plan.target().budget().amount());
        dev.flywheel.lab.study.LadderReport report;
        try (var s = Study.open(settings, resume, store, execution.executor(store), progress)) {
            report = s.ladder(plan, new LawFit.Settings(bootstrap, 0, LawFit.Settings.DEFAULT.delta()));
        }
        progress.endLine();
        o.say("");
        ScaleCommand.say(o, report.fit());
        for (var sw : report.sweeps())
            o.say("  sweep at %,d parameters: %s → ×%s", sw.params(), fmt(sw.metrics()), sw.chosen());
        o.say("");
        o.say("%s", report.headline());
        o.say("fit: %s (chart %s); journal: %s", report.files().json(), report.files().png(), dir.resolve(Study.JOURNAL));
        var j = report.toJson();
        j.put("study", name);
        o.result(j);
        return 0;
    }

    private static String fmt(Map<Double, Double> m) {
        var sb = new StringBuilder();
        m.forEach((f, v) -> sb.append(String.format(Locale.ROOT, "×%s %.4f  ", f, v)));
        return sb.toString().strip();
    }
}
