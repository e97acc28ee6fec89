package dev.flywheel.lab.research;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.recipe.Values;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.ChangeResult;
import dev.flywheel.lab.search.Dimension;
import dev.flywheel.lab.search.SearchSpace;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.study.Lab;
import dev.flywheel.lab.study.Diagnostics;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.study.RunView;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * The offline researcher: a search that reads its runs, not a random walk. Every proposal is scored and the best
 * untried one is run; the candidates come from five sources, and each carries its hypothesis in words:
 *
 * <ol>
 *   <li><b>Playbook</b> — rules on the diagnostics of the best run ({@link Diagnostics}): spikes or divergence call
 *   for a lower learning rate, a longer warmup, QK-norm, gradient clipping; a loss still falling fast at the end
 *   (under-trained in the fixed budget) for a higher learning rate, a smaller model, smaller batches; a warmup that
 *   eats a large part of the run for a shorter one; a flat loss for a larger model; a validation loss well above
 *   the training loss for more weight decay or a smaller model.</li>
 *   <li><b>Line search</b> on each numeric dimension: a step (×2 on a log range, a quarter of a linear one) in the
 *   direction prior knowledge favours, continued while it is kept, reversed once it is not.</li>
 *   <li><b>TPE</b> ({@link Tpe}) once a dimension has been tried at three or more values — over that dimension
 *   alone, and jointly over the explored dimensions once there are ten runs — drawing near the best recipe
 *   (a trust region), since a far-off draw is a run wasted in a study of a few dozen.</li>
 *   <li><b>Combinations</b>: changes that each looked better by a sigma or more but did not clear the bar alone
 *   are proposed together (small real gains only show in the noise once they add up), and a promising step of a
 *   line search is followed by a bolder one.</li>
 *   <li><b>Ablations</b>, one at a time, of the categorical variants (RoPE, SwiGLU, RMSNorm, Muon, the schedule,
 *   the neighbouring widths, ...), ordered by how often they help small models.</li>
 * </ol>
 *
 * Prior importance ranks the dimensions (the learning rate first); every earlier experiment on a dimension lowers
 * its score, so the search moves on. Early stopping of losing runs and the scale check are the study's. The
 * researcher keeps no state: it proposes from the study's history alone (with a random generator seeded by it),
 * so a resumed study goes on as it would have.
 */
public final class BuiltinResearcher extends ProposingResearcher {

    /**
     * TPE draws within this distance of the best recipe's value, on the unit scale of each range (on a log range of
     * a hundredfold, a factor of about 2.5 either way): with a few dozen runs a far-off draw is a run wasted.
     */
    static final double TRUST_RADIUS = 0.2;

    private final long seed;
    private final Tpe tpe = new Tpe();

    public BuiltinResearcher(long seed) {
        this.seed = seed;
    }

    @Override
    public String id() {
        return "builtin";
    }

    /** How much a numeric dimension usually matters for minutes-long CPU runs, and which way to try first. */
    private record Prior(double importance, int direction, String why) {}

