package dev.flywheel.lab.scaling;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.LabException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * A fit and everything said about it: the law with its bootstrap, Approach 2's exponent when the points form IsoFLOP
 * groups, and the warnings. As JSON ({@link #toJson}, read back by {@link #readLaw}) and as a short Markdown report.
 *
 * @param source where the points came from (a file, a study)
 * @param recipe the recipe the points were trained with, as JSON, or null (the plan then shapes the default recipe)
 */
public record FitReport(String source, List<ScalingPoint> points, LawFit.Result fit, IsoFlop.Result isoFlop,
                        List<String> warnings, String recipe) {

    /** Fits the points: Approach 3 with its bootstrap, Approach 2 when it applies, and the warnings of both. */
    public static FitReport of(String source, List<ScalingPoint> points, LawFit.Settings settings, String recipe) {
        var warnings = new ArrayList<>(Identifiability.ofPoints(points));
        var fit = LawFit.fit(points, settings);
        warnings.addAll(Identifiability.ofFit(fit));
        return new FitReport(source, points, fit, IsoFlop.fit(points), List.copyOf(warnings), recipe);
    }

    private static final Map<String, ToDoubleFunction<ScalingLaw>> PARAMETERS = new java.util.LinkedHashMap<>();

    static {
        PARAMETERS.put("E", ScalingLaw::e);
        PARAMETERS.put("A", ScalingLaw::a);
        PARAMETERS.put("B", ScalingLaw::b);
        PARAMETERS.put("alpha", ScalingLaw::alpha);
        PARAMETERS.put("beta", ScalingLaw::beta);
    }

    public ScalingLaw law() {
        return fit.law();
    }

    /** The fit as the JSON: E, A, B, alpha, beta, intervals, points, residual_rms, and the rest. */
    public Map<String, Object> toJson() {
        var j = new LinkedHashMap<String, Object>();
        var law = law();
        PARAMETERS.forEach((k, f) -> j.put(k, f.applyAsDouble(law)));
        var intervals = new LinkedHashMap<String, Object>();
        if (!fit.bootstrap().isEmpty())
            PARAMETERS.forEach((k, f) -> intervals.put(k, toList(fit.interval(f))));
        j.put("intervals", intervals);
        var pts = new ArrayList<Map<String, Object>>();
        for (var p : points) {
            var m = new LinkedHashMap<String, Object>();
            m.put("params", p.params());
            m.put("tokens", p.tokens());
            m.put("flops", p.flops());
            m.put("loss", p.loss());
            m.put("predicted", law.loss(p.params(), p.tokens()));
            if (p.label() != null) m.put("label", p.label());
            pts.add(m);
        }
        j.put("points", pts);
        j.put("residual_rms", fit.residualRms());
        j.put("params_exponent", law.alpha() > 0 && law.beta() > 0 ? law.paramsExponent() : null);
        if (isoFlop != null) {
            var a2 = new LinkedHashMap<String, Object>();
            a2.put("params_exponent", isoFlop.paramsExponent());
            a2.put("groups", isoFlop.groups().stream().map(g -> Map.of("flops", g.flops(), "points", g.points(),
                    "optimal_params", g.optimalParams(), "min_loss", g.minLoss())).toList());
            j.put("approach2", a2);
        }
        j.put("warnings", warnings);
        j.put("source", source);
        j.put("objective", fit.objective());
        j.put("starts", fit.starts());
        if (recipe != null) j.put("recipe", Json.MAPPER.valueToTree(parse(recipe)));
        j.put("bootstrap", fit.bootstrap().stream().map(l -> List.of(l.e(), l.a(), l.b(), l.alpha(), l.beta())).toList());
        return j;
    }

    private static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("the fit's recipe is not JSON", e);
        }
    }

    private static List<Double> toList(double[] a) {
        return a == null ? null : List.of(a[0], a[1]);
    }

    /** A law as a saved fit holds it: the estimate, its bootstrap, and the recipe if one was saved. */
    public record SavedLaw(ScalingLaw law, List<ScalingLaw> bootstrap, String recipe) {}

    /** Reads a fit written by {@code scale fit}; one sentence naming the file when it is not one. */
    public static SavedLaw readLaw(Path file) {
        JsonNode j;
        try {
            j = Json.MAPPER.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new LabException("the fit " + file + " does not exist; make one with `flywheel scale fit --points FILE`");
        } catch (IOException e) {
            throw new LabException("the fit " + file + " is not readable JSON (" + e.getMessage().lines().findFirst().orElse("")
                    + "); give the .json file `flywheel scale fit` wrote");
        }
        for (var k : PARAMETERS.keySet())
            if (j == null || !j.path(k).isNumber())
                throw new LabException("the fit " + file + " has no number \"" + k + "\"; give the .json file `flywheel scale fit` wrote");
        var law = new ScalingLaw(j.get("E").asDouble(), j.get("A").asDouble(), j.get("B").asDouble(),
                j.get("alpha").asDouble(), j.get("beta").asDouble());
        var boot = new ArrayList<ScalingLaw>();
        for (var b : j.path("bootstrap"))
            boot.add(new ScalingLaw(b.get(0).asDouble(), b.get(1).asDouble(), b.get(2).asDouble(), b.get(3).asDouble(), b.get(4).asDouble()));
        return new SavedLaw(law, List.copyOf(boot), j.has("recipe") ? j.get("recipe").toString() : null);
    }

    /** The short Markdown report: the law, its intervals, the optimum's exponents, Approach 2, the warnings. */
    public String markdown(String chartName) {
        var law = law();
        var s = new StringBuilder("# Scaling law fit\n\n");
        s.append(String.format(Locale.ROOT, "%d points from %s. L(N, D) = E + A/N^α + B/D^β, fitted as Epoch AI refitted "
                + "Chinchilla: Huber (δ = 1e-3) on log-loss residuals, L-BFGS from %,d starts, %d bootstrap resamples.%n%n",
                points.size(), source, fit.starts(), fit.bootstrap().size()));
        s.append("| parameter | estimate | 95% interval |\n|---|---|---|\n");
        PARAMETERS.forEach((k, f) -> {
            var ci = fit.bootstrap().isEmpty() ? null : fit.interval(f);
            s.append(String.format(Locale.ROOT, "| %s | %.4g | %s |%n", k, f.applyAsDouble(law),
                    ci == null ? "—" : String.format(Locale.ROOT, "[%.4g, %.4g]", ci[0], ci[1])));
        });
        s.append(String.format(Locale.ROOT, "%nResidual RMS (ln L̂ − ln L): %.4f (≈ %.2f%% of the loss).%n", fit.residualRms(),
                100 * fit.residualRms()));
        if (law.alpha() > 0 && law.beta() > 0)
            s.append(String.format(Locale.ROOT, "Compute-optimal: N ∝ C^%.3f, D ∝ C^%.3f.%n", law.paramsExponent(),
                    1 - law.paramsExponent()));
        if (isoFlop != null)
            s.append(String.format(Locale.ROOT, "Approach 2 (IsoFLOP parabolas, %d groups): N ∝ C^%.3f.%n",
                    isoFlop.groups().size(), isoFlop.paramsExponent()));
        if (!warnings.isEmpty()) {
            s.append("\n## Warnings\n\n");
            for (var w : warnings) s.append("- ").append(w).append('\n');
        }
        if (chartName != null) s.append("\n![loss against compute](").append(chartName).append(")\n");
        return s.toString();
    }
}
