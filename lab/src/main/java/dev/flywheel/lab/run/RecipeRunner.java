package dev.flywheel.lab.run;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.flywheel.data.Progress;
import dev.flywheel.data.Split;
import dev.flywheel.data.loader.TokenLoader;
import dev.flywheel.data.prep.PrepSettings;
import dev.flywheel.data.prep.PreparedData;
import dev.flywheel.data.tokenizer.Tokenizer;
import dev.flywheel.engine.AtomicFiles;
import dev.flywheel.engine.BatchSource;
import dev.flywheel.engine.Checkpoint;
import dev.flywheel.engine.Evaluator;
import dev.flywheel.engine.Gpt;
import dev.flywheel.engine.LrSchedule;
import dev.flywheel.engine.ModelConfig;
import dev.flywheel.engine.OptimizerConfig;
import dev.flywheel.engine.Parallel;
import dev.flywheel.engine.TrainConfig;
import dev.flywheel.engine.Trainer;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.recipe.Recipe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import dev.flywheel.lab.guard.DocumentLocator;
import dev.flywheel.lab.guard.Guard;
import dev.flywheel.lab.guard.Injector;

/**
 * Runs one recipe end to end, in this process: prepares (or reuses) its data, builds the model, trains it under
 * its budget, evaluates it and writes its checkpoint. Both {@code flywheel train} and the lab's executors run
 * recipes through here, so a recipe means the same thing everywhere.
 *
 * <p>Evaluation is over the {@link Yardstick}: {@code eval.tokens} fixed tokens of the validation split (and the same
 * of the test split), so every run of a study is measured on the same bytes, whatever its context, batch or seed.
 */
public final class RecipeRunner {

    /** The run's event log in its directory. */
    public static final String EVENTS = "events.jsonl";

    /** Curve points kept per run (older points are thinned out as the run goes). */
    static final int CURVE_POINTS = 256;

    private RecipeRunner() {}

    /** How the data section of a recipe maps to the data pipeline's settings. */
    public static PrepSettings prepSettings(Recipe.Data data) {
        var kind = Tokenizer.Kind.parse(data.tokenizer().id());
        var s = data.split() == Recipe.Data.Split.CONTIGUOUS ? PrepSettings.nanoGptChar().withTokenizer(kind)
                : PrepSettings.defaults().withTokenizer(kind);
        return kind == Tokenizer.Kind.BPE ? s.withVocabSize(data.vocab()) : s;
    }

    public static TrainConfig trainConfig(Recipe r) {
        var o = r.optimizer();
        var opt = new OptimizerConfig(o.name() == Recipe.Optimizer.Algorithm.MUON ? OptimizerConfig.Kind.MUON
                : OptimizerConfig.Kind.ADAMW, (float) o.lr(), (float) (o.minLr() / o.lr()), (float) o.beta1(),
                (float) o.beta2(), (float) o.eps(), (float) o.weightDecay(), (float) o.gradClip(), (float) o.muonLr(),
                (float) o.muonMomentum());
        var s = r.schedule();
        var schedule = LrSchedule.parse(s.kind().id(), s.warmup(), s.decayFraction(), o.minLr() / o.lr());
        return new TrainConfig(r.batch().size(), r.model().seq(), r.batch().accum(), opt, schedule,
                r.runBudget().toEngine(), r.eval().every(), 1, r.seed());
    }

    /** Prepares (or reuses) a recipe's data. */
    public static PreparedData prepare(RunSpec spec, Progress progress) {
        var data = spec.recipe().data();
        return spec.cache().prepare(data.source(), prepSettings(data), progress).data();
    }

    /** The fixed tokens of {@code split} a recipe is scored on. */
    public static Yardstick yardstick(Recipe recipe, TokenLoader split) {
        return Yardstick.of(split, recipe.eval().tokens(), recipe.model().seq());
    }

    /** Runs the spec and returns its result; errors the user must fix (bad data, bad recipe) are thrown. */
    public static RunResult run(RunSpec spec, RunListener listener) {
        return run(spec, listener, Progress.none());
    }

