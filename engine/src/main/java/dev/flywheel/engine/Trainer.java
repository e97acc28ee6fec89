package dev.flywheel.engine;

/**
 * The training loop. One {@link #step()} is: for each micro-batch, fetch batch (dataStep, micro), forward,
 * backward; then the global gradient norm, the hooks' verdict, clipping and the optimizer update.
 *
 * <p>The optimizer step and the data position are separate counters: after a roll-back the guard can restore an
 * earlier step while the data position moves on, which skips the batches that led into a spike.
 */
public final class Trainer {

    /** What a hook decides after the backward pass of a step. */
    public enum Verdict { UPDATE, SKIP }

    /**
     * Observers of the loop: the guard, progress printing, metric recording, fault injection. Fault injection is a
     * hook and a wrapping {@link BatchSource}: the trainer itself has no way to be told to fail.
     */
    public interface Hooks {
        /** Before the batch of a step is fetched. */
        default void beforeStep(Trainer trainer) {}

        /** The learning rate this step will use, given the schedule's {@code lr}; a hook may change it. */
        default double learningRate(Trainer trainer, double lr) {
            return lr;
        }

        /**
         * After the backward pass, before the gradient norm is measured: returns the step's loss as the rest of the
         * step sees it. A hook may change it and the gradients in {@code trainer.model().grads}.
         */
        default float afterGradients(Trainer trainer, float loss) {
            return loss;
        }

        /** After the gradients of a step are known and before the update. */
        default Verdict afterBackward(Trainer trainer, StepStats stats) {
            return Verdict.UPDATE;
        }

        /** After a step (updated or skipped). */
        default void afterStep(Trainer trainer, StepStats stats) {}

        default void afterEval(Trainer trainer, EvalResult eval) {}

        /** All of {@code hooks}, in order: a step is skipped if any of them says so. */
        static Hooks chain(Hooks... hooks) {
            var all = java.util.List.of(hooks);
            return new Hooks() {
                @Override
                public void beforeStep(Trainer trainer) {
                    for (var h : all) h.beforeStep(trainer);
                }

                @Override
                public double learningRate(Trainer trainer, double lr) {
                    for (var h : all) lr = h.learningRate(trainer, lr);
                    return lr;
                }

                @Override
                public float afterGradients(Trainer trainer, float loss) {
                    for (var h : all) loss = h.afterGradients(trainer, loss);
                    return loss;
                }

                @Override
                public Verdict afterBackward(Trainer trainer, StepStats stats) {
                    var verdict = Verdict.UPDATE;
                    for (var h : all) if (h.afterBackward(trainer, stats) == Verdict.SKIP) verdict = Verdict.SKIP;
                    return verdict;
                }

                @Override
                public void afterStep(Trainer trainer, StepStats stats) {
                    for (var h : all) h.afterStep(trainer, stats);
                }

                @Override
                public void afterEval(Trainer trainer, EvalResult eval) {
                    for (var h : all) h.afterEval(trainer, eval);
                }
            };
        }
    }

    /**
     * What one step did. {@code updateRatio} is NaN when the update was skipped.
     *
     * @param step          the optimizer step this was (0-based)
     * @param dataStep      the data position its batches came from
     * @param tensorGradNorms L2 norm of each parameter tensor's gradient, in layout order
     * @param maxAttnLogits largest attention logit per layer
     * @param meanLogSumExp mean log-partition log Z of the output logits (last micro-batch): output-logit drift
     */
    public record StepStats(long step, long dataStep, float loss, double gradNorm, double lr, double updateRatio,
                            boolean updated, double[] tensorGradNorms, float[] maxAttnLogits, long tokens,
                            double stepSeconds, double trainSeconds, double progress, double meanLogSumExp) {}

    /** Validation loss (mean nats per token) and bits per byte, over fixed validation batches. */
    public record EvalResult(long step, double loss, double bitsPerByte, long tokens, long bytes) {}

    /** A copy of everything an update changes, taken cheaply in memory so the guard can roll back. */
    public record Snapshot(long step, long dataStep, float[] params, float[] m, float[] v, float[] muon, double lrScale) {}

    private final Gpt model;
    private final Optimizer optimizer;
    private final TrainConfig cfg;
    private final BatchSource train;
    private final BatchSource val;
    private final int[] tokenBytes;
    private final int[] inputs, targets;
    private final double flopsPerToken;
    private Hooks hooks = new Hooks() {};
    private Evaluator evaluator;

    private long step, dataStep, tokens;
    private double trainSeconds;
    private double lrScale = 1.0;
    private double clipNext = Double.NaN;
    private double warmupEndProgress = Double.NaN;