    private static final Map<String, Prior> NUMERIC = Map.ofEntries(
            Map.entry("optimizer.lr", new Prior(5, +1, "the peak learning rate is the setting that matters most, and small models trained briefly usually want it higher than the default")),
            Map.entry("schedule.warmup", new Prior(3, -1, "a short run spends a large share of its steps warming up")),
            Map.entry("batch.size", new Prior(3, -1, "in a fixed time, smaller batches mean more optimizer steps")),
            Map.entry("model.layers", new Prior(2, -1, "a shallower model takes more steps in the fixed time")),
            Map.entry("optimizer.weight_decay", new Prior(1.5, +1, "decoupled weight decay regularises the matrices")),
            Map.entry("optimizer.min_lr", new Prior(0.8, -1, "annealing further at the end often lowers the final loss")),
            Map.entry("optimizer.beta2", new Prior(1, +1, "a longer second-moment average steadies AdamW")),
            Map.entry("model.mlp_ratio", new Prior(1, -1, "a narrower MLP trades capacity for speed")),
            Map.entry("optimizer.grad_clip", new Prior(0.7, -1, "clipping bounds the update when the gradient jumps")),
            Map.entry("schedule.decay_fraction", new Prior(0.7, +1, "a longer decay phase anneals more")),
            Map.entry("optimizer.beta1", new Prior(0.5, +1, "more momentum smooths the updates")),
            Map.entry("optimizer.muon_lr", new Prior(2, +1, "Muon's rate sets the step of the hidden matrices")),
            Map.entry("optimizer.muon_momentum", new Prior(0.5, +1, "Muon's momentum smooths its orthogonalised steps")),
            Map.entry("batch.accum", new Prior(0.3, +1, "accumulation makes larger steps from the same micro-batches")),
            Map.entry("model.z_loss", new Prior(0.3, +1, "z-loss keeps the output logits from drifting")));

    /** Categorical variants worth an ablation, with a prior weight and the reason it might help. */
    private record Variant(double importance, String why) {}

    private static final Map<String, Variant> VARIANTS = Map.ofEntries(
            Map.entry("model.position=rope", new Variant(3, "rotary position embeddings usually beat learned ones in small GPTs and drop the position table")),
            Map.entry("optimizer.name=muon", new Variant(2.5, "Muon's orthogonalised updates of the hidden matrices have trained small GPTs faster than AdamW in speedruns")),
            Map.entry("model.activation=swiglu", new Variant(2, "a gated MLP (SwiGLU) is what most recent models use")),
            Map.entry("model.activation=relu2", new Variant(1.5, "squared ReLU did well in the nanoGPT speedruns and is cheap")),
            Map.entry("model.norm=rmsnorm", new Variant(1.5, "RMSNorm is cheaper than LayerNorm and usually as good")),
            Map.entry("schedule.kind=wsd", new Variant(1.5, "warmup-stable-decay keeps the peak rate longer and anneals at the end")),
            Map.entry("schedule.kind=cosine", new Variant(1, "cosine decay anneals smoothly over the whole run")),
            Map.entry("schedule.kind=constant", new Variant(0.4, "without decay the rate stays at its peak")),
            Map.entry("model.qk_norm=true", new Variant(1, "normalised queries and keys keep attention logits bounded and allow higher rates")),
            Map.entry("model.qk_norm=false", new Variant(0.3, "without QK-norm the attention is a little cheaper")),
            Map.entry("model.bias=false", new Variant(0.8, "dropping biases saves parameters and time with little loss")),
            Map.entry("model.bias=true", new Variant(0.3, "biases add a little capacity")),
            Map.entry("model.tied_head=false", new Variant(0.5, "an untied output head adds capacity where the vocabulary is large")),
            Map.entry("model.tied_head=true", new Variant(0.5, "tying the head to the embedding saves parameters")),
            Map.entry("optimizer.name=adamw", new Variant(0.5, "AdamW is the dependable default")),
            Map.entry("model.norm=layernorm", new Variant(0.3, "LayerNorm centres as well as scales")),
            Map.entry("model.position=learned", new Variant(0.3, "learned positions are the GPT-2 default")),
            Map.entry("model.activation=gelu", new Variant(0.3, "GELU is the GPT-2 default")));

    /** Sizes: one notch down or up in the allowed list, weighted by what the diagnostics say. */
    private static final Set<String> SIZES = Set.of("model.dim", "model.heads", "model.seq");

    private record Candidate(double score, String arm, Map<String, Object> change, String hypothesis) {}