    public static RunResult run(RunSpec spec, RunListener listener, Progress dataProgress) {
        long wall0 = System.nanoTime();
        var recipe = spec.recipe();
        PreparedData data = prepare(spec, dataProgress);
        var tokenizer = data.tokenizer();
        ModelConfig cfg = recipe.modelConfig(tokenizer.vocabSize());
        TrainConfig tc = trainConfig(recipe);
        if (data.tokens(Split.TRAIN) <= tc.seq() + 1) {
            throw new dev.flywheel.lab.LabException("the training split of " + recipe.data().source() + " has only "
                    + data.tokens(Split.TRAIN) + " tokens, too few for sequences of " + tc.seq() + "; use more data or a shorter model.seq");
        }
        var events = new ArrayList<RunEvent>();
        var curve = new ArrayList<RunResult.CurvePoint>();
        try (var pool = new Parallel(spec.threads())) {
            Gpt model;
            Checkpoint.Loaded resumed = null;
            Path ck = spec.checkpointDir();
            // no checkpoint yet, or one that load and restoreTrainer would refuse: the run starts from step 0
            if (spec.resume() && Checkpoint.resumableStep(ck).isPresent()) {
                resumed = Checkpoint.load(ck, pool);
                model = resumed.model();
                if (!model.config().equals(cfg)) {
                    throw new IllegalStateException("the checkpoint in " + ck + " is of another model than the recipe");
                }
            } else {
                model = new Gpt(cfg, pool);
                model.initialize(recipe.seed());
            }
            var train = data.loader(Split.TRAIN, recipe.seed());
            var val = data.loader(Split.VAL, 0);
            int[] tokenBytes = tokenizer.tokenBytes();
            DocumentLocator locator = (dataStep, micro, row, position, seq) -> {
                var origin = train.origin(dataStep, micro, row, position, seq);
                return new DocumentLocator.Origin(origin.documentId(), origin.snippet());
            };
            var eventLog = spec.runDir().resolve(EVENTS);
            Consumer<RunEvent> sink = e -> {
                events.add(e);
                appendEvent(eventLog, e);
                listener.onEvent(e);
            };
            var injector = recipe.inject().isEmpty() ? null
                    : new Injector(recipe.injections(), tc, locator, cfg.vocabSize(), sink);
            var trainer = new Trainer(model, tc, injector == null ? train : injector.wrap(train), null, tokenBytes);
            if (resumed != null && resumed.adamM() != null) Checkpoint.restoreTrainer(resumed, trainer);
            var guard = new Guard(recipe.guard(), trainer, locator, sink);
            trainer.setHooks(injector == null ? guard : Trainer.Hooks.chain(injector, guard));
            var yardstick = yardstick(recipe, val);
            var evaluator = yardstick.evaluator(model, tokenBytes);
            listener.onStart(new RunListener.RunInfo(spec.runId(), model.parameterCount(), cfg.vocabSize(),
                    tokenizer.describe(), data.tokens(Split.TRAIN), data.tokens(Split.VAL), tc.tokensPerStep(),
                    tc.budget().toString(), data.directory().toString()));

            var telemetry = new Telemetry(spec.runDir(), model.layout().tensors(), cfg.layers(), resumed != null);
            RunStatus status = RunStatus.FINISHED;
            String error = null;
            double lastCheckpoint = System.nanoTime() / 1e9;
            double recentLoss = Double.NaN;
            try {
                while (!trainer.budgetSpent()) {
                    var stats = trainer.step();
                    telemetry.record(stats);
                    listener.onStep(stats);
                    recentLoss = Double.isNaN(recentLoss) ? stats.loss() : 0.9 * recentLoss + 0.1 * stats.loss();
                    addCurvePoint(curve, new RunResult.CurvePoint(stats.step(), stats.progress(), stats.loss(),
                            stats.lr(), stats.gradNorm()));
                    if (!Float.isFinite(stats.loss()) && stats.updated()) {
                        // nothing kept the non-finite values out of the weights: the run cannot recover
                        status = RunStatus.DIVERGED;
                        sink.accept(new RunEvent(stats.step(), EventKind.DIVERGENCE, "non-finite-loss",
                                Map.of("loss", (double) stats.loss()), EventAction.ABORT,
                                "the loss became " + stats.loss() + " and the update went into the weights"));
                        break;
                    }
                    if (guard.aborted()) {
                        status = RunStatus.DIVERGED;
                        break;
                    }
                    if (tc.evalEvery() > 0 && trainer.currentStep() % tc.evalEvery() == 0 && !trainer.budgetSpent()) {
                        listener.onEval(yardstick.score(evaluator, trainer.currentStep()).result());
                    }
                    double now = System.nanoTime() / 1e9;
                    if (spec.checkpointEverySeconds() > 0 && now - lastCheckpoint >= spec.checkpointEverySeconds()) {
                        listener.onCheckpoint(trainer.currentStep());
                        save(spec, model, trainer, data);
                        lastCheckpoint = now;
                    }
                    if (listener.stopEarly(stats)) {
                        status = RunStatus.STOPPED;
                        sink.accept(new RunEvent(stats.step(), EventKind.EARLY_STOP, "successive-halving",
                                Map.of("progress", stats.progress(), "train_loss", stats.loss()), EventAction.STOP,
                                "stopped early: the learning curve is clearly behind the best run's"));
                        break;
                    }
                }
            } catch (OutOfMemoryError oom) {
                status = RunStatus.CRASHED;
                error = "out of memory at step " + trainer.currentStep() + ": the model or batch is too large for the heap";
            }
            telemetry.close();
            var summary = new LinkedHashMap<String, Object>();
            if (Double.isFinite(telemetry.maxAttentionLogit())) summary.put("max_attention_logit", telemetry.maxAttentionLogit());
            if (!summary.isEmpty()) writeSummary(spec.runDir(), summary);
            double valLoss = Double.NaN, valBpb = Double.NaN, testBpb = Double.NaN;
            if (status == RunStatus.FINISHED || status == RunStatus.STOPPED) {
                var score = yardstick.score(evaluator, trainer.currentStep());
                var ev = score.result();
                listener.onEval(ev);
                valLoss = ev.loss();
                valBpb = ev.bitsPerByte();
                var facts = new LinkedHashMap<String, Object>();
                facts.put("val_tokens", ev.tokens());
                facts.put("val_bytes", ev.bytes());
                facts.put("val_bpb_stderr", score.bpbStdErr());
                if (spec.evalTest() && data.tokens(Split.TEST) > 1) {
                    var test = yardstick(recipe, data.loader(Split.TEST, 0));
                    testBpb = test.score(test.evaluator(model, tokenBytes), trainer.currentStep()).bitsPerByte();
                }
                summary.putAll(facts);
                writeSummary(spec.runDir(), summary);
                save(spec, model, trainer, data);
            }
            double wall = (System.nanoTime() - wall0) / 1e9;
            double tokS = trainer.trainSeconds() > 0 ? trainer.tokens() / trainer.trainSeconds() : Double.NaN;
            return new RunResult(spec.runId(), status, valLoss, valBpb, testBpb, recentLoss, trainer.currentStep(),
                    trainer.tokens(), trainer.trainSeconds(), wall, model.parameterCount(), tokS,
                    status == RunStatus.FINISHED || status == RunStatus.STOPPED ? spec.checkpointDir() : null, error,
                    List.copyOf(curve), List.copyOf(events));
        }
    }

