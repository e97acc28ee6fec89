package dev.flywheel.lab.exec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flywheel.data.Split;
import dev.flywheel.data.prep.PreparedData;
import dev.flywheel.data.shard.Shard;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.Yardstick;

import java.io.File;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How an external trainer is started (docs/trainer-protocol.md): its command line, the files it finds in its run
 * directory ({@code recipe.json}, {@code data.json}) and its environment. The environment is this process's, less
 * anything that looks like a secret — an API key in the lab's environment must not reach a trainer's logs — plus
 * the protocol's {@code FLYWHEEL_*} variables.
 */
public final class TrainerLaunch {

    public static final String METRICS = "metrics.jsonl", SUMMARY = "summary.json", CONTROL = "control.jsonl",
            STOP = "STOP", RECIPE = "recipe.json", DATA = "data.json", LOG = "run.log";

    /** Variable names never passed on: keys, tokens, passwords, credentials. */
    static final Pattern SECRET = Pattern.compile("(?i).*(KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH).*");

    private TrainerLaunch() {
    }

    /**
     * How this start differs from a first one.
     *
     * @param resume   continue from what the trainer saved (FLYWHEEL_RESUME=1)
     * @param evalTest also score the test split (FLYWHEEL_EVAL_TEST=1)
     * @param threads  the CPU threads the run may use (FLYWHEEL_THREADS)
     */
    public record Start(boolean resume, boolean evalTest, int threads) {}

    /** Writes recipe.json and data.json into {@code runDir} and returns the process to start (not started). */
    public static ProcessBuilder prepare(Recipe recipe, PreparedData data, Path runDir, Start start) {
        var recipeFile = runDir.resolve(RECIPE);
        Files2.writeAtomically(recipeFile, recipe.toJson() + "\n");
        var dataFile = runDir.resolve(DATA);
        Files2.writeAtomically(dataFile, describe(recipe, data));
        var pb = new ProcessBuilder(resolved(recipe.trainer().commandLine())).directory(runDir.toFile());
        var env = pb.environment();
        var kept = environment(Map.copyOf(env), variables(recipe, data, runDir, start));
        env.clear();
        env.putAll(kept);
        var log = runDir.resolve(LOG).toFile();
        return pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log));
    }

    /**
     * The command line with each word that names an existing file relative to this process's directory made absolute:
     * the trainer starts in its run directory, but "python3 trainers/torch/train.py" means the file next to the user.
     */
    static List<String> resolved(List<String> words) {
        return words.stream().map(w -> {
            if (w.startsWith("-") || w.isEmpty()) return w;
            try {
                var p = Path.of(w);
                return !p.isAbsolute() && w.contains(File.separator) && java.nio.file.Files.exists(p) ? p.toAbsolutePath().toString() : w;
            } catch (java.nio.file.InvalidPathException e) {
                return w;
            }
        }).toList();
    }

    /** The trainer's environment: {@code inherited} less what looks like a secret, plus the protocol's variables. */
    static Map<String, String> environment(Map<String, String> inherited, Map<String, String> protocol) {
        var env = new java.util.TreeMap<String, String>();
        inherited.forEach((k, v) -> {
            if (!SECRET.matcher(k).matches()) env.put(k, v);
        });
        env.putAll(protocol);
        return env;
    }

    /** The protocol's environment variables. */
    static Map<String, String> variables(Recipe recipe, PreparedData data, Path runDir, Start start) {
        var env = new LinkedHashMap<String, String>();
        env.put("FLYWHEEL_RUN_DIR", runDir.toString());
        env.put("FLYWHEEL_RECIPE", runDir.resolve(RECIPE).toString());
        env.put("FLYWHEEL_DATA", runDir.resolve(DATA).toString());
        env.put("FLYWHEEL_SEED", Long.toString(recipe.seed()));
        env.put("FLYWHEEL_BUDGET", budget(recipe));
        env.put("FLYWHEEL_TRAIN_DATA", paths(data.shards(Split.TRAIN)));
        env.put("FLYWHEEL_VAL_DATA", paths(data.shards(Split.VAL)));
        env.put("FLYWHEEL_TEST_DATA", paths(data.shards(Split.TEST)));
        env.put("FLYWHEEL_THREADS", Integer.toString(start.threads()));
        if (start.resume()) env.put("FLYWHEEL_RESUME", "1");
        if (start.evalTest()) env.put("FLYWHEEL_EVAL_TEST", "1");
        env.put("PYTHONUNBUFFERED", "1"); // a Python trainer's prints reach run.log as they happen
        return env;
    }

    /** The run budget in the recipe's own notation without spaces: 400steps, 250000tokens, 60seconds, 1e15flops. */
    static String budget(Recipe recipe) {
        var b = recipe.budget();
        return dev.flywheel.lab.recipe.Values.format(b.kind() == Recipe.Budget.Kind.FLOPS ? (Object) b.amount()
                : (Object) (long) b.amount()) + b.kind().id();
    }

    private static String paths(List<Shard> shards) {
        return shards.stream().map(s -> s.file().toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator));
    }

    /**
     * data.json: the shards of each split (path, offset of the token ids, count), their dtype, the bytes of every
     * token (for bits per byte) and the yardstick's spans of the validation and test splits — everything a trainer
     * in any language needs to read the data and score bits per byte as the engine does.
     */
    static String describe(Recipe recipe, PreparedData data) {
        ObjectNode j = Json.MAPPER.createObjectNode();
        int vocab = data.tokenizer().vocabSize();
        j.put("vocab_size", vocab);
        j.put("dtype", dev.flywheel.data.shard.ShardFormat.tokenWidth(vocab) == 2 ? "uint16" : "uint32");
        j.put("byte_order", "little");
        for (var split : Split.values()) {
            var arr = j.putArray(split.label());
            for (var s : data.shards(split))
                arr.addObject().put("path", s.file().toAbsolutePath().toString()).put("offset", s.tokensOffset())
                        .put("tokens", s.tokenCount());
        }
        var bytes = j.putArray("token_bytes");
        for (int b : data.tokenizer().tokenBytes()) bytes.add(b);
        j.put("eval_tokens", recipe.eval().tokens());
        for (var split : List.of(Split.VAL, Split.TEST)) {
            long n = data.tokens(split);
            var arr = j.putArray(split.label() + "_spans");
            if (n > 1)
                for (var span : Yardstick.spans(n, recipe.eval().tokens())) arr.addArray().add(span.start()).add(span.length());
        }
        return Json.write(j);
    }
}