    @Override
    protected Optional<Proposal> propose(Lab study, int attempt) {
        var ctx = new Context(study, seed, attempt);
        var candidates = new ArrayList<Candidate>();
        numeric(ctx, candidates);
        combine(ctx, candidates);
        jointTpe(ctx, candidates);
        categorical(ctx, candidates);
        playbookExtras(ctx, candidates);
        candidates.sort(Comparator.comparingDouble(Candidate::score).reversed());
        for (var c : candidates) {
            if (study.validate(Change.of(c.change())) instanceof ChangeResult.Accepted a
                    && !ctx.tried.contains(ctx.key(a.recipe()))) {
                return Optional.of(new Proposal(c.hypothesis() + " [" + c.arm() + "]", a.change(), 1));
            }
        }
        return Optional.empty();
    }

    // ---- what the history says -------------------------------------------------------------------------------

    /** The study's history as the proposals need it. */
    private static final class Context {
        final Lab study;
        final SearchSpace space;
        final Recipe start;
        final Recipe best;
        final List<RunView> history;
        final RunView bestRun;
        final Diagnostics diag;
        final Set<String> tried = new HashSet<>();
        /** experiments (first runs) in order */
        final List<RunView> experiments = new ArrayList<>();
        final Map<String, Integer> explored = new HashMap<>();
        final Map<String, Recipe> recipes = new HashMap<>();
        final Random rng;

        Context(Lab study, long seed, int attempt) {
            this.study = study;
            this.space = study.settings().space();
            this.start = study.settings().start();
            this.best = study.bestRecipe();
            this.history = study.history();
            this.rng = new Random(seed * 31 + history.size() * 1_000_003L + attempt);
            var state = study.state();
            RunView b = null;
            for (var v : history) {
                recipes.put(v.run().id(), v.recipe());
                if (v.run().id().equals(state.best().run())) b = v;
                if (v.role() != Role.SCALE) tried.add(key(v.recipe()));
                if (v.role() == Role.EXPERIMENT && v.run().id().equals(v.run().experiment())) {
                    experiments.add(v);
                    if (v.run().change() != null)
                        for (var p : v.run().change().values().keySet()) explored.merge(p, 1, Integer::sum);
                }
            }
            this.bestRun = b;
            this.diag = b == null ? Diagnostics.NONE : b.diagnostics();
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

        boolean decidedKeep(RunView v) {
            return v.decision() != null && v.decision().decision() == Decision.KEEP;
        }
    }

    /** Diagnostic boosts for (path, direction): the playbook's say on the line search. */
    private static Map<String, String> playbook(Context ctx, Map<String, Double> boost) {
        var why = new LinkedHashMap<String, String>();
        var d = ctx.diag;
        var best = ctx.best;
        if (d.spiky() || d.diverged()) {
            put(boost, why, "optimizer.lr-", 6, "the best run is unstable (" + trouble(d) + "), and a lower peak rate is "
                    + "the first remedy");
            put(boost, why, "schedule.warmup+", 5, "the best run is unstable, and a longer warmup eases the first steps");
        }
        if (d.logitDrift()) put(boost, why, "model.z_loss+", 6, "the guard saw the output logits drift, which z-loss counters");
        if (d.stillFalling()) {
            var fall = String.format(Locale.ROOT, "the best run's loss was still falling %.1f%% over its last quarter: it is "
                    + "under-trained in this budget", 100 * d.lateDrop());
            put(boost, why, "optimizer.lr+", 3, fall + ", and a higher rate learns faster");
            put(boost, why, "model.dim-", 2, fall + ", and a smaller model takes more steps per second");
            put(boost, why, "batch.size-", 1, fall + ", and smaller batches give more optimizer steps");
            put(boost, why, "model.layers-", 1, fall + ", and a shallower model takes more steps per second");
        }
        if (d.plateaued()) {
            var flat = String.format(Locale.ROOT, "the best run's loss was flat over its last quarter (%.1f%%): the "
                    + "model has learnt what it can at this size", 100 * d.lateDrop());
            put(boost, why, "model.dim+", 2, flat + ", so a wider model should go further");
            put(boost, why, "model.layers+", 1.5, flat + ", so a deeper model should go further");
        }
        if (d.overfitting()) {
            var gap = String.format(Locale.ROOT, "the validation loss is %.3f nats above the training loss: overfitting", d.gap());
            put(boost, why, "optimizer.weight_decay+", 4, gap + ", which weight decay counters");
            put(boost, why, "model.dim-", 1.5, gap + ", and a smaller model fits the data less closely");
        }
        long steps = ctx.steps();
        int warmup = best.schedule().warmup();
        if (steps > 0 && warmup > 0.2 * steps)
            put(boost, why, "schedule.warmup-", 3, String.format(Locale.ROOT, "the warmup of %d steps is %.0f%% of the %d "
                    + "steps the best run took", warmup, 100.0 * warmup / steps, steps));
        return why;
    }

