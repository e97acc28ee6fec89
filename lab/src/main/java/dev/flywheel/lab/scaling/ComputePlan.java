package dev.flywheel.lab.scaling;

import dev.flywheel.lab.recipe.Recipe;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a saved law says to do with a compute budget: the compute-optimal parameters and tokens, the loss it predicts
 * there with a 95% interval (the planned N and D under every bootstrap law), the optimum's own spread across the
 * bootstrap, and the engine shape nearest that size with its token budget at the same compute.
 */
public record ComputePlan(ScalingLaw.Allocation optimum, double[] lossInterval, double[] paramsInterval,
                          double[] tokensInterval, EngineShape.Shape shape, long shapeTokens, double shapeLoss) {

    public static ComputePlan of(FitReport.SavedLaw saved, double flops, Recipe base) {
        if (!(flops > 0) || !Double.isFinite(flops))
            throw new IllegalArgumentException("the compute must be a positive number of FLOPs (got " + flops + ")");
        var law = saved.law();
        var opt = law.optimal(flops);
        List<ScalingLaw> boot = saved.bootstrap().stream().filter(l -> l.alpha() > 0 && l.beta() > 0).toList();
        var loss = Percentiles.interval95(boot.stream().mapToDouble(l -> l.loss(opt.params(), opt.tokens())).toArray());
        var n = Percentiles.interval95(boot.stream().mapToDouble(l -> l.optimal(flops).params()).toArray());
        var d = Percentiles.interval95(boot.stream().mapToDouble(l -> l.optimal(flops).tokens()).toArray());
        var shape = EngineShape.nearest(base, opt.params());
        long tokens = Math.round(flops / (ScalingLaw.FLOPS_PER_PARAM_TOKEN * shape.params()));
        return new ComputePlan(opt, loss, n, d, shape, tokens, law.loss(shape.params(), tokens));
    }

    /** The JSON: params, tokens, predicted_loss (and its interval), and the shape in the engine's terms. */
    public Map<String, Object> toJson() {
        var j = new LinkedHashMap<String, Object>();
        j.put("compute", optimum.flops());
        j.put("params", optimum.params());
        j.put("tokens", optimum.tokens());
        j.put("tokens_per_param", optimum.tokensPerParam());
        j.put("predicted_loss", optimum.loss());
        j.put("predicted_loss_interval", pair(lossInterval));
        j.put("params_interval", pair(paramsInterval));
        j.put("tokens_interval", pair(tokensInterval));
        var s = new LinkedHashMap<String, Object>();
        s.put("layers", shape.layers());
        s.put("heads", shape.heads());
        s.put("width", shape.width());
        s.put("params", shape.params());
        s.put("tokens", shapeTokens);
        s.put("predicted_loss", shapeLoss);
        j.put("shape", s);
        return j;
    }

    private static List<Double> pair(double[] a) {
        return a == null ? null : List.of(a[0], a[1]);
    }
}
