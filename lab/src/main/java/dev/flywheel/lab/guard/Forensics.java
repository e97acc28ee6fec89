package dev.flywheel.lab.guard;

import dev.flywheel.engine.Gpt;
import dev.flywheel.engine.Trainer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Explains a spike: replays the exact batch of the step on the weights that produced it (the step is
 * deterministic, so this is the same computation), attributes every token's loss to the document it came from,
 * and ranks documents by how much loss above the batch's typical token they contributed. Replaying the same batch
 * on an earlier snapshot's weights tells whether the batch itself is bad (it spikes there too: data) or the
 * recent optimizer trajectory is (it does not: optimizer) — PaLM found both kinds.
 */
final class Forensics {

    /** One document's share of a spike. */
    record Suspect(String documentId, double excessNats, int tokens, double meanLoss, String snippet) {
        Map<String, Object> toMap() {
            var m = new LinkedHashMap<String, Object>();
            m.put("document", documentId);
            m.put("excess_nats", round(excessNats));
            m.put("tokens", tokens);
            m.put("mean_loss", round(meanLoss));
            m.put("snippet", snippet);
            return m;
        }
    }

    /** What the replay found. */
    record Report(double replayLoss, double snapshotLoss, Cause cause, List<Suspect> suspects) {}

    private final Gpt model;
    private final DocumentLocator locator;
    private Gpt replica;

    Forensics(Gpt model, DocumentLocator locator) {
        this.model = model;
        this.locator = locator;
    }

    /**
     * @param snapshot   an earlier state to replay on, or null
     * @param typical    the typical loss before the spike (the guard's level)
     * @param scale      the typical deviation of the loss
     * @param snapshotLevel the typical loss when the snapshot was taken: its replay is judged against this
     * @param snapshotScale the typical deviation of the loss when the snapshot was taken
     * @param spikeZ     how many deviations make a spike
     */
    Report explain(Trainer trainer, long dataStep, Trainer.Snapshot snapshot, double typical, double scale,
                   double snapshotLevel, double snapshotScale, double spikeZ, int top) {
        var tc = trainer.config();
        int b = tc.batch(), t = tc.seq();
        int[] x = new int[b * t], y = new int[b * t];
        var view = model.inferenceView();
        var perDocument = new HashMap<String, double[]>(); // id -> {loss sum, tokens}
        var snippets = new HashMap<String, String>();
        double sum = 0, snapshotSum = 0;
        long count = 0;
        if (snapshot != null) {
            if (replica == null) replica = new Gpt(model.config(), model.pool());
            System.arraycopy(snapshot.params(), 0, replica.params, 0, replica.params.length);
        }
        List<float[]> rowLosses = new ArrayList<>();
        for (int micro = 0; micro < tc.accum(); micro++) {
            trainer.trainSource().fill(dataStep, micro, b, t, x, y);
            view.forward(x, y, b, t);
            float[] losses = view.losses().clone();
            rowLosses.add(losses);
            for (float l : losses) sum += l;
            count += losses.length;
            if (snapshot != null) {
                replica.forward(x, y, b, t);
                for (float l : replica.losses()) snapshotSum += l;
            }
        }
        double replayLoss = sum / count;
        double snapshotLoss = snapshot != null ? snapshotSum / count : Double.NaN;
        // the median token loss of the batch is the "typical token": excess is loss above it
        double[] all = new double[(int) count];
        int k = 0;
        for (float[] ls : rowLosses) for (float l : ls) all[k++] = l;
        java.util.Arrays.sort(all);
        double median = all[all.length / 2];
        for (int micro = 0; micro < tc.accum(); micro++) {
            float[] losses = rowLosses.get(micro);
            for (int row = 0; row < b; row++) {
                for (int pos = 0; pos < t; pos++) {
                    // the loss at position pos is for predicting target pos, i.e. the token at window position pos+1
                    var origin = locator.locate(dataStep, micro, row, pos + 1, t);
                    var acc = perDocument.computeIfAbsent(origin.documentId(), id -> new double[2]);
                    acc[0] += losses[row * t + pos];
                    acc[1] += 1;
                    snippets.putIfAbsent(origin.documentId(), origin.snippet());
                }
            }
        }
        var suspects = new ArrayList<Suspect>();
        perDocument.forEach((id, acc) -> suspects.add(new Suspect(id, acc[0] - median * acc[1], (int) acc[1],
                acc[0] / acc[1], snippets.get(id))));
        suspects.sort((p, q) -> Double.compare(q.excessNats(), p.excessNats()));
        var cause = Cause.of(replayLoss, snapshotLoss, typical, scale, snapshotLevel, snapshotScale, spikeZ);
        return new Report(replayLoss, snapshotLoss, cause, List.copyOf(suspects.subList(0, Math.min(top, suspects.size()))));
    }

    static double round(double x) {
        return Double.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x;
    }
}
