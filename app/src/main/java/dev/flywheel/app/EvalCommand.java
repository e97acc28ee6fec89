package dev.flywheel.app;

import dev.flywheel.data.Split;
import dev.flywheel.data.prep.PreparedData;
import dev.flywheel.engine.Checkpoint;
import dev.flywheel.engine.Parallel;
import dev.flywheel.lab.run.Yardstick;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.concurrent.Callable;

/**
 * Validation loss and bits per byte of a checkpoint on some text: a prepared data directory (its validation
 * split, which must use the checkpoint's tokenizer) or a text file (encoded with the checkpoint's tokenizer).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a checkpoint: validation loss and bits per byte on a text file or a prepared data directory.")
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "A checkpoint directory.")
    Path checkpoint;
    @Option(names = "--data", paramLabel = "PATH", description = "A text file, or a prepared data directory "
            + "(default: the data the checkpoint was trained on).")
    Path data;
    @Option(names = "--tokens", converter = Numbers.PositiveLong.class, defaultValue = "131072", description = "Tokens to score, in spans of 1024 spread over "
            + "the text (all of it if it has fewer), the same whatever the model's context: a study's yardstick "
            + "(default: ${DEFAULT-VALUE}, a recipe's eval.tokens).")
    long tokens;
    @Option(names = "--threads", converter = Numbers.PositiveInt.class, description = "Worker threads (default: all processors).")
    Integer threads;
    @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        var o = new Output(json);
        var tok = Sampling.tokenizer(checkpoint);
        try (var pool = new Parallel(threads != null ? threads : Runtime.getRuntime().availableProcessors())) {
            var loaded = Checkpoint.load(checkpoint, pool);
            var model = loaded.model();
            int seq = model.config().seqLen();
            Path source = data;
            if (source == null) {
                Object dir = loaded.trainerState() == null ? null : loaded.trainerState().get("data_dir");
                if (dir == null) throw new IllegalArgumentException("the checkpoint does not say what data it was trained on; give --data PATH");
                source = Path.of(dir.toString());
            }
            Yardstick.Tokens text;
            if (Files.isDirectory(source)) {
                var prepared = PreparedData.open(source);
                if (!prepared.tokenizer().hash().equals(tok.hash())) {
                    throw new IllegalArgumentException(source + " was prepared with another tokenizer than the checkpoint's; "
                            + "evaluate on a text file instead, which is encoded with the checkpoint's tokenizer");
                }
                var val = prepared.loader(Split.VAL, 0);
                if (val.tokenCount() < 2)
                    throw new IllegalArgumentException(source + " has no validation tokens to score; give a text file");
                text = Yardstick.Tokens.of(val);
            } else if (Files.isRegularFile(source)) {
                byte[] bytes = Files.readAllBytes(source);
                if (bytes.length == 0) throw new IllegalArgumentException(source + " is empty; give a file with text to evaluate on");
                var check = StandardCharsets.UTF_8.newDecoder();
                try {
                    check.decode(java.nio.ByteBuffer.wrap(bytes));
                } catch (java.nio.charset.CharacterCodingException e) {
                    throw new IllegalArgumentException(source + " is not UTF-8 text; convert it to UTF-8 or give a prepared data directory");
                }
                int[] ids = tok.encode(bytes);
                if (ids.length < 2) {
                    throw new IllegalArgumentException(source + " has " + ids.length + " token, nothing to predict; give more text");
                }
                text = Yardstick.Tokens.of(ids);
            } else {
                throw new IllegalArgumentException("no such file or directory: " + source);
            }
            var yardstick = Yardstick.of(text, tokens, seq);
            var score = yardstick.score(yardstick.evaluator(model, tok.tokenBytes()), 0);
            var ev = score.result();
            o.say("%s on %s: val loss %.4f, %.4f ± %.4f bits per byte over %,d tokens (%,d bytes)", checkpoint, source,
                    ev.loss(), ev.bitsPerByte(), score.bpbStdErr(), ev.tokens(), ev.bytes());
            var j = new LinkedHashMap<String, Object>();
            j.put("val_loss", ev.loss());
            j.put("val_bpb", ev.bitsPerByte());
            j.put("val_bpb_stderr", score.bpbStdErr());
            j.put("tokens", ev.tokens());
            j.put("bytes", ev.bytes());
            j.put("checkpoint", checkpoint.toString());
            j.put("data", source.toString());
            o.result(j);
        }
        return 0;
    }
}
