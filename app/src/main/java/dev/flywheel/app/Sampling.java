package dev.flywheel.app;

import dev.flywheel.data.tokenizer.Tokenizer;
import dev.flywheel.engine.Checkpoint;
import dev.flywheel.engine.CheckpointException;
import dev.flywheel.engine.Parallel;
import dev.flywheel.engine.Sampler;

import java.nio.file.Files;
import java.nio.file.Path;

/** Text from a checkpoint: its tokenizer (saved beside it) and its model. */
final class Sampling {

    private Sampling() {}

    static Tokenizer tokenizer(Path checkpoint) {
        if (!Files.isDirectory(checkpoint)) {
            throw new CheckpointException("no checkpoint at " + checkpoint + " (expected a directory written by flywheel train or a study)");
        }
        Path file = checkpoint.resolve(dev.flywheel.data.prep.DataPrep.TOKENIZER);
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(checkpoint + " has no tokenizer (" + file.getFileName()
                    + "); it was not written by flywheel train or a study");
        }
        return Tokenizer.load(file);
    }

    static String sample(Path checkpoint, String prompt, int tokens, double temperature, int topK, long seed, int threads) {
        var tok = tokenizer(checkpoint);
        try (var pool = new Parallel(threads)) {
            var model = Checkpoint.load(checkpoint, pool).model();
            int[] ids = tok.encode(prompt);
            if (ids.length == 0) {
                throw new IllegalArgumentException("the prompt encodes to no tokens with this checkpoint's tokenizer; give a --prompt with characters it knows");
            }
            for (int id : ids) {
                if (id >= model.config().vocabSize()) throw new CheckpointException("the tokenizer beside " + checkpoint + " does not match its model");
            }
            int[] out = new Sampler(model).generate(ids, tokens, temperature, topK, seed);
            return tok.decode(out);
        }
    }
}