    private static void put(Map<String, Double> boost, Map<String, String> why, String key, double amount, String reason) {
        boost.merge(key, amount, Double::sum);
        why.merge(key, reason, (a, b) -> a + "; " + b);
    }

    // ---- numeric dimensions: line search, then TPE ----------------------------------------------------------------

    private void numeric(Context ctx, List<Candidate> out) {
        var boost = new HashMap<String, Double>();
        var why = playbook(ctx, boost);
        var last = ctx.last();
        for (var dim : ctx.space.dimensions()) {
            if (!(dim instanceof Dimension.Numeric n) || !active(n.path(), ctx.best)) continue;
            var prior = NUMERIC.getOrDefault(n.path(), new Prior(0.3, +1, "an untried setting"));
            double current = ((Number) ctx.best.get(n.path())).doubleValue();
            int explored = ctx.explored.getOrDefault(n.path(), 0);
            double base = prior.importance() * Math.pow(0.7, explored);
            var values = observedValues(ctx, n.path());
            if (values.size() >= 3) {
                tpeOne(ctx, n, current, base, out);
            }
            // line search from the current best: the prior direction first, the other way once that failed here —
            // unless the failed step looked better by a sigma or more, when a bolder step the same way is worth a run
            for (int dir : new int[]{prior.direction(), -prior.direction()}) {
                double v = step(n, current, dir);
                if (v == current) continue;
                var failed = failedHere(ctx, n.path(), dir);
                if (failed != null) {
                    double z = sigmas(failed);
                    double bolder = step(n, v, dir);
                    if (z >= 1 && bolder != v) {
                        var change = change(ctx, n, bolder);
                        out.add(new Candidate(base + boost.getOrDefault(n.path() + (dir > 0 ? "+" : "-"), 0.0) + 2,
                                "line search", change, String.format(Locale.ROOT, "%s %s to %s looked %.1fσ better but did "
                                        + "not clear the bar; if the trend holds, a bolder step to %s%s should show a "
                                        + "larger gain", verb(dir), n.path(), fmt(v), z, fmt(bolder), extra(change, n.path()))));
                    }
                    continue;
                }
                double score = base + boost.getOrDefault(n.path() + (dir > 0 ? "+" : "-"), 0.0);
                String continued = "";
                if (last != null && ctx.decidedKeep(last) && changes(ctx, last, n.path()) == dir && onlyChanges(last, n.path())) {
                    score += 3 + prior.importance();
                    continued = "The last step on " + n.path() + " in this direction was kept, so the line search goes on. ";
                } else if (dir != prior.direction()) {
                    score *= 0.8;
                }
                var change = change(ctx, n, v);
                var reason = why.get(n.path() + (dir > 0 ? "+" : "-"));
                out.add(new Candidate(score, "line search", change, continued + verb(dir) + " " + n.path() + " from "
                        + fmt(current) + " to " + fmt(v) + extra(change, n.path()) + " should lower " + ctx.study.settings().metric().id()
                        + ": " + (reason != null ? reason : dir == prior.direction() ? prior.why()
                        : "the other way from the usual first step, to map how this setting acts here") + "."));
            }
        }
    }

