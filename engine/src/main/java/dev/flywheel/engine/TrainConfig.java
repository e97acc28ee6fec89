package dev.flywheel.engine;

/**
 * How one run trains: the batch shape, the optimizer, the schedule, the budget and evaluation.
 *
 * @param batch       sequences per micro-batch (B)
 * @param seq         tokens per sequence (T)
 * @param accum       micro-batches per optimizer step (gradient accumulation)
 * @param evalEvery   evaluate every this many steps (0 = only at the end)
 * @param evalBatches validation batches per evaluation
 * @param seed        initialisation and data-order seed
 */
public record TrainConfig(int batch, int seq, int accum, OptimizerConfig optimizer, LrSchedule schedule,
                          TrainBudget budget, int evalEvery, int evalBatches, long seed) {

    public TrainConfig {
        if (batch < 1) throw new IllegalArgumentException("batch must be at least 1 (got " + batch + ")");
        if (seq < 1) throw new IllegalArgumentException("seq must be at least 1 (got " + seq + ")");
        if (accum < 1) throw new IllegalArgumentException("gradient accumulation must be at least 1 (got " + accum + ")");
        if (evalEvery < 0) throw new IllegalArgumentException("eval interval must be >= 0");
        if (evalBatches < 1) throw new IllegalArgumentException("eval batches must be at least 1");
        java.util.Objects.requireNonNull(optimizer);
        java.util.Objects.requireNonNull(schedule);
        java.util.Objects.requireNonNull(budget);
    }

    public int tokensPerStep() {
        return batch * seq * accum;
    }
}