    private static void save(RunSpec spec, Gpt model, Trainer trainer, PreparedData data) {
        var extra = new LinkedHashMap<String, Object>();
        extra.put("run_id", spec.runId());
        extra.put("recipe_hash", spec.recipe().hash());
        extra.put("recipe", Json.MAPPER.convertValue(spec.recipe(), new TypeReference<Map<String, Object>>() {}));
        extra.put("data_dir", data.directory().toAbsolutePath().toString());
        extra.put("tokenizer", dev.flywheel.data.prep.DataPrep.TOKENIZER);
        // the tokenizer travels with the checkpoint, so sampling and evaluation need nothing else
        var files = new LinkedHashMap<String, Path>();
        for (String name : List.of(dev.flywheel.data.prep.DataPrep.TOKENIZER, dev.flywheel.data.prep.DataPrep.HF_TOKENIZER)) {
            Path f = data.directory().resolve(name);
            if (Files.isRegularFile(f)) files.put(name, f);
        }
        Checkpoint.save(spec.checkpointDir(), model, trainer, extra, files);
    }

    /** Run-level facts beside the checkpoint (summary.json), for tools that read run directories. */
    static void writeSummary(Path runDir, Map<String, Object> facts) {
        try {
            AtomicFiles.writeString(runDir.resolve("summary.json"), Json.MAPPER.writeValueAsString(facts));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + runDir.resolve("summary.json"), e);
        }
    }

    /** Appends one event to the run's event log (JSON lines), flushed, so doctor can read it without the store. */
    public static void appendEvent(Path file, RunEvent e) {
        try {
            Files.createDirectories(file.getParent());
            String line = Json.MAPPER.writeValueAsString(e) + "\n";
            Files.writeString(file, line, java.nio.charset.StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND, java.nio.file.StandardOpenOption.SYNC);
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException("cannot write " + file, ex);
        }
    }

    /** Reads a run's event log; a torn last line (a crash mid-write) is ignored. See {@link EventLog} for the damage. */
    public static List<RunEvent> readEvents(Path file) {
        return EventLog.read(file).events();
    }

    /** Keeps at most CURVE_POINTS points by dropping every other one when full: an even thinning over the run. */
    public static void addCurvePoint(List<RunResult.CurvePoint> curve, RunResult.CurvePoint p) {
        if (curve.size() >= CURVE_POINTS) {
            var kept = new ArrayList<RunResult.CurvePoint>(CURVE_POINTS);
            for (int i = 0; i < curve.size(); i += 2) kept.add(curve.get(i));
            curve.clear();
            curve.addAll(kept);
        }
        // after thinning, keep the sampling interval even by taking only points on the current stride
        int stride = curve.size() < 2 ? 1 : (int) Math.max(1, curve.get(1).step() - curve.get(0).step());
        if (curve.isEmpty() || p.step() % stride == 0) curve.add(p);
    }
}
