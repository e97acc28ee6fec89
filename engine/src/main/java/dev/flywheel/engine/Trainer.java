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

    /** Observers of the loop: the guard, progress printing, metric recording, fault injection. */
    public interface Hooks {
        /** Before the batch of a step is fetched: fault injection can change the batch source or the LR here. */
        default void beforeStep(Trainer trainer) {}

        /** After the gradients of a step are known and before the update. */
        default Verdict afterBackward(Trainer trainer, StepStats stats) {
            return Verdict.UPDATE;
        }

        /** After a step (updated or skipped). */
        default void afterStep(Trainer trainer, StepStats stats) {}

        default void afterEval(Trainer trainer, EvalResult eval) {}
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
    private BatchSource train;
    private final BatchSource val;
    private final int[] tokenBytes;
    private final int[] inputs, targets;
    private final double flopsPerToken;
    private Hooks hooks = new Hooks() {};
    private Evaluator evaluator;

    private long step, dataStep, tokens;
    private double trainSeconds;
    private double lrScale = 1.0;
    private double lrOverride = Double.NaN;
    private boolean poisonNext;
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

    /** Replaces the learning rate of the next step only (fault injection). NaN = no override. */
    public void overrideNextLr(double lr) {
        this.lrOverride = lr;
    }

    /**
     * Makes the next step's loss and gradients NaN, as a numerical fault would (fault injection). Without a guard
     * the update then poisons the weights, which is what an unguarded run suffers.
     */
    public void poisonNextStep() {
        this.poisonNext = true;
    }

    /** Clips the next update's gradient norm to {@code maxNorm} (the guard's adaptive clipping). */
    public void clipNextUpdate(double maxNorm) {
        this.clipNext = maxNorm;
    }

    /** Skips the data position ahead (or sets it), e.g. past the batches that led into a spike. */
    public void setDataStep(long dataStep) {
        this.dataStep = dataStep;
    }

    public BatchSource trainSource() {
        return train;
    }

    /** Replaces the training batch source (fault injection wraps the real one). */
    public void setTrainSource(BatchSource source) {
        this.train = source;
    }

    /** Learning rate the next step will use, before any override. */
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
        double lr = currentLr();
        if (!Double.isNaN(lrOverride)) {
            lr = lrOverride;
            lrOverride = Double.NaN;
        }
        int normalizer = cfg.accum() * cfg.batch() * cfg.seq();
        double lossSum = 0;
        for (int micro = 0; micro < cfg.accum(); micro++) {
            train.fill(dataStep, micro, cfg.batch(), cfg.seq(), inputs, targets);
            lossSum += model.forward(inputs, targets, cfg.batch(), cfg.seq());
            model.backward(normalizer);
        }
        float loss = (float) (lossSum / cfg.accum());
        if (poisonNext) {
            poisonNext = false;
            loss = Float.NaN;
            java.util.Arrays.fill(model.grads, Float.NaN);
        }
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