    /** One TPE draw over a single explored dimension, the others at the best recipe's values. */
    private void tpeOne(Context ctx, Dimension.Numeric n, double current, double base, List<Candidate> out) {
        var obs = observations(ctx, List.of(n));
        if (obs.size() < 3 || !informative(obs, 0)) return;
        var p = tpe.propose(obs, new boolean[]{true}, new double[]{n.toUnit(current)}, TRUST_RADIUS, ctx.rng);
        double v = n.fromUnit(p.x()[0]);
        if (v == current) return;
        var change = change(ctx, n, v);
        out.add(new Candidate(base * 0.9 + Math.max(0, p.logRatio()) * 0.3, "tpe", change, String.format(Locale.ROOT,
                "TPE over %s: of %d runs, the best %d and the rest make %s the likeliest good value of 64 draws near "
                        + "%s (density ratio l/g %.2f)%s", n.path(), obs.size(), p.good(), fmt(v), fmt(current), Math.exp(p.logRatio()),
                extra(change, n.path()))));
    }

    /** Joint TPE over the numeric dimensions explored at two or more values, once there are enough runs. */
    private void jointTpe(Context ctx, List<Candidate> out) {
        var dims = new ArrayList<Dimension.Numeric>();
        for (var d : ctx.space.dimensions())
            if (d instanceof Dimension.Numeric n && active(n.path(), ctx.best) && observedValues(ctx, n.path()).size() >= 3)
                dims.add(n);
        if (dims.size() < 2) return;
        dims.sort(Comparator.comparingDouble((Dimension.Numeric n) ->
                NUMERIC.getOrDefault(n.path(), new Prior(0.3, 1, "")).importance()).reversed());
        var all = observations(ctx, dims);
        if (all.size() < 10) return;
        var use = new ArrayList<Dimension.Numeric>();
        for (int i = 0; i < dims.size() && use.size() < 3; i++) if (informative(all, i)) use.add(dims.get(i));
        if (use.size() < 2) return;
        var obs = observations(ctx, use);
        var base = new double[use.size()];
        var active = new boolean[use.size()];
        for (int i = 0; i < use.size(); i++) {
            base[i] = use.get(i).toUnit(((Number) ctx.best.get(use.get(i).path())).doubleValue());
            active[i] = true;
        }
        var p = tpe.propose(obs, active, base, TRUST_RADIUS, ctx.rng);
        var change = new LinkedHashMap<String, Object>();
        var parts = new ArrayList<String>();
        for (int i = 0; i < use.size(); i++) {
            var n = use.get(i);
            double v = n.fromUnit(p.x()[i]);
            change.putAll(change(ctx, n, v));
            parts.add(n.path() + " " + fmt(v));
        }
        long previous = ctx.experiments.stream().filter(e -> e.run().hypothesis() != null
                && e.run().hypothesis().endsWith("[tpe joint]")).count();
        out.add(new Candidate(2.5 * Math.pow(0.7, previous) + Math.max(0, p.logRatio()) * 0.2, "tpe joint", change,
                String.format(Locale.ROOT, "TPE over %s jointly, near the best recipe: of %d runs, the best %d and the "
                        + "rest make this point the likeliest good one of 64 draws (density ratio l/g %.2f): %s",
                        String.join(", ", use.stream().map(Dimension::path).toList()), obs.size(), p.good(),
                        Math.exp(p.logRatio()), String.join(", ", parts))));
    }

