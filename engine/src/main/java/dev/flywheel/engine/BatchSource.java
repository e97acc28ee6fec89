package dev.flywheel.engine;

/**
 * Where the trainer's token batches come from. Deterministic and seekable: the same (step, micro) always
 * yields the same batch, so a run resumes mid-epoch and a single step can be replayed exactly.
 */
public interface BatchSource {

    /**
     * Fills {@code inputs} and {@code targets} (each batch·seq ids, row-major [batch][seq]) with the batch for
     * optimizer step {@code step} and gradient-accumulation micro-step {@code micro}. Targets are the inputs
     * shifted by one token.
     */
    void fill(long step, int micro, int batch, int seq, int[] inputs, int[] targets);
}