    /**
     * @param train      training batches
     * @param val        validation batches (may be null: no evaluation)
     * @param tokenBytes UTF-8 bytes each token id stands for, for bits per byte (may be null: bpb is NaN)
     */
    public Trainer(Gpt model, TrainConfig cfg, BatchSource train, BatchSource val, int[] tokenBytes) {
        if (cfg.seq() > model.config().seqLen()) {
            throw new IllegalArgumentException("training sequence length " + cfg.seq() + " exceeds the model's context "
                    + model.config().seqLen());
        }
        this.model = model;
        this.cfg = cfg;
        this.optimizer = new Optimizer(model, cfg.optimizer());
        this.train = train;
        this.val = val;
        this.tokenBytes = tokenBytes;
        this.inputs = new int[cfg.batch() * cfg.seq()];
        this.targets = new int[cfg.batch() * cfg.seq()];
        this.flopsPerToken = flopsPerToken(model.config(), model.layout(), cfg.seq());
    }

    /**
     * Training FLOPs per token: 6 per weight that multiplies an activation (embedding look-ups are free, the head
     * is not) plus attention's 12·L·C·T (PaLM's accounting, without the causal discount).
     */
    public static double flopsPerToken(ModelConfig c, ParameterLayout layout, int seq) {
        double vc = (double) c.vocabSize() * c.dim();
        double matmulParams = layout.size() - vc - (layout.wpe() >= 0 ? (double) c.seqLen() * c.dim() : 0);
        if (c.tiedHead()) matmulParams += vc; // the tied head is a matmul with the embedding matrix
        return 6 * matmulParams + 12.0 * c.layers() * c.dim() * seq;
    }

    public void setHooks(Hooks hooks) {
        this.hooks = hooks;
    }

