package dev.flywheel.lab.research;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.recipe.Values;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.ChangeResult;
import dev.flywheel.lab.search.Dimension;
import dev.flywheel.lab.study.Lab;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The offline researcher: a search that reads its runs, not a random walk. Every proposal is scored and the best one
 * not run before is proposed; the candidates come from four sources, and each carries its hypothesis in words:
 *
 * <ol>
 *   <li><b>Screen</b>: the structural variants that usually help small GPTs ({@link Priors#SCREEN}: Muon, RoPE,
 *   SwiGLU, QK-norm, RMSNorm, those the search space allows), one at a time in that order right after the first
 *   experiment (the learning-rate step, or the playbook's first remedy), so all of them are tried within the first
 *   six. One not reached by its turn (a kept step is followed once first) is overdue and goes before anything but a
 *   kept step's continuation or a rate search after a structural keep.
 *   The study judges an optimizer or size change at its own best learning rate (its sweep), so Muon is proposed
 *   plainly, without a rate of its own. The journal names these ablations too (one variant at a time), their
 *   hypothesis says they are the screen.</li>
 *   <li><b>Line search</b> on each numeric dimension: a step (×2 on a log range, a quarter of a linear one) in the
 *   direction prior knowledge favours, continued while it is kept, the other way once it was discarded from the
 *   current best. The {@link Playbook} — rules on the best run's diagnostics — raises the steps it calls for.</li>
 *   <li><b>TPE</b> ({@link Tpe}) once a dimension has been tried at three or more values — over that dimension
 *   alone, and jointly over the explored dimensions once there are ten runs — drawing near the best recipe
 *   (a trust region), since a far-off draw is a run wasted in a study of a few dozen.</li>
 *   <li><b>Ablations</b>, one at a time, of the other categorical variants (the schedule, squared ReLU, the
 *   neighbouring widths, ...), ordered by how often they help small models.</li>
 * </ol>
 *
 * <p>Prior importance ranks the dimensions (the learning rate first; size and batch by what the run budget holds
 * fixed, see {@link Priors}); every earlier experiment on a dimension lowers its score, so the search moves on. For
 * the learning rates only the experiments since the last kept change of the model, optimizer or batch count: such a
 * change moves the best rate, so after it the rate is searched again first. A discarded change is not proposed
 * again from the same best, nor combined with others, nor followed by a bolder step: under paired seeds a discard is
 * evidence of no useful gain, and chasing what merely looked better spends the study on noise.
 *
 * <p>Early stopping of losing runs, the learning-rate sweeps and the scale check are the study's. The researcher
 * keeps no state: it proposes from the study's history alone ({@link Evidence}, with a random generator seeded by
 * it), so a resumed study goes on as it would have. Nothing already run is proposed again, whatever its role
 * (sweeps, references and replications included, the seed aside; the scale check's larger recipes aside).
 */
public final class BuiltinResearcher extends ProposingResearcher {

    /**
     * TPE draws within this distance of the best recipe's value, on the unit scale of each range (on a log range of
     * a hundredfold, a factor of about 2.5 either way): with a few dozen runs a far-off draw is a run wasted.
     */
    static final double TRUST_RADIUS = 0.2;
    /** The first screened variant's score: below a fresh learning-rate step (5), above every other first step. */
    static final double SCREEN_TOP = 4.8;
    /** What an overdue screened variant gains: enough to pass a second kept rate step, not a rate search reset. */
    static final double OVERDUE = 6;

    private final long seed;
    private final Tpe tpe = new Tpe();

    public BuiltinResearcher(long seed) {
        this.seed = seed;
    }

    @Override
    public String id() {
        return "builtin";
    }

    @Override
    protected Optional<Proposal> propose(Lab study, int attempt) {
        var ctx = new Evidence(study, seed, attempt);
        for (var c : candidates(ctx)) {
            if (study.validate(Change.of(c.change())) instanceof ChangeResult.Accepted a && !ran(ctx, a))
                return Optional.of(new Proposal(c.hypothesis() + " [" + c.arm() + "]", a.change(), 1));
        }
        return Optional.empty();
    }

    /** Every candidate of every source, best first (ties in the order the sources and the search space give). */
    List<Candidate> candidates(Evidence ctx) {
        var candidates = new ArrayList<Candidate>();
        numeric(ctx, candidates);
        jointTpe(ctx, candidates);
        categorical(ctx, candidates);
        candidates.addAll(Playbook.extras(ctx));
        candidates.sort(Comparator.comparingDouble(Candidate::score).reversed());
        return candidates;
    }

    /** Whether the recipe was run already (in any role, any seed), or the change tried from the current best. */
    private static boolean ran(Evidence ctx, ChangeResult.Accepted a) {
        return ctx.tried.contains(ctx.key(a.recipe())) || ctx.triedFromBest.contains(Evidence.canonical(a.change().values()));
    }

    // ---- numeric dimensions: line search, then TPE ----------------------------------------------------------------

    private void numeric(Evidence ctx, List<Candidate> out) {
        var boost = new HashMap<String, Double>();
        var why = Playbook.boosts(ctx, boost);
        var last = ctx.last();
        for (var dim : ctx.space.dimensions()) {
            if (!(dim instanceof Dimension.Numeric n) || !active(n.path(), ctx.best)) continue;
            var prior = ctx.priors.numeric(n.path());
            double current = ((Number) ctx.best.get(n.path())).doubleValue();
            int explored = ctx.explored.getOrDefault(n.path(), 0);
            double base = prior.importance() * Math.pow(0.7, explored);
            if (ctx.observedValues(n.path()).size() >= 3) tpeOne(ctx, n, current, base, out);
            boolean reset = ctx.structuralKeep != null && explored == 0
                    && (n.path().equals("optimizer.lr") || n.path().equals("optimizer.muon_lr"));
            for (int dir : new int[]{prior.direction(), -prior.direction()}) {
                double v = step(n, current, dir);
                if (v == current || ctx.failedHere(n.path(), dir) != null) continue;
                String sign = dir > 0 ? "+" : "-";
                double score = base + boost.getOrDefault(n.path() + sign, 0.0);
                var other = ctx.failedHere(n.path(), -dir);
                String lead = "";
                if (last != null && Evidence.decidedKeep(last) && ctx.changes(last, n.path()) == dir
                        && Evidence.onlyChanges(last, n.path())) {
                    score += 3 + prior.importance();
                    lead = "The last step on " + n.path() + " in this direction was kept, so the line search goes on. ";
                } else if (reset) {
                    score = (dir == prior.direction() ? score : 0.8 * score) + 3 + prior.importance();
                    lead = "The last kept change (" + ctx.structuralKeep.run().change().describe() + ") altered the "
                            + "model, optimizer or batch, which moves the best learning rate, so the rate is searched "
                            + "again from the new best. ";
                } else if (other != null) {
                    lead = "The step the other way (" + other.run().change().describe() + ") was discarded from this "
                            + "best, so the line search turns. ";
                } else if (dir != prior.direction()) {
                    score *= 0.8;
                }
                var change = change(ctx, n, v);
                var reason = why.get(n.path() + sign);
                out.add(new Candidate(score, "line search", change, lead + verb(dir) + " " + n.path() + " from "
                        + fmt(current) + " to " + fmt(v) + extra(change, n.path()) + " should lower "
                        + ctx.study.settings().metric().id() + ": " + (reason != null ? reason
                        : dir == prior.direction() ? prior.why()
                        : "the other way from the usual first step, to map how this setting acts here") + "."));
            }
        }
    }

    /** One TPE draw over a single explored dimension, the others at the best recipe's values. */
    private void tpeOne(Evidence ctx, Dimension.Numeric n, double current, double base, List<Candidate> out) {
        var obs = ctx.observations(List.of(n));
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

    /** Joint TPE over the numeric dimensions explored at three or more values, once there are enough runs. */
    private void jointTpe(Evidence ctx, List<Candidate> out) {
        var dims = new ArrayList<Dimension.Numeric>();
        for (var d : ctx.space.dimensions())
            if (d instanceof Dimension.Numeric n && active(n.path(), ctx.best) && ctx.observedValues(n.path()).size() >= 3)
                dims.add(n);
        if (dims.size() < 2) return;
        dims.sort(Comparator.comparingDouble((Dimension.Numeric n) -> ctx.priors.numeric(n.path()).importance()).reversed());
        var all = ctx.observations(dims);
        if (all.size() < 10) return;
        var use = new ArrayList<Dimension.Numeric>();
        for (int i = 0; i < dims.size() && use.size() < 3; i++) if (informative(all, i)) use.add(dims.get(i));
        if (use.size() < 2) return;
        var obs = ctx.observations(use);
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

    /**
     * The change setting {@code path} to {@code v}. A new learning rate scales the others by the same factor, as the
     * study's sweep does: min_lr (so the schedule keeps its shape) and, under Muon, muon_lr — so a step the sweep
     * already ran is recognised as run.
     */
    private static Map<String, Object> change(Evidence ctx, Dimension.Numeric n, double v) {
        var change = new LinkedHashMap<String, Object>();
        change.put(n.path(), n.integer() ? (Object) (long) v : (Object) v);
        if (n.path().equals("optimizer.lr")) {
            var o = ctx.best.optimizer();
            double factor = v / o.lr();
            follow(ctx, change, "optimizer.min_lr", o.minLr(), o.minLr() * factor, v);
            if (o.name() == Recipe.Optimizer.Algorithm.MUON)
                follow(ctx, change, "optimizer.muon_lr", o.muonLr(), o.muonLr() * factor, Double.MAX_VALUE);
        }
        return change;
    }

    /** Sets a rate that follows the learning rate to {@code want}, inside its range and below {@code cap}, if it moves. */
    private static void follow(Evidence ctx, Map<String, Object> change, String path, double now, double want, double cap) {
        var dim = ctx.space.dimension(path);
        double v = dim.isPresent() && dim.get() instanceof Dimension.Numeric m ? Math.clamp(want, m.min(), Math.min(m.max(), cap))
                : path.equals("optimizer.min_lr") ? Math.min(now, cap) : now;
        if (v != now) change.put(path, v);
    }

    private static String extra(Map<String, Object> change, String path) {
        if (!path.equals("optimizer.lr")) return "";
        var parts = new ArrayList<String>();
        for (var p : List.of("optimizer.min_lr", "optimizer.muon_lr"))
            if (change.containsKey(p)) parts.add(p.substring(10) + " to " + fmt(((Number) change.get(p)).doubleValue()));
        return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ", following at the same ratio)";
    }

    /** Settings that only matter for some variants are left alone for the others. */
    private static boolean active(String path, Recipe r) {
        if (path.startsWith("optimizer.muon_")) return r.optimizer().name() == Recipe.Optimizer.Algorithm.MUON;
        if (path.equals("schedule.decay_fraction")) return r.schedule().kind() == Recipe.Schedule.Kind.WSD;
        if (path.equals("optimizer.min_lr")) return r.schedule().kind() != Recipe.Schedule.Kind.CONSTANT;
        return true;
    }

    // ---- categorical dimensions: the screen and ablations ----------------------------------------------------------

    /** Sizes: one or two notches down or up in the allowed list, weighted by the budget's kind and the diagnostics. */
    private static final java.util.Set<String> SIZES = java.util.Set.of("model.dim", "model.heads", "model.seq");

    private void categorical(Evidence ctx, List<Candidate> out) {
        var boost = new HashMap<String, Double>();
        var why = Playbook.boosts(ctx, boost);
        var screen = screenable(ctx);
        for (var dim : ctx.space.dimensions()) {
            if (!(dim instanceof Dimension.Categorical c) || !active(c.path(), ctx.best)) continue;
            Object current = ctx.best.get(c.path());
            List<Object> options = SIZES.contains(c.path()) ? neighbours(c, current) : c.values();
            for (var v : options) {
                if (Objects.equals(v, current)) continue;
                String key = c.path() + "=" + Values.format(v);
                long before = ctx.experiments.stream().filter(e -> e.run().change() != null
                        && Objects.equals(e.run().change().values().get(c.path()), v)).count();
                double score;
                String reason, lead = "One change at a time: ";
                if (SIZES.contains(c.path())) {
                    boolean up = ((Number) v).doubleValue() > ((Number) current).doubleValue();
                    var size = ctx.priors.size(c.path(), up);
                    score = size.importance() + boost.getOrDefault(c.path() + (up ? "+" : "-"), 0.0);
                    reason = why.getOrDefault(c.path() + (up ? "+" : "-"), size.why());
                } else {
                    var variant = Priors.variant(key);
                    int rank = screen.indexOf(key);
                    reason = variant.why();
                    if (rank >= 0 && before == 0) {
                        score = screenScore(rank, ctx.experiments.size());
                        lead = "Screening early the structural changes that usually help small GPTs (" + (rank + 1)
                                + " of " + screen.size() + "): ";
                    } else score = variant.importance();
                }
                score *= Math.pow(0.3, before);
                out.add(new Candidate(score, "ablation", Map.of(c.path(), v), lead + c.path() + " "
                        + Values.format(current) + " → " + Values.format(v) + ", because " + reason + (before > 0
                        ? " (tried before from an earlier best; the best has moved since)" : "") + "."));
            }
        }
    }

    /**
     * The score of the screened variant of rank {@code rank} (0 first) when {@code experiments} have been run: in
     * order below a fresh learning-rate step; overdue — raised by {@link #OVERDUE} — once its turn in the opening
     * has passed without it. The opening is one experiment (the top of the line search: the rate, or what the
     * playbook puts first), then the screen, so the five variants are all run within the first six experiments.
     */
    static double screenScore(int rank, int experiments) {
        double score = SCREEN_TOP - 0.2 * rank;
        return experiments >= rank + 1 ? score + OVERDUE : score;
    }

    /** The screened variants this study can try, in order: those its space allows that its start does not have. */
    static List<String> screenable(Evidence ctx) {
        var out = new ArrayList<String>();
        for (var key : Priors.SCREEN) {
            int eq = key.indexOf('=');
            var path = key.substring(0, eq);
            if (ctx.space.dimension(path).orElse(null) instanceof Dimension.Categorical c
                    && c.values().stream().anyMatch(v -> Values.format(v).equals(key.substring(eq + 1)))
                    && !Values.format(ctx.start.get(path)).equals(key.substring(eq + 1)))
                out.add(key);
        }
        return out;
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

    // ---- words ------------------------------------------------------------------------------------------------------

    private static String verb(int dir) {
        return dir > 0 ? "Raising" : "Lowering";
    }

    private static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e7) return Long.toString((long) v);
        return Values.format(v);
    }
}
