package dev.flywheel.app;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.scaling.ComputePlan;
import dev.flywheel.lab.scaling.FitFiles;
import dev.flywheel.lab.scaling.FitReport;
import dev.flywheel.lab.scaling.LawFit;
import dev.flywheel.lab.scaling.PointsCsv;
import dev.flywheel.lab.scaling.RunPoints;
import dev.flywheel.lab.scaling.ScalingPoint;
import dev.flywheel.lab.store.Store;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code flywheel scale}: scaling laws — fit one to points or a study's runs, plan a compute budget with it, train a
 * ladder and predict its largest run, compare two laws (docs/scaling.md).
 */
@Command(name = "scale", mixinStandardHelpOptions = true,
        description = {"Scaling laws L(N, D) = E + A/N^α + B/D^β: fit them, plan compute-optimal runs, and predict a",
                "bigger run before paying for it."},
        subcommands = {ScaleCommand.Fit.class, ScaleCommand.Plan.class, ScaleLadderCommand.class, ScaleCompareCommand.class})
final class ScaleCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "fit", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Fit the law to points as Epoch AI refitted Chinchilla: Huber loss (δ = 1e-3) on log-loss",
                    "residuals, L-BFGS from Hoffmann's grid of 4,500 starts, bootstrap 95% intervals; and Approach 2",
                    "(IsoFLOP parabolas) when the points form IsoFLOP groups. Writes PREFIX.json, PREFIX.png and PREFIX.md."})
    static final class Fit implements Callable<Integer> {

        static final class Input {
            @Option(names = "--points", paramLabel = "FILE", description = "CSV with a header naming params, tokens (or flops) and loss; optionally label.")
            Path points;
            @Option(names = "--study", paramLabel = "NAME", description = "A study's finished runs (its ladder runs, if it has any).")
            String study;
        }

        @ArgGroup(exclusive = true, multiplicity = "1")
        Input input;
        @Option(names = "--drop-highest", converter = Numbers.NonNegativeInt.class, defaultValue = "0", paramLabel = "K",
                description = "Leave out the K highest-loss points (Epoch dropped 5 of Chinchilla's) (default: ${DEFAULT-VALUE}).")
        int dropHighest;
        @Option(names = "--bootstrap", converter = Numbers.NonNegativeInt.class, defaultValue = "200", paramLabel = "N",
                description = "Bootstrap resamples for the intervals (default: ${DEFAULT-VALUE}).")
        int bootstrap;
        @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "The bootstrap's seed (default: ${DEFAULT-VALUE}).")
        long seed;
        @Option(names = "--out", paramLabel = "PREFIX", description = "Where to write PREFIX.json/.png/.md (default: beside the points "
                + "file, or scaling-fit in the study's folder).")
        Path out;
        @Option(names = "--lab", paramLabel = "DIR", description = "Lab directory for --study (default: $FLYWHEEL_LAB or ./flywheel-lab).")
        Path lab;
        @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
        boolean json;

        @Override
        public Integer call() {
            var o = new Output(json);
            List<ScalingPoint> points;
            String source, recipe = null;
            Path prefix;
            if (input.points != null) {
                points = PointsCsv.read(input.points);
                source = input.points.toString();
                var name = input.points.getFileName().toString().replaceFirst("\\.[^.]*$", "");
                prefix = out != null ? out : input.points.toAbsolutePath().resolveSibling(name + ".fit");
            } else {
                var labDir = Lab.existing(lab);
                var dir = labDir.study(input.study);
                var store = Files.exists(labDir.store()) ? Store.open(labDir.store()) : null;
                if (store == null || store.study(input.study).isEmpty())
                    throw new IllegalArgumentException("there is no study " + input.study + " in " + labDir.dir()
                            + "; list the studies with `flywheel studies`, or check --lab");
                var runs = store.runs(input.study);
                points = RunPoints.of(runs);
                recipe = runs.isEmpty() ? null : runs.getFirst().recipe().canonicalJson();
                source = "study " + input.study;
                prefix = out != null ? out : dir.resolve("scaling-fit");
            }
            if (dropHighest >= points.size())
                throw new IllegalArgumentException("--drop-highest " + dropHighest + " leaves no points of the " + points.size()
                        + " in " + source + "; drop fewer");
            points = points.stream().sorted(Comparator.comparingDouble(ScalingPoint::loss)).limit(points.size() - dropHighest).toList();
            o.say("fitting %d points from %s (%d bootstrap resamples)…", points.size(), source, bootstrap);
            var report = FitReport.of(source + (dropHighest > 0 ? ", the " + dropHighest + " highest-loss left out" : ""),
                    points, new LawFit.Settings(bootstrap, seed, LawFit.Settings.DEFAULT.delta()), recipe);
            var files = FitFiles.write(report, prefix, List.of());
            say(o, report);
            o.say("wrote %s, %s and %s", files.json(), files.png(), files.markdown());
            var j = report.toJson();
            j.remove("bootstrap"); // in the file; too long for a line
            j.put("fit", files.json().toString());
            o.result(j);
            return 0;
        }
    }

    static void say(Output o, FitReport r) {
        var law = r.law();
        var f = r.fit();
        o.say("");
        o.say("L(N, D) = %.4g + %.4g/N^%.4f + %.4g/D^%.4f   (residual RMS %.4f in ln L)", law.e(), law.a(), law.alpha(), law.b(), law.beta(), f.residualRms());
        if (!f.bootstrap().isEmpty()) {
            o.say("95%% intervals: E [%.4g, %.4g]  A [%.4g, %.4g]  B [%.4g, %.4g]  α [%.4f, %.4f]  β [%.4f, %.4f]",
                    f.interval(x -> x.e())[0], f.interval(x -> x.e())[1], f.interval(x -> x.a())[0], f.interval(x -> x.a())[1],
                    f.interval(x -> x.b())[0], f.interval(x -> x.b())[1], f.interval(x -> x.alpha())[0], f.interval(x -> x.alpha())[1],
                    f.interval(x -> x.beta())[0], f.interval(x -> x.beta())[1]);
        }
        if (law.alpha() > 0 && law.beta() > 0)
            o.say("compute-optimal: N ∝ C^%.3f, D ∝ C^%.3f", law.paramsExponent(), 1 - law.paramsExponent());
        if (r.isoFlop() != null)
            o.say("Approach 2 (%d IsoFLOP groups): N ∝ C^%.3f", r.isoFlop().groups().size(), r.isoFlop().paramsExponent());
        for (var w : r.warnings()) o.say("warning: %s", w);
    }

    @Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"The compute-optimal parameters and tokens for a budget under a fitted law, the loss it",
                    "predicts (95% interval over the fit's bootstrap), and the nearest model shape in the engine's terms."})
    static final class Plan implements Callable<Integer> {

        @Option(names = "--fit", required = true, paramLabel = "FIT.json", description = "A fit written by `flywheel scale fit`.")
        Path fit;
        @Option(names = "--compute", required = true, converter = Numbers.PositiveDouble.class, paramLabel = "FLOPS",
                description = "Training compute C = 6ND, in FLOPs (such as 5.76e23).")
        double compute;
        @Option(names = "--recipe", paramLabel = "FILE", description = "The recipe whose architecture the shape keeps (default: the fit's, else the default recipe).")
        Path recipe;
        @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
        boolean json;

        @Override
        public Integer call() {
            var o = new Output(json);
            var saved = FitReport.readLaw(fit);
            var base = recipe != null ? Recipe.read(recipe)
                    : saved.recipe() != null ? Recipe.parse(saved.recipe(), fit.toString()) : Recipe.defaults();
            if (!(saved.law().alpha() > 0 && saved.law().beta() > 0))
                throw new LabException("the fit " + fit + " has a non-positive exponent (α " + saved.law().alpha() + ", β "
                        + saved.law().beta() + "), so no size is compute-optimal; fit on a wider range of sizes and tokens");
            var p = ComputePlan.of(saved, compute, base);
            var opt = p.optimum();
            o.say("at %.3g FLOPs: %.4g parameters on %.4g tokens (%.1f tokens per parameter)", compute, opt.params(), opt.tokens(), opt.tokensPerParam());
            if (p.paramsInterval() != null)
                o.say("  95%% intervals over the bootstrap: parameters [%.3g, %.3g], tokens [%.3g, %.3g]",
                        p.paramsInterval()[0], p.paramsInterval()[1], p.tokensInterval()[0], p.tokensInterval()[1]);
            o.say("predicted loss %.4f%s", opt.loss(), p.lossInterval() == null ? ""
                    : String.format(Locale.ROOT, ", 95%% interval [%.4f, %.4f]", p.lossInterval()[0], p.lossInterval()[1]));
            var s = p.shape();
            o.say("nearest engine shape: %d layers, %d heads, width %d — %,d parameters, %,d tokens at this compute, predicted loss %.4f",
                    s.layers(), s.heads(), s.width(), s.params(), p.shapeTokens(), p.shapeLoss());
            o.result(p.toJson());
            return 0;
        }
    }
}