    public Gpt model() {
        return model;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public TrainConfig config() {
        return cfg;
    }

    /** Optimizer steps taken so far. */
    public long currentStep() {
        return step;
    }

    public long dataStep() {
        return dataStep;
    }

    public long tokens() {
        return tokens;
    }

    public double trainSeconds() {
        return trainSeconds;
    }

    public double flops() {
        return tokens * flopsPerToken;
    }

    public double flopsPerToken() {
        return flopsPerToken;
    }

    public double progress() {
        return cfg.budget().progress(step, tokens, flops(), trainSeconds);
    }

    public boolean budgetSpent() {
        return cfg.budget().spent(step, tokens, flops(), trainSeconds);
    }

    /** Multiplies the learning rate from now on (the guard's cut); 1 = the schedule as written. */
    public void setLrScale(double scale) {
        this.lrScale = scale;
    }

    public double lrScale() {
        return lrScale;
    }

    /** Clips the next update's gradient norm to {@code maxNorm} (the guard's adaptive clipping). */
    public void clipNextUpdate(double maxNorm) {
        this.clipNext = maxNorm;
    }

    /** Skips the data position ahead (or sets it), e.g. past the batches that led into a spike. */
    public void setDataStep(long dataStep) {
        this.dataStep = dataStep;
    }

    /** Where the training batches come from (the guard's forensics replay a step's batch from it). */
    public BatchSource trainSource() {
        return train;
    }

    /** Learning rate the next step will use, before the hooks see it. */
    public double currentLr() {
        double p = progress();
        if (step >= cfg.schedule().warmup() && Double.isNaN(warmupEndProgress)) warmupEndProgress = p;
        double decayProgress = Double.isNaN(warmupEndProgress) ? 0
                : (p - warmupEndProgress) / Math.max(1e-12, 1 - warmupEndProgress);
        return cfg.optimizer().lr() * cfg.schedule().multiplier(step, decayProgress) * lrScale;
    }

    /** Runs one optimizer step and returns what it did. */
    public StepStats step() {
        hooks.beforeStep(this);
        long t0 = System.nanoTime();
        model.zeroGrad();
        double lr = hooks.learningRate(this, currentLr());
        int normalizer = cfg.accum() * cfg.batch() * cfg.seq();
        double lossSum = 0;
        for (int micro = 0; micro < cfg.accum(); micro++) {
            train.fill(dataStep, micro, cfg.batch(), cfg.seq(), inputs, targets);
            lossSum += model.forward(inputs, targets, cfg.batch(), cfg.seq());
            model.backward(normalizer);
        }
        float loss = hooks.afterGradients(this, (float) (lossSum / cfg.accum()));
        model.profile.start();
        double[] squares = optimizer.tensorSquaredNorms(model.grads);
        double gn = 0;
        for (double s : squares) gn += s;
        gn = Math.sqrt(gn);
        double[] norms = new double[squares.length];
        for (int i = 0; i < norms.length; i++) norms[i] = Math.sqrt(squares[i]);
        float[] maxLogits = model.maxAttentionLogits();
        double lseSum = 0;
        float[] lse = model.logSumExp();
        for (int i = 0; i < cfg.batch() * cfg.seq(); i++) lseSum += lse[i];
        double meanLse = lseSum / (cfg.batch() * cfg.seq());
        long stepTokens = (long) cfg.tokensPerStep();
        var pre = new StepStats(step, dataStep, loss, gn, lr, Double.NaN, false, norms, maxLogits, tokens + stepTokens,
                0, trainSeconds, progress(), meanLse);
        // no check of finiteness here: keeping NaNs out of the weights is the guard's job, and an unguarded run
        // must suffer them as it would in any framework
        Verdict verdict = hooks.afterBackward(this, pre);
        boolean update = verdict == Verdict.UPDATE;
        // the hook may have rolled the trainer back (then this step's gradients belong to a discarded past) or
        // moved the data position (skipping batches)
        boolean rolledBack = pre.step() != step;
        boolean dataMoved = pre.dataStep() != dataStep;
        double ratio = Double.NaN;
        boolean applied = update && !rolledBack;
        if (applied) {
            if (!Double.isNaN(clipNext) && gn > clipNext) {
                final float scale = (float) (clipNext / gn);
                float[] g = model.grads;
                model.pool().parallelFor(g.length, (a, b) -> {
                    for (int i = a; i < b; i++) g[i] *= scale;
                });
                gn = clipNext;
            }
            ratio = optimizer.update(lr / cfg.optimizer().lr(), gn);
            step++; // the step count is the number of updates the weights have had
        }
        clipNext = Double.NaN;
        model.profile.lap(Profile.Phase.OPTIMIZER);
        long thisStep = pre.step();
        if (!dataMoved) dataStep++;
        tokens += stepTokens;
        double seconds = (System.nanoTime() - t0) / 1e9;
        trainSeconds += seconds;
        var stats = new StepStats(thisStep, pre.dataStep(), loss, pre.gradNorm(), lr, ratio, applied, norms,
                maxLogits, tokens, seconds, trainSeconds, progress(), meanLse);
        hooks.afterStep(this, stats);
        return stats;
    }

    /** Mean validation loss and bits per byte over {@code evalBatches} fixed validation batches. */
    public EvalResult evaluate() {
        if (val == null) throw new IllegalStateException("no validation data");
        return evaluate(val, cfg.evalBatches());
    }

    /** Evaluates on any batch source: batches 0..batches-1 of it, micro 0, at the training batch shape. */
    public EvalResult evaluate(BatchSource source, int batches) {
        if (evaluator == null) evaluator = new Evaluator(model, cfg.batch(), cfg.seq(), tokenBytes);
        var result = evaluator.evaluate(step, source, batches);
        hooks.afterEval(this, result);
        return result;
    }

    /** Reports an evaluation made elsewhere (e.g. at another batch shape) to the hooks. */
    public void reportEval(EvalResult result) {
        hooks.afterEval(this, result);
    }

    /** Copies the state an update changes. */
    public Snapshot snapshot() {
        return new Snapshot(step, dataStep, model.params.clone(), optimizer.m.clone(), optimizer.v.clone(),
                optimizer.muonMomentum.clone(), lrScale);
    }

    /** Restores weights, optimizer moments and the step count of a snapshot; the data position is left as is. */
    public void restore(Snapshot s) {
        System.arraycopy(s.params(), 0, model.params, 0, s.params().length);
        System.arraycopy(s.m(), 0, optimizer.m, 0, s.m().length);
        System.arraycopy(s.v(), 0, optimizer.v, 0, s.v().length);
        System.arraycopy(s.muon(), 0, optimizer.muonMomentum, 0, s.muon().length);
        step = s.step();
        optimizer.setStep(s.step());
    }

    /** Restores the counters of a checkpoint (weights and moments are loaded by {@link Checkpoint}). */
    public void restoreCounters(long step, long dataStep, long tokens, double trainSeconds, double lrScale,
                                double warmupEndProgress) {
        this.step = step;
        this.dataStep = dataStep;
        this.tokens = tokens;
        this.trainSeconds = trainSeconds;
        this.lrScale = lrScale;
        this.warmupEndProgress = warmupEndProgress;
        optimizer.setStep(step);
    }

    public double warmupEndProgress() {
        return warmupEndProgress;
    }
}
