package dev.flywheel.app;

import dev.flywheel.lab.scaling.FitReport;
import dev.flywheel.lab.scaling.LawComparison;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code flywheel scale compare}: two recipes by their laws — a study's baseline and its best, each laddered with
 * {@code scale ladder} — whether the change moves an exponent or only the constants, and what each predicts at 1×,
 * 10× and 100× a compute.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare two recipes by their fitted laws: whether the change moves the exponents or only",
                "the constants (95% intervals from the fits' bootstraps), and the loss each predicts at its",
                "compute-optimal size for 1×, 10× and 100× --compute."})
final class ScaleCompareCommand implements Callable<Integer> {

    @Option(names = "--baseline", required = true, paramLabel = "FIT.json", description = "The baseline recipe's fit (such as its ladder's ladder-fit.json).")
    Path baseline;
    @Option(names = "--change", required = true, paramLabel = "FIT.json", description = "The changed recipe's fit.")
    Path change;
    @Option(names = "--compute", required = true, converter = Numbers.PositiveDouble.class, paramLabel = "FLOPS",
            description = "The reference compute (such as a study run's), C = 6ND.")
    double compute;
    @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
    boolean json;

    @Override
    public Integer call() {
        var o = new Output(json);
        var c = LawComparison.of(FitReport.readLaw(baseline), FitReport.readLaw(change), compute);
        c.parameters().forEach((k, d) -> o.say("%-5s change − baseline %+.4g%s", k, d.value(), d.interval() == null ? ""
                : String.format(java.util.Locale.ROOT, "  [%+.4g, %+.4g]", d.interval()[0], d.interval()[1])));
        for (var p : c.predictions())
            o.say("at %.3g FLOPs: baseline %.4f, change %.4f (%+.4f%s)", p.compute(), p.baseline(), p.change(), p.difference().value(),
                    p.difference().interval() == null ? "" : String.format(java.util.Locale.ROOT, ", [%+.4f, %+.4f]",
                            p.difference().interval()[0], p.difference().interval()[1]));
        o.say("%s", c.verdict());
        o.result(c.toJson());
        return 0;
    }
}
