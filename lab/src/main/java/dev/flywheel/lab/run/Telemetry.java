package dev.flywheel.lab.run;

import dev.flywheel.engine.ParameterLayout;
import dev.flywheel.engine.Trainer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

/**
 * Per-step telemetry of a run as a TSV file in its directory ({@code telemetry.tsv}): loss, global and per-layer
 * gradient norms, update/weight ratio, largest attention logit (overall and per layer), mean log-partition and
 * learning rate — what the guard watches, for people, plots and the dashboard. Flushed every step.
 */
final class Telemetry implements AutoCloseable {

    static final String FILE = "telemetry.tsv";

    private final BufferedWriter out;
    private final int layers;
    private final int[] layerOf;
    private double maxAttentionLogit = Double.NEGATIVE_INFINITY;

    Telemetry(Path runDir, List<ParameterLayout.Tensor> tensors, int layers, boolean append) {
        this.layers = layers;
        this.layerOf = new int[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            String n = tensors.get(i).name();
            layerOf[i] = n.startsWith("h.") ? Integer.parseInt(n.substring(2, n.indexOf('.', 2))) : -1;
        }
        try {
            Files.createDirectories(runDir);
            Path file = runDir.resolve(FILE);
            boolean header = !append || !Files.exists(file);
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    header ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND);
            if (header) {
                var sb = new StringBuilder("step\tdata_step\tloss\tgrad_norm\tlr\tupdate_ratio\tupdated\tmax_attn_logit\tmean_log_z");
                for (int l = 0; l < layers; l++) sb.append("\tgrad_norm_l").append(l);
                for (int l = 0; l < layers; l++) sb.append("\tattn_logit_l").append(l);
                out.write(sb.append('\n').toString());
                out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write telemetry in " + runDir, e);
        }
    }

    void record(Trainer.StepStats s) {
        double[] layerSq = new double[layers];
        for (int i = 0; i < layerOf.length; i++) {
            if (layerOf[i] >= 0) layerSq[layerOf[i]] += s.tensorGradNorms()[i] * s.tensorGradNorms()[i];
        }
        float maxLogit = Float.NEGATIVE_INFINITY;
        for (float x : s.maxAttnLogits()) maxLogit = Math.max(maxLogit, x);
        if (Float.isFinite(maxLogit)) maxAttentionLogit = Math.max(maxAttentionLogit, maxLogit);
        var sb = new StringBuilder();
        sb.append(s.step()).append('\t').append(s.dataStep()).append('\t').append(f(s.loss())).append('\t')
                .append(f(s.gradNorm())).append('\t').append(f(s.lr())).append('\t').append(f(s.updateRatio())).append('\t')
                .append(s.updated() ? 1 : 0).append('\t').append(f(maxLogit)).append('\t').append(f(s.meanLogSumExp()));
        for (double sq : layerSq) sb.append('\t').append(f(Math.sqrt(sq)));
        for (float a : s.maxAttnLogits()) sb.append('\t').append(f(a));
        try {
            out.write(sb.append('\n').toString());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write telemetry", e);
        }
    }

    /** The largest attention logit seen in the run so far. */
    double maxAttentionLogit() {
        return maxAttentionLogit;
    }

    private static String f(double x) {
        return Double.isFinite(x) ? String.format(Locale.ROOT, "%.6g", x) : Double.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close telemetry", e);
        }
    }
}