    /** The study's runs as TPE observations over {@code dims}: complete runs score their metric, the rest worse than all. */
    private static List<Tpe.Observation> observations(Context ctx, List<Dimension.Numeric> dims) {
        var scored = new ArrayList<double[]>();
        var failed = new ArrayList<double[]>();
        double worst = Double.NEGATIVE_INFINITY;
        for (var v : ctx.history) {
            if (v.role() == Role.SCALE || !v.run().status().isFinal()) continue;
            var x = new double[dims.size()];
            for (int i = 0; i < dims.size(); i++)
                x[i] = dims.get(i).toUnit(((Number) v.recipe().get(dims.get(i).path())).doubleValue());
            if (v.complete()) {
                scored.add(append(x, v.run().metric()));
                worst = Math.max(worst, v.run().metric());
            } else failed.add(x);
        }
        var out = new ArrayList<Tpe.Observation>();
        for (var s : scored) out.add(new Tpe.Observation(java.util.Arrays.copyOf(s, dims.size()), s[dims.size()]));
        double penalty = Double.isFinite(worst) ? worst + 1 : 1e9;
        for (var f : failed) out.add(new Tpe.Observation(f, penalty));
        return out;
    }

    /**
     * Whether the good runs (the best quarter) disagree on dimension {@code k}: when they all share one value — as
     * when most runs kept the best recipe's — the densities say only "not where the bad runs were", and a draw is
     * a shot in the dark rather than a model's guess.
     */
    static boolean informative(List<Tpe.Observation> obs, int k) {
        var sorted = obs.stream().sorted(Comparator.comparingDouble(Tpe.Observation::score)).toList();
        int good = Math.max(1, (int) Math.ceil(0.25 * sorted.size()));
        return sorted.subList(0, good).stream().mapToDouble(o -> o.x()[k]).distinct().count() >= 2;
    }

    private static double[] append(double[] x, double y) {
        var out = java.util.Arrays.copyOf(x, x.length + 1);
        out[x.length] = y;
        return out;
    }

    private static Set<Double> observedValues(Context ctx, String path) {
        var values = new HashSet<Double>();
        for (var v : ctx.history)
            if (v.role() != Role.SCALE && v.run().status().isFinal())
                values.add(((Number) v.recipe().get(path)).doubleValue());
        return values;
    }

    /** The experiment from the current best that already moved {@code path} in {@code dir} and was discarded, or null. */
    private static RunView failedHere(Context ctx, String path, int dir) {
        for (var e : ctx.atBest())
            if (changes(ctx, e, path) == dir && !ctx.decidedKeep(e)) return e;
        return null;
    }

    /** How many σ better than the best before it an experiment's first run was (negative: worse; NaN: no metric). */
    private static double sigmas(RunView e) {
        var d = e.decision();
        if (d == null || d.delta() == null || d.noiseFloor() == null || d.noiseFloor() <= 0 || !e.complete()) return Double.NaN;
        return -d.delta() / d.noiseFloor();
    }

    /**
     * Changes that each looked better than the best by a sigma or more but did not clear the bar alone, proposed
     * together: in noisy conditions gains that are real but small only show once they add up.
     */
    private void combine(Context ctx, List<Candidate> out) {
        var promising = ctx.atBest().stream().filter(e -> !ctx.decidedKeep(e) && sigmas(e) >= 1 && e.run().change() != null)
                .sorted(Comparator.comparingDouble(BuiltinResearcher::sigmas).reversed()).toList();
        var change = new LinkedHashMap<String, Object>();
        var parts = new ArrayList<String>();
        for (var e : promising) {
            var c = e.run().change().values();
            if (c.keySet().stream().anyMatch(change::containsKey)) continue;
            change.putAll(c);
            parts.add(String.format(Locale.ROOT, "%s (%.1fσ)", e.run().change().describe(), sigmas(e)));
        }
        if (parts.size() < 2) return;
        out.add(new Candidate(7 + 0.5 * parts.size(), "combination", change, "These changes each looked better than the "
                + "best but none cleared the bar alone: " + String.join("; ", parts) + ". If their gains add up, together "
                + "they should clear it."));
    }

