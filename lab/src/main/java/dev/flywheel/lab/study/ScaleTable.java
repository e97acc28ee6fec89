package dev.flywheel.lab.study;

import java.util.ArrayList;
import java.util.Locale;

/**
 * The scale check's table for the journal's note, rebuilt from the history: per size and arm the model, its
 * parameters and run budget, the sweep's metric at each rate factor, the factor chosen, the metric on each of the two
 * seeds at that factor, and the size's mean paired gain (start − best: positive when the kept changes still help).
 */
final class ScaleTable {

    private ScaleTable() {
    }

    static String markdown(StudyHistory h, StudySettings s) {
        var scale = h.runsOf(dev.flywheel.lab.store.Role.SCALE);
        if (scale.isEmpty()) return "";
        var before = h.before(scale.getFirst().ordinal());
        var sizes = ScaleCheck.sizesAt(before, s);
        var have = ScaleCheck.existing(h);
        int seed = ScalePlan.sweepSeed(before);
        var out = new StringBuilder(String.format(Locale.ROOT, "Sweep on seed %d, second seed %d; %s.%n%n",
                h.start().seed() + seed, h.start().seed() + seed + ScalePlan.FRESH_SEEDS, s.metric().id()));
        out.append("| size | arm | model | params | run budget | sweep (×lr: metric) | chosen | seed metrics | mean gain |\n");
        out.append("|---|---|---|---|---|---|---|---|---|\n");
        for (var size : sizes) {
            double gain = Double.NaN;
            var rows = new ArrayList<String>();
            double[][] seeds = new double[2][];
            int i = 0;
            for (var a : size.arms()) {
                var r = ScaleCheck.arm(h, a, have);
                seeds[i++] = r.seeds();
                var sweep = new ArrayList<String>();
                for (int k = 0; k < r.factors().size(); k++)
                    sweep.add(String.format(Locale.ROOT, "×%s: %s", r.factors().get(k), fmt(r.sweep()[k])));
                var m = a.recipe().model();
                rows.add(String.format(Locale.ROOT, "| %s | %s | %d×%d | %,d | %s | %s | ×%s | %s, %s |", size.label(),
                        a.name(), m.layers(), m.dim(), a.recipe().estimatedParameters(), size.budget().format(),
                        String.join(", ", sweep), r.factor(), fmt(r.seeds()[0]), fmt(r.seeds()[1])));
            }
            gain = new ScaleVerdict.SizeResult(size.label(), seeds[0], seeds[1]).meanGain();
            for (int k = 0; k < rows.size(); k++)
                out.append(rows.get(k)).append(k == rows.size() - 1 ? " " + fmt(gain) + " |" : "  |").append('\n');
        }
        return out.toString().strip();
    }

    private static String fmt(double x) {
        return Double.isFinite(x) ? String.format(Locale.ROOT, "%.4f", x) : "failed";
    }
}
