package dev.flywheel.app;

import dev.flywheel.data.Progress;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RecipeRunner;
import dev.flywheel.lab.run.RunSpec;
import dev.flywheel.lab.run.RunStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** Trains one model: a recipe from defaults, a file and flags; live progress; evaluation; a checkpoint; a sample. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a GPT on a corpus and write a checkpoint.",
                "With no flags: two minutes of a small byte-level model on the running JDK's own sources, then a sample."})
final class TrainCommand implements Callable<Integer> {

    /** The no-flag run: small, byte-level, on data every Java user has. */
    static Recipe defaults() {
        return Recipe.defaults().with(Map.of("data.tokenizer", "byte", "model.seq", 128, "batch.size", 16,
                "budget", Map.of("kind", "seconds", "amount", 120), "schedule.warmup", 50,
                "optimizer.lr", 0.002, "optimizer.min_lr", 0.0002));
    }

    @Mixin
    RecipeOptions recipe;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: LAB/runs/train-TIMESTAMP).")
    Path out;
    @Option(names = "--lab", paramLabel = "DIR", description = "Lab directory holding runs and the data cache "
            + "(default: $FLYWHEEL_LAB or ./flywheel-lab).")
    Path lab;
    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint.")
    boolean resume;
    @Option(names = "--threads", converter = Numbers.PositiveInt.class, description = "Worker threads (default: all processors).")
    Integer threads;
    @Option(names = "--sample-tokens", converter = Numbers.NonNegativeInt.class, defaultValue = "300", description = "Tokens to sample at the end (0 = none; default ${DEFAULT-VALUE}).")
    int sampleTokens;
    @Option(names = "--prompt", description = "Prompt of the final sample (default: a newline).")
    String prompt;
    @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
    boolean json;

    @Override
    public Integer call() {
        var o = new Output(json);
        var r = recipe.build(defaults());
        var labDir = Lab.at(lab);
        if (resume && out == null) throw new IllegalArgumentException("--resume needs --out DIR naming the run to continue");
        Path runDir = out != null ? out
                : labDir.runs().resolve("train-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        var spec = new RunSpec(runDir.getFileName().toString(), r, runDir, labDir.cache(), nThreads, resume, false, 60);
        var progress = new RunProgress(o.human()) {
            @Override
            public void onStart(RunInfo info) {
                r.write(mkdirs(runDir).resolve("recipe.json")); // once the data is known to be usable
                super.onStart(info);
            }
        };
        o.say("training %s (recipe %s) into %s", r.data().source(), r.hash(), runDir);
        var result = r.trainer().engine() ? RecipeRunner.run(spec, progress, dataProgress(o)) : external(spec, o);
        progress.endLine();
        if (result.status() == RunStatus.CRASHED) {
            throw new IllegalStateException("the run crashed: " + result.error());
        }
        o.say("%s after %d steps, %.0f s of training (%,.0f tokens/s): val loss %.4f, %.4f bits per byte, train loss %.4f",
                result.status().id(), result.steps(), result.trainSeconds(), result.tokensPerSecond(), result.valLoss(),
                result.valBpb(), result.trainLoss());
        String sample = null;
        if (result.checkpoint() != null) {
            o.say("checkpoint: %s", result.checkpoint());
            if (sampleTokens > 0) {
                sample = Sampling.sample(result.checkpoint(), prompt == null ? "\n" : prompt, sampleTokens, 0.8, 40, 1, nThreads);
                o.say("--- sample ---%n%s%n--------------", sample);
            }
        }
        var j = new LinkedHashMap<String, Object>();
        j.put("status", result.status().id());
        j.put("val_loss", result.valLoss());
        j.put("val_bpb", result.valBpb());
        j.put("train_loss", result.trainLoss());
        j.put("steps", result.steps());
        j.put("tokens", result.tokens());
        j.put("seconds", Output.round(result.trainSeconds(), 3));
        j.put("wall_seconds", Output.round(result.wallSeconds(), 3));
        j.put("tokens_per_s", Output.round(result.tokensPerSecond(), 1));
        j.put("params", result.params());
        j.put("checkpoint", result.checkpoint() == null ? null : result.checkpoint().toString());
        j.put("run_dir", runDir.toString());
        j.put("recipe_hash", r.hash());
        j.put("events", result.events().size());
        if (sample != null) j.put("sample", sample);
        o.result(j);
        return result.status() == RunStatus.DIVERGED ? 1 : 0;
    }

    /** A recipe with a trainer.command: its trainer runs under the protocol (docs/trainer-protocol.md), this process watching. */
    private static dev.flywheel.lab.run.RunResult external(RunSpec spec, Output o) {
        o.say("trainer: %s (its output: %s)", String.join(" ", spec.recipe().trainer().commandLine()),
                spec.runDir().resolve("run.log"));
        var job = new dev.flywheel.lab.exec.RunJob(spec.runId(), spec.recipe(), spec.runDir(), spec.cache().root(),
                spec.threads(), spec.resume(), false, 0, null, null);
        var executor = new dev.flywheel.lab.exec.ExternalExecutor(new dev.flywheel.lab.exec.InProcessExecutor(null, 0), null);
        return executor.execute(job, dev.flywheel.lab.exec.RunWatcher.NONE);
    }

    static Path mkdirs(Path dir) {
        try {
            java.nio.file.Files.createDirectories(dir);
            return dir;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot create " + dir + ": " + e.getMessage());
        }
    }

    /** Data preparation progress: a bar on a terminal, one line per stage otherwise. */
    static Progress dataProgress(Output o) {
        if (DataCommand.showProgress()) return new DataCommand.BarProgress(true);
        return new Progress() {
            @Override
            public void begin(String task, long total, String unit) {
                o.human().println("data: " + task + " ...");
            }

            @Override
            public void update(long done) {}

            @Override
            public void end() {}
        };
    }
}