    /** +1 / −1 if the experiment raised / lowered {@code path} against its parent, else 0. */
    private static int changes(Context ctx, RunView e, String path) {
        var c = e.run().change();
        if (c == null || !c.values().containsKey(path) || e.run().parent() == null) return 0;
        var parent = ctx.recipes.get(e.run().parent());
        if (parent == null || !(parent.get(path) instanceof Number from) || !(e.recipe().get(path) instanceof Number to))
            return 0;
        return Double.compare(to.doubleValue(), from.doubleValue());
    }

    private static boolean onlyChanges(RunView e, String path) {
        var c = e.run().change();
        if (c == null) return false;
        for (var p : c.values().keySet()) if (!p.equals(path) && !p.equals("optimizer.min_lr")) return false;
        return true;
    }

    /** The next value one step from {@code v} in direction {@code dir}, inside the range; {@code v} if there is none. */
    static double step(Dimension.Numeric n, double v, int dir) {
        double next;
        if (n.log()) next = dir > 0 ? v * 2 : v / 2;
        else if (n.integer() && n.min() == 0 && n.max() >= 100) next = dir > 0 ? (v == 0 ? Math.max(1, Math.round(n.max() / 20.0)) : v * 2)
                : (v <= 10 ? 0 : Math.round(v / 2));
        else if (n.integer()) next = v + dir * Math.max(1, Math.round((n.max() - n.min()) / 8));
        else next = v + dir * (n.max() - n.min()) / 4;
        next = Math.clamp(next, n.min(), n.max());
        if (n.integer()) next = Math.round(next);
        return next;
    }

    /** The change setting {@code path} to {@code v}; a new learning rate carries min_lr along at the same ratio. */
    private static Map<String, Object> change(Context ctx, Dimension.Numeric n, double v) {
        var change = new LinkedHashMap<String, Object>();
        change.put(n.path(), n.integer() ? (Object) (long) v : (Object) v);
        if (n.path().equals("optimizer.lr")) {
            double ratio = ctx.best.optimizer().minLr() / ctx.best.optimizer().lr();
            double minLr = v * ratio;
            var dim = ctx.space.dimension("optimizer.min_lr");
            if (dim.isPresent() && dim.get() instanceof Dimension.Numeric m) minLr = Math.clamp(minLr, m.min(), Math.min(m.max(), v));
            else minLr = Math.min(ctx.best.optimizer().minLr(), v);
            if (minLr != ctx.best.optimizer().minLr()) change.put("optimizer.min_lr", minLr);
        }
        return change;
    }

    private static String extra(Map<String, Object> change, String path) {
        if (path.equals("optimizer.lr") && change.containsKey("optimizer.min_lr"))
            return " (min_lr follows, to " + fmt(((Number) change.get("optimizer.min_lr")).doubleValue()) + ")";
        return "";
    }

    /** Settings that only matter for some variants are left alone for the others. */
    private static boolean active(String path, Recipe r) {
        if (path.startsWith("optimizer.muon_")) return r.optimizer().name() == Recipe.Optimizer.Algorithm.MUON;
        if (path.equals("schedule.decay_fraction")) return r.schedule().kind() == Recipe.Schedule.Kind.WSD;
        if (path.equals("optimizer.min_lr")) return r.schedule().kind() != Recipe.Schedule.Kind.CONSTANT;
        return true;
    }

    // ---- categorical dimensions: ablations --------------------------------------------------------------------------

