package dev.flywheel.agent;

import dev.flywheel.data.prep.DataPrep;
import dev.flywheel.data.tokenizer.Tokenizer;
import dev.flywheel.engine.Checkpoint;
import dev.flywheel.engine.CheckpointException;
import dev.flywheel.engine.Parallel;
import dev.flywheel.engine.Sampler;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Text from a run's checkpoint: the model saved in it and the tokenizer saved beside it
 * ({@value DataPrep#TOKENIZER}), the same way {@code flywheel sample} reads one.
 */
public final class CheckpointSampler {

    private CheckpointSampler() {
    }

    /** What the text is and how it was drawn. */
    public record Sample(String prompt, String continuation, int tokens, double temperature, int topK, long seed) {}

    /**
     * Continues {@code prompt} by {@code tokens} tokens.
     *
     * @throws CheckpointException when the checkpoint or its tokenizer is missing or does not match
     * @throws IllegalArgumentException when the prompt encodes to nothing with the checkpoint's tokenizer
     */
    public static Sample sample(Path checkpoint, String prompt, int tokens, double temperature, int topK, long seed, int threads) {
        var tok = tokenizer(checkpoint);
        try (var pool = new Parallel(threads)) {
            var model = Checkpoint.load(checkpoint, pool).model();
            int[] ids = tok.encode(prompt);
            if (ids.length == 0)
                throw new IllegalArgumentException("the prompt encodes to no tokens with this run's tokenizer; give a prompt "
                        + "with characters of the training text");
            for (int id : ids)
                if (id >= model.config().vocabSize())
                    throw new CheckpointException("the tokenizer beside " + checkpoint + " does not match its model");
            int[] out = new Sampler(model).generate(ids, tokens, temperature, topK, seed);
            var all = tok.decode(out);
            var start = tok.decode(ids);
            var continuation = all.startsWith(start) ? all.substring(start.length()) : all;
            return new Sample(prompt, continuation, tokens, temperature, topK, seed);
        }
    }

    static Tokenizer tokenizer(Path checkpoint) {
        if (!Files.isDirectory(checkpoint))
            throw new CheckpointException("no checkpoint at " + checkpoint + " (expected a directory written by a run)");
        Path file = checkpoint.resolve(DataPrep.TOKENIZER);
        if (!Files.isRegularFile(file))
            throw new CheckpointException(checkpoint + " has no tokenizer (" + file.getFileName() + ") beside its model");
        return Tokenizer.load(file);
    }
}
