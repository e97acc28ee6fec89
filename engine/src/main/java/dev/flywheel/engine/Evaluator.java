package dev.flywheel.engine;

/**
 * Validation loss and bits per byte of a model over fixed batches, on an inference view of the model (its own
 * activations, so evaluating at another batch shape never disturbs training).
 */
public final class Evaluator {

    private final Gpt view;
    private final int batch, seq;
    private final int[] tokenBytes;
    private final int[] inputs, targets;

    /** @param tokenBytes UTF-8 bytes per token id, for bits per byte (null: bpb is NaN) */
    public Evaluator(Gpt model, int batch, int seq, int[] tokenBytes) {
        this.view = model.inferenceView();
        this.batch = batch;
        this.seq = seq;
        this.tokenBytes = tokenBytes;
        this.inputs = new int[batch * seq];
        this.targets = new int[batch * seq];
    }

    /**
     * Mean loss (nats per scored token) and bits per byte (Σ nats / (ln 2 · Σ UTF-8 bytes of the targets)) over
     * batches 0..batches-1 of {@code source}.
     */
    public Trainer.EvalResult evaluate(long step, BatchSource source, int batches) {
        return evaluate(step, source, batches, null, null);
    }

    /**
     * As {@link #evaluate(long, BatchSource, int)}, and when {@code rowNats} and {@code rowBytes} are given (at least
     * batches·B long) each row's summed nats and target bytes at index i·B + r, row r of batch i: what a caller needs
     * to estimate the evaluation's own sampling error.
     */
    public Trainer.EvalResult evaluate(long step, BatchSource source, int batches, double[] rowNats, long[] rowBytes) {
        double nats = 0;
        long count = 0, bytes = 0;
        for (int i = 0; i < batches; i++) {
            source.fill(i, 0, batch, seq, inputs, targets);
            view.forward(inputs, targets, batch, seq);
            float[] losses = view.losses();
            for (int j = 0; j < inputs.length; j++) {
                if (targets[j] < 0) continue;
                nats += losses[j];
                count++;
                int b = tokenBytes != null ? tokenBytes[targets[j]] : 0;
                bytes += b;
                if (rowNats != null) {
                    int row = i * batch + j / seq;
                    rowNats[row] += losses[j];
                    rowBytes[row] += b;
                }
            }
        }
        double loss = nats / Math.max(1, count);
        double bpb = tokenBytes != null && bytes > 0 ? nats / (Math.log(2) * bytes) : Double.NaN;
        return new Trainer.EvalResult(step, loss, bpb, count, bytes);
    }
}