    private void categorical(Context ctx, List<Candidate> out) {
        var boost = new HashMap<String, Double>();
        var why = playbook(ctx, boost);
        for (var dim : ctx.space.dimensions()) {
            if (!(dim instanceof Dimension.Categorical c)) continue;
            if (!active(c.path(), ctx.best)) continue;
            Object current = ctx.best.get(c.path());
            List<Object> options = SIZES.contains(c.path()) ? neighbours(c, current) : c.values();
            for (var v : options) {
                if (Objects.equals(v, current)) continue;
                String key = c.path() + "=" + Values.format(v);
                double score;
                String reason;
                if (SIZES.contains(c.path())) {
                    boolean up = ((Number) v).doubleValue() > ((Number) current).doubleValue();
                    var b = why.get(c.path() + (up ? "+" : "-"));
                    score = (c.path().equals("model.dim") ? 1.5 : 0.6) + boost.getOrDefault(c.path() + (up ? "+" : "-"), 0.0);
                    reason = b != null ? b : up ? "a larger " + c.path().substring(6) + " adds capacity"
                            : "a smaller " + c.path().substring(6) + " is faster, so it sees more data in the budget";
                } else {
                    var variant = VARIANTS.getOrDefault(key, new Variant(0.3, "an untried variant"));
                    score = variant.importance();
                    reason = variant.why();
                }
                long before = ctx.experiments.stream().filter(e -> e.run().change() != null
                        && Objects.equals(e.run().change().values().get(c.path()), v)).count();
                score *= Math.pow(0.3, before);
                var change = new LinkedHashMap<String, Object>();
                change.put(c.path(), v);
                out.add(new Candidate(score, "ablation", change, "One change at a time: " + c.path() + " " + Values.format(current)
                        + " → " + Values.format(v) + ", because " + reason + (before > 0 ? " (tried before from an earlier best; "
                        + "the best has moved since)" : "") + "."));
            }
        }
    }

    /** The values next to {@code current} in the allowed list (which is in the order the brief gives). */
    private static List<Object> neighbours(Dimension.Categorical c, Object current) {
        var sorted = new ArrayList<>(c.values());
        sorted.sort(Comparator.comparingDouble(o -> ((Number) o).doubleValue()));
        int i = sorted.indexOf(current);
        var out = new ArrayList<Object>();
        if (i < 0) return sorted;
        if (i > 0) out.add(sorted.get(i - 1));
        if (i + 1 < sorted.size()) out.add(sorted.get(i + 1));
        if (i > 1) out.add(sorted.get(i - 2));
        if (i + 2 < sorted.size()) out.add(sorted.get(i + 2));
        return out;
    }

    /** Playbook remedies that are not a step of one dimension: QK-norm and clipping for an unstable run. */
    private void playbookExtras(Context ctx, List<Candidate> out) {
        var d = ctx.diag;
        if (!(d.spiky() || d.diverged())) return;
        var trouble = "The best run is unstable (" + trouble(d) + ")";
        if (!ctx.best.model().qkNorm() && ctx.space.dimension("model.qk_norm").isPresent())
            out.add(new Candidate(d.attentionGrowth() ? 10 : 8.5, "playbook", Map.of("model.qk_norm", true), trouble
                    + "; QK-norm bounds the attention logits, whose growth is the known instability of small models at high rates."));
        if (ctx.best.optimizer().gradClip() == 0 && ctx.space.dimension("optimizer.grad_clip").isPresent())
            out.add(new Candidate(8, "playbook", Map.of("optimizer.grad_clip", 1.0), trouble
                    + "; clipping the gradient norm at 1 bounds the damage of a bad batch."));
    }

    // ---- words ------------------------------------------------------------------------------------------------------

    /** What made a run unstable, in words. */
    private static String trouble(Diagnostics d) {
        var parts = new ArrayList<String>();
        if (d.spikes() > 0) parts.add(d.spikes() + (d.spikes() == 1 ? " loss spike" : " loss spikes"));
        if (d.guardEvents() > 0) parts.add(d.guardEvents() + " signs of instability from the guard"
                + (d.attentionGrowth() ? ", attention logits growing" : ""));
        if (d.gradClips() > 0) parts.add(d.gradClips() + " gradient clips");
        if (d.diverged()) parts.add("diverging");
        return String.join(", ", parts);
    }

    private static String verb(int dir) {
        return dir > 0 ? "Raising" : "Lowering";
    }

    private static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e7) return Long.toString((long) v);
        return Values.format(v);
    }

}
