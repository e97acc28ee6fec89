package dev.flywheel.lab.study;

import dev.flywheel.lab.decide.PairedGain;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A study's finding replicated on fresh paired seeds: the starting recipe against the final best (the gain, on
 * validation in the study's metric and on the held-out test split in bits per byte), and the best without each kept
 * change (the delta). Gains and deltas are paired by seed: seed s of every arm had the same initialisation and data
 * order.
 *
 * @param seeds      the replication's seeds, never used by the study's search
 * @param gain       baseline − best on validation: positive when the best is better
 * @param testGain   baseline − best on the held-out test split (bits per byte)
 * @param ablations  one per kept change, in the order kept
 * @param note       why nothing was run, else null
 */
public record ReplicationReport(String study, String metric, List<Long> seeds, Arm baseline, Arm best, PairedGain gain,
                                PairedGain testGain, List<Ablation> ablations, String note) {

    public ReplicationReport {
        seeds = List.copyOf(seeds);
        ablations = List.copyOf(ablations);
    }

    /**
     * One recipe on the replication's seeds.
     *
     * @param runs        the run on each seed, in seed order
     * @param metrics     each run's validation metric (NaN: the run did not complete)
     * @param testMetrics each run's held-out test bits per byte (NaN: not measured)
     */
    public record Arm(String recipeHash, List<String> runs, double[] metrics, double[] testMetrics) {
        public Double mean() {
            return meanOf(metrics);
        }

        public Double testMean() {
            return meanOf(testMetrics);
        }
    }

    /**
     * The best recipe without one kept change.
     *
     * @param revert  the settings put back, as "path=value, …"
     * @param delta   without − best on validation: positive when the change helps the final recipe
     * @param arm     the runs without the change, or null when there is nothing to run
     * @param problem why there is nothing to run (the recipe would be invalid, …), else null
     */
    public record Ablation(String trial, String change, String revert, Arm arm, PairedGain delta, String problem) {}

    /** The figures as JSON keys, for `flywheel replicate --json` and the researcher's tool alike. */
    public Map<String, Object> toMap(boolean withTest) {
        var j = new LinkedHashMap<String, Object>();
        j.put("study", study);
        j.put("metric", metric);
        j.put("seeds", seeds);
        j.put("gain_bpb", num(gain.gain()));
        j.put("gain_ci", ci(gain));
        if (withTest) {
            j.put("test_gain_bpb", num(testGain.gain()));
            j.put("test_gain_ci", ci(testGain));
        }
        var abl = new ArrayList<Map<String, Object>>();
        for (var a : ablations) {
            var m = new LinkedHashMap<String, Object>();
            m.put("change", a.change());
            m.put("delta_bpb", a.delta() == null ? null : num(a.delta().gain()));
            m.put("ci", a.delta() == null ? null : ci(a.delta()));
            m.put("trial", a.trial());
            m.put("reverted", a.revert());
            if (a.arm() != null) m.put("runs", a.arm().runs());
            if (a.problem() != null) m.put("problem", a.problem());
            abl.add(m);
        }
        j.put("ablations", abl);
        j.put("pairs", gain.seeds());
        if (baseline != null) {
            j.put("baseline_bpb", num(baseline.mean()));
            j.put("best_bpb", num(best.mean()));
            if (withTest) {
                j.put("baseline_test_bpb", num(baseline.testMean()));
                j.put("best_test_bpb", num(best.testMean()));
            }
            var runs = new LinkedHashMap<String, Object>();
            runs.put("baseline", baseline.runs());
            runs.put("best", best.runs());
            j.put("runs", runs);
        }
        if (note != null) j.put("note", note);
        return j;
    }

    /** The gain in one line: for the summary. */
    public String headline() {
        if (note != null) return note;
        return String.format(Locale.ROOT, "Replication on %d fresh paired seeds: %s gain %s (95%% interval %s), on the "
                + "held-out test %s (%s).", seeds.size(), metric, signed(gain.gain()), interval(gain),
                signed(testGain.gain()), interval(testGain));
    }

    /** The table for the journal and the terminal, in Markdown. */
    public String table() {
        if (note != null) return note + "\n";
        var out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "The starting recipe against the best on %d fresh paired seed%s (%s); "
                        + "gains are baseline − best, deltas are without the change − best: positive means the best or "
                        + "the change is better. Intervals are 95%%, t with n − 1 degrees of freedom.%n%n",
                seeds.size(), seeds.size() == 1 ? "" : "s", seeds.stream().map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("")));
        out.append("| comparison | ").append(metric).append(" | 95% interval | test bpb | 95% interval | pairs |\n");
        out.append("| --- | --- | --- | --- | --- | --- |\n");
        out.append(String.format(Locale.ROOT, "| baseline %s → best %s | %s | %s | %s | %s | %d |%n", fixed(baseline.mean()),
                fixed(best.mean()), signed(gain.gain()), interval(gain), signed(testGain.gain()), interval(testGain), gain.seeds()));
        for (var a : ablations) {
            if (a.arm() == null) {
                out.append("| without ").append(a.change()).append(" | — | ").append(a.problem()).append(" | | | |\n");
                continue;
            }
            out.append(String.format(Locale.ROOT, "| without %s | %s | %s | | | %d |%n", a.change(), signed(a.delta().gain()),
                    interval(a.delta()), a.delta().seeds()));
        }
        return out.toString();
    }

    private static Double meanOf(double[] xs) {
        double sum = 0;
        int n = 0;
        for (double x : xs)
            if (Double.isFinite(x)) {
                sum += x;
                n++;
            }
        return n == 0 ? null : sum / n;
    }

    private static Double num(Double x) {
        return x == null || !Double.isFinite(x) ? null : x;
    }

    private static List<Double> ci(PairedGain g) {
        return java.util.Arrays.asList(num(g.low()), num(g.high()));
    }

    private static String interval(PairedGain g) {
        return Double.isFinite(g.low()) ? String.format(Locale.ROOT, "[%+.4f, %+.4f]", g.low(), g.high()) : "—";
    }

    private static String signed(double x) {
        return Double.isFinite(x) ? String.format(Locale.ROOT, "%+.4f", x) : "—";
    }

    private static String fixed(Double x) {
        return x == null ? "—" : String.format(Locale.ROOT, "%.4f", x);
    }
}
