package dev.flywheel.lab.research;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.recipe.Values;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.Dimension;
import dev.flywheel.lab.search.SearchSpace;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.study.Diagnostics;
import dev.flywheel.lab.study.Lab;
import dev.flywheel.lab.study.LrSweep;
import dev.flywheel.lab.study.RunView;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a study's history says, as the built-in researcher's proposals need it: what has been run (so nothing is run
 * twice), the experiments in order, how often each setting has been explored, and the best run's diagnostics. Built
 * afresh for every proposal from {@link Lab#history()} alone, which is what keeps the researcher stateless.
 */
final class Evidence {

    /** The learning rates, whose best value moves when the model, optimizer or batch changes. */
    static final Set<String> RATES = Set.of("optimizer.lr", "optimizer.min_lr", "optimizer.muon_lr");

    final Lab study;
    final SearchSpace space;
    final Recipe start;
    final Recipe best;
    final Priors priors;
    final List<RunView> history;
    final RunView bestRun;
    final Diagnostics diag;
    /** Every recipe run apart from its seed — experiments, confirmations, sweeps, references, replications — but the scale check's (another size). */
    final Set<String> tried = new HashSet<>();
    /** The changes already tried from the current best, in {@link #canonical} form. */
    final Set<String> triedFromBest = new HashSet<>();
    /** Experiments (their first runs) in order. */
    final List<RunView> experiments = new ArrayList<>();
    /** How many experiments changed each setting; for the rates, only those since the last structural keep. */
    final Map<String, Integer> explored = new HashMap<>();
    final Map<String, Recipe> recipes = new HashMap<>();
    /** The last kept experiment that changed the model, optimizer or batch, or null. */
    final RunView structuralKeep;
    final Random rng;

    Evidence(Lab study, long seed, int attempt) {
        this.study = study;
        this.space = study.settings().space();
        this.start = study.settings().start();
        this.best = study.bestRecipe();
        this.priors = Priors.of(study.settings().runBudget());
        this.history = study.history();
        this.rng = new Random(seed * 31 + history.size() * 1_000_003L + attempt);
        String bestId = study.state().best().run();
        RunView b = null;
        RunView keep = null;
        for (var v : history) {
            recipes.put(v.run().id(), v.recipe());
            if (v.run().id().equals(bestId)) b = v;
            if (v.role() != Role.SCALE) tried.add(key(v.recipe()));
            if (v.role() == Role.EXPERIMENT && v.run().id().equals(v.run().experiment())) {
                experiments.add(v);
                if (v.kept() && resetsRates(v.run().change())) keep = v;
            }
        }
        this.bestRun = b;
        this.structuralKeep = keep;
        this.diag = b == null ? Diagnostics.NONE : b.diagnostics();
        boolean afterKeep = keep == null;
        for (var e : experiments) {
            var c = e.run().change();
            if (c != null) {
                for (var p : c.values().keySet())
                    if (afterKeep || !RATES.contains(p)) explored.merge(p, 1, Integer::sum);
                if (b != null && b.run().id().equals(e.run().parent())) triedFromBest.add(canonical(c.values()));
            }
            if (e == keep) afterKeep = true;
        }
    }

    /**
     * Whether a change alters the architecture, the optimizer, the size or the batch — what moves the best learning
     * rate ({@link LrSweep#STRUCTURAL} and the rest of the model but z-loss, a loss term), so that after such a keep
     * the rates are searched afresh.
     */
    static boolean resetsRates(Change change) {
        if (change == null) return false;
        for (var p : change.values().keySet())
            if (LrSweep.STRUCTURAL.contains(p) || (p.startsWith("model.") && !p.equals("model.z_loss"))) return true;
        return false;
    }

    /** A change as a comparable string: its settings in order, their values as the brief writes them. */
    static String canonical(Map<String, ?> change) {
        var sorted = new TreeMap<String, String>();
        change.forEach((k, v) -> sorted.put(k, v instanceof Number n ? Values.format(n.doubleValue()) : Values.format(v)));
        return sorted.toString();
    }

    /** A recipe's identity apart from its seed: the same change under another seed is not a new idea. */
    String key(Recipe r) {
        return r.seed() == start.seed() ? r.hash() : r.with("seed", start.seed()).hash();
    }

    /** Experiments whose parent was the current best run. */
    List<RunView> atBest() {
        if (bestRun == null) return List.of();
        return experiments.stream().filter(e -> bestRun.run().id().equals(e.run().parent())).toList();
    }

    RunView last() {
        return experiments.isEmpty() ? null : experiments.getLast();
    }

    long steps() {
        return bestRun == null || bestRun.run().steps() == null ? 0 : bestRun.run().steps();
    }

    static boolean decidedKeep(RunView v) {
        return v.decision() != null && v.decision().decision() == Decision.KEEP;
    }

    /** The experiment from the current best that already moved {@code path} in {@code dir} and was discarded, or null. */
    RunView failedHere(String path, int dir) {
        for (var e : atBest())
            if (changes(e, path) == dir && !decidedKeep(e)) return e;
        return null;
    }

    /** +1 / −1 if the experiment raised / lowered {@code path} against its parent, else 0. */
    int changes(RunView e, String path) {
        var c = e.run().change();
        if (c == null || !c.values().containsKey(path) || e.run().parent() == null) return 0;
        var parent = recipes.get(e.run().parent());
        if (parent == null || !(parent.get(path) instanceof Number from) || !(e.recipe().get(path) instanceof Number to))
            return 0;
        return Double.compare(to.doubleValue(), from.doubleValue());
    }

    /** Whether the experiment changed {@code path} alone (min_lr, which follows the rate, aside). */
    static boolean onlyChanges(RunView e, String path) {
        var c = e.run().change();
        if (c == null) return false;
        for (var p : c.values().keySet()) if (!p.equals(path) && !p.equals("optimizer.min_lr")) return false;
        return true;
    }

    /** The values of {@code path} the finished runs took — sweeps included, which measured rates too. */
    Set<Double> observedValues(String path) {
        var values = new HashSet<Double>();
        for (var v : history)
            if (v.role() != Role.SCALE && v.run().status().isFinal())
                values.add(((Number) v.recipe().get(path)).doubleValue());
        return values;
    }

    /** The study's runs as TPE observations over {@code dims}: complete runs score their metric, the rest worse than all. */
    List<Tpe.Observation> observations(List<Dimension.Numeric> dims) {
        var scored = new ArrayList<Tpe.Observation>();
        var failed = new ArrayList<double[]>();
        double worst = Double.NEGATIVE_INFINITY;
        for (var v : history) {
            if (v.role() == Role.SCALE || !v.run().status().isFinal()) continue;
            var x = new double[dims.size()];
            for (int i = 0; i < dims.size(); i++)
                x[i] = dims.get(i).toUnit(((Number) v.recipe().get(dims.get(i).path())).doubleValue());
            if (v.complete()) {
                scored.add(new Tpe.Observation(x, v.run().metric()));
                worst = Math.max(worst, v.run().metric());
            } else failed.add(x);
        }
        double penalty = Double.isFinite(worst) ? worst + 1 : 1e9;
        for (var f : failed) scored.add(new Tpe.Observation(f, penalty));
        return scored;
    }
}
