package dev.flywheel.lab.scaling;

import dev.flywheel.lab.LabException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Fits {@link ScalingLaw} to points as Epoch AI refitted Chinchilla (Besiroglu et al. 2024, following Hoffmann et al.
 * 2022's Approach 3): minimise {@link LawObjective} (Huber δ = 1e-3 on log-loss residuals) by {@link Lbfgs} from
 * every start of Hoffmann's grid — α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1}, a, b ∈ {0, 5, …, 25}: 4,500 starts —
 * and keep the lowest. Each start first runs a short L-BFGS; the best {@value #POLISHED} are then run to
 * convergence, which costs a tenth of running all 4,500 to the end and finds the same minimum (LawFitTest).
 *
 * <p>Intervals: a nonparametric bootstrap — the points resampled with replacement (as multiplicities), refitted from
 * the fit's best starts — and each parameter's 2.5th and 97.5th percentiles.
 */
public final class LawFit {

    /** The five parameters E, A, B, α, β: fewer points than this cannot determine them. */
    public static final int PARAMETERS = 5;
    static final int POLISHED = 8;
    private static final Lbfgs.Settings SHORT = new Lbfgs.Settings(100, 1e-12, 1e-12, 10);

    /**
     * How to fit.
     *
     * @param bootstrap resamples for the intervals (0: none)
     * @param seed      the resampling's seed, so a fit is reproducible
     * @param delta     Huber's δ
     */
    public record Settings(int bootstrap, long seed, double delta) {
        public static final Settings DEFAULT = new Settings(200, 0, LawObjective.DELTA);
    }

    /**
     * A fitted law.
     *
     * @param objective   the objective at the fit (Σ Huber)
     * @param residualRms root mean square of ln L̂ − ln L over the points (≈ the relative error of the fit)
     * @param bootstrap   the law refitted on each resample that determines it
     * @param leftOut     resamples left out because their fit ran off to an infinite parameter
     */
    public record Result(ScalingLaw law, double objective, double residualRms, List<ScalingLaw> bootstrap, int starts,
                         int leftOut) {

        /** The 95% percentile interval of one parameter over the bootstrap, or null without one. */
        public double[] interval(java.util.function.ToDoubleFunction<ScalingLaw> parameter) {
            return Percentiles.interval95(bootstrap.stream().mapToDouble(parameter).toArray());
        }
    }

    private LawFit() {
    }

    public static Result fit(List<ScalingPoint> points, Settings settings) {
        return fit(points, settings, grid());
    }

    /** The fit from the given starts (tests use a few, to repeat fits cheaply; the product always uses {@link #grid}). */
    static Result fit(List<ScalingPoint> points, Settings settings, List<double[]> grid) {
        if (points.size() < PARAMETERS)
            throw new LabException("a scaling law has " + PARAMETERS + " parameters (E, A, B, α, β) but there are only "
                    + points.size() + " points; train more runs (sizes and token counts) before fitting");
        var ones = new double[points.size()];
        Arrays.fill(ones, 1);
        var objective = new LawObjective(points, ones, settings.delta());
        // short runs from every start, then the best ones to convergence
        var rough = IntStream.range(0, grid.size()).parallel()
                .mapToObj(i -> new Start(i, Lbfgs.minimize(objective::valueAndGradient, grid.get(i), SHORT)))
                .filter(s -> Double.isFinite(s.result.value()))
                .sorted(Comparator.comparingDouble((Start s) -> s.result.value()).thenComparingInt(Start::index))
                .limit(POLISHED).toList();
        var polished = rough.stream().parallel()
                .map(s -> new Start(s.index, Lbfgs.minimize(objective::valueAndGradient, s.result.x(), Lbfgs.Settings.TIGHT)))
                .sorted(Comparator.comparingDouble((Start s) -> s.result.value()).thenComparingInt(Start::index)).toList();
        var finite = polished.stream().filter(s -> finite(s.result.x())).toList();
        if (finite.isEmpty())
            throw new LabException("the scaling law could not be fitted to these " + points.size() + " points: every start "
                    + "ran off to an infinite parameter, which happens when the points hold too few sizes or token counts; "
                    + "add runs at other sizes and token counts");
        var best = finite.getFirst().result;
        var law = ScalingLaw.ofTheta(best.x());
        var starts = finite.stream().map(s -> s.result.x()).toList();
        var boot = bootstrap(points, settings, starts);
        return new Result(law, best.value(), rms(objective.residuals(law)), boot, grid.size(), settings.bootstrap() - boot.size());
    }

    private record Start(int index, Lbfgs.Result result) {}

    /** Hoffmann et al.'s grid of starting points, θ = (a, b, e, α, β). */
    static List<double[]> grid() {
        var out = new ArrayList<double[]>();
        for (double alpha = 0; alpha <= 2; alpha += 0.5)
            for (double beta = 0; beta <= 2; beta += 0.5)
                for (double e = -1; e <= 1; e += 0.5)
                    for (double a = 0; a <= 25; a += 5)
                        for (double b = 0; b <= 25; b += 5) out.add(new double[]{a, b, e, alpha, beta});
        return out;
    }

    /** The law refitted on {@code settings.bootstrap()} resamples, each from the full fit's best starts. */
    private static List<ScalingLaw> bootstrap(List<ScalingPoint> points, Settings settings, List<double[]> starts) {
        int n = points.size();
        var firstStarts = starts.subList(0, Math.min(4, starts.size()));
        return IntStream.range(0, settings.bootstrap()).parallel().mapToObj(k -> {
            var rng = new SplittableRandom(settings.seed() * 1_000_003L + k);
            var w = new double[n];
            for (int i = 0; i < n; i++) w[rng.nextInt(n)]++;
            var objective = new LawObjective(points, w, settings.delta());
            Lbfgs.Result best = null;
            for (var s : firstStarts) {
                var r = Lbfgs.minimize(objective::valueAndGradient, s, Lbfgs.Settings.TIGHT);
                if (Double.isFinite(r.value()) && finite(r.x()) && (best == null || r.value() < best.value())) best = r;
            }
            // a resample can hold too few sizes to pin a term (its exponent runs off to infinity): it is left out, and
            // the intervals come from the resamples that determine the law
            return best == null ? null : ScalingLaw.ofTheta(best.x());
        }).filter(java.util.Objects::nonNull).toList();
    }

    /** Whether θ gives a law of finite parameters (exp(a), exp(b), exp(e) do not overflow). */
    static boolean finite(double[] theta) {
        for (double t : theta) if (!Double.isFinite(t)) return false;
        return Math.abs(theta[0]) < 700 && Math.abs(theta[1]) < 700 && Math.abs(theta[2]) < 700;
    }

    static double rms(double[] r) {
        double s = 0;
        for (double v : r) s += v * v;
        return Math.sqrt(s / r.length);
    }
}
