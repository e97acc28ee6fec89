package dev.flywheel.lab.recipe;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.flywheel.engine.ModelConfig;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.recipe.RecipeException.Problem;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one training run needs, as one immutable value: data, model, optimizer, schedule, batch, budget,
 * seed, evaluation, guard policy and injected faults. Its canonical JSON's SHA-256 is its identity
 * ({@link #hash()}), and two recipes can be diffed ({@link #diff}).
 *
 * <p>Every value is checked when the recipe is built, so a recipe that exists is one the engine can run; the
 * checks throw {@link RecipeException} with the dotted path and the fix. JSON is snake_case; a missing key
 * takes its default, so adding a setting (a component here plus its default in {@link #defaults()}) keeps
 * every older recipe file readable.
 *
 * <pre>{@code
 * var recipe = Recipe.read(Path.of("run.json"));            // or Recipe.defaults()
 * var faster = recipe.with(Map.of("optimizer.lr", 0.002));   // unrestricted edit; a study uses SearchSpace.apply
 * Recipe.diff(recipe, faster);                              // ["optimizer.lr: 0.001 → 0.002"]
 * faster.hash();                                            // "3f9c0a12b4de"
 * }</pre>
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Recipe(Data data, Model model, Optimizer optimizer, Schedule schedule, Batch batch, Budget budget,
                     long seed, Eval eval, Guard guard, List<String> inject, TrainerSpec trainer) {

    /** A closed set of named variants; the id is what the JSON, the brief and the search space spell. */
    public interface Choice {
        String id();
    }

    public Recipe {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(batch, "batch");
        Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(eval, "eval");
        Objects.requireNonNull(guard, "guard");
        inject = List.copyOf(inject == null ? List.of() : inject);
        trainer = trainer == null ? TrainerSpec.ENGINE : trainer;
        var problems = new ArrayList<Problem>();
        for (int i = 0; i < inject.size(); i++) {
            try {
                Injection.parse(inject.get(i));
            } catch (LabException e) {
                problems.add(new Problem("inject", "inject[" + i + "]: " + e.getMessage()));
            }
        }
        // Rules between settings carry the section (or "") as their path, not one setting's: the problem is the
        // combination. The engine's own constructor holds the cross-field rules (dim divisible by heads, even RoPE head
        // size, ...), so a recipe and a model can never disagree about what is buildable.
        try {
            model.toModelConfig(data.vocab());
        } catch (IllegalArgumentException e) {
            problems.add(new Problem("model", "model: " + e.getMessage()));
        }
        if (optimizer.minLr() > optimizer.lr())
            problems.add(new Problem("optimizer", "optimizer.min_lr " + Values.format(optimizer.minLr())
                    + " is above optimizer.lr " + Values.format(optimizer.lr())
                    + "; the schedule decays towards min_lr, so lower it (a tenth of lr is usual)"));
        if (!problems.isEmpty()) throw new RecipeException(problems);
    }

    private static final Recipe DEFAULTS = new Recipe(Data.DEFAULT, Model.DEFAULT, Optimizer.DEFAULT, Schedule.DEFAULT,
            Batch.DEFAULT, Budget.DEFAULT, 1337, Eval.DEFAULT, Guard.DEFAULT, List.of(), TrainerSpec.ENGINE);

    /** The starting recipe: a 4-layer, 128-wide GPT on the JDK's sources, 250k tokens of AdamW. */
    public static Recipe defaults() {
        return DEFAULTS;
    }

    // ---- reading, writing, identity -------------------------------------------------------------------------

    /** Reads a recipe file; missing keys take their defaults. */
    public static Recipe read(Path file) {
        return RecipeJson.read(file);
    }

    /** Parses recipe JSON; {@code source} names the input in error messages (a file name, "--recipe", ...). */
    public static Recipe parse(String json, String source) {
        return RecipeJson.parse(json, source);
    }

    /** Writes {@link #toJson()} to {@code file} through a temporary file and a rename, so a reader never sees half. */
    public void write(Path file) {
        RecipeJson.write(this, file);
    }

    /** Pretty JSON in the documented section order, for files, the journal and people. */
    public String toJson() {
        return RecipeJson.pretty(this);
    }

    /** Compact JSON with keys sorted and numbers in one fixed format: the bytes {@link #hash()} is taken of. */
    public String canonicalJson() {
        return RecipeJson.canonical(this);
    }

    /** The recipe's identity: the first 12 hex digits of the SHA-256 of {@link #canonicalJson()}. */
    public String hash() {
        return RecipeJson.hash(this);
    }

    // ---- paths ----------------------------------------------------------------------------------------------

    /** The value at a dotted path such as {@code optimizer.lr}: a Long, Double, Boolean, String or List of String. */
    public Object get(String path) {
        var value = flatten().get(path);
        if (value == null) throw RecipeException.of(path, RecipeSchema.unknownPathMessage(path));
        return value;
    }

    /** Every setting as dotted path → value, in the documented order. */
    public Map<String, Object> flatten() {
        return RecipeJson.flatten(this);
    }

    /**
     * A setting renamed since recipes were first written, as the setting it is today — {@code eval.batches: n} is
     * {@code eval.tokens: n × 1024} — or null when {@code path} was not renamed.
     *
     * @throws RecipeException when the old setting's value cannot be carried over
     */
    public static Map.Entry<String, Object> renamed(String path, Object value) {
        return RecipeJson.renamed(path, value);
    }

    /** This recipe with one setting changed (no search-space restrictions; a study applies changes through its search space). */
    public Recipe with(String path, Object value) {
        return with(java.util.Collections.singletonMap(path, value));
    }

    /**
     * This recipe with settings changed, given as dotted paths (nested maps are flattened). Values are coerced
     * as in a recipe file ("0.002" and 2 are numbers; 4.0 is a whole number).
     *
     * @throws RecipeException naming every path that is unknown, mistyped or invalid
     */
    public Recipe with(Map<String, ?> changes) {
        return RecipeJson.apply(this, changes);
    }

    /**
     * What changed from {@code a} to {@code b}, one line per setting in the documented order, like
     * {@code optimizer.lr: 0.001 → 0.002}. Empty when the recipes are equal.
     */
    public static List<String> diff(Recipe a, Recipe b) {
        var before = a.flatten();
        var after = b.flatten();
        var lines = new ArrayList<String>();
        before.forEach((path, old) -> {
            var now = after.get(path);
            if (!Objects.equals(old, now))
                lines.add(path + ": " + Values.format(old) + " → " + Values.format(now));
        });
        // settings only one side has: an external trainer's own (trainer.args.*)
        after.forEach((path, now) -> {
            if (!before.containsKey(path)) lines.add(path + ": " + "unset → " + Values.format(now));
        });
        return List.copyOf(lines);
    }

    // ---- views for the engine and the lab --------------------------------------------------------------------

    /**
     * The engine's model configuration with {@code data.vocab} as the vocabulary — exact for BPE and byte
     * tokenizers, an estimate for the char tokenizer, whose size only the prepared data knows (an executor
     * passes that to {@link #modelConfig(int)}).
     */
    public ModelConfig modelConfig() {
        return model.toModelConfig(data.vocab());
    }

    /** The engine's model configuration for a tokenizer of {@code vocabSize} ids, as the prepared data reports it. */
    public ModelConfig modelConfig(int vocabSize) {
        return model.toModelConfig(vocabSize);
    }

    /** The run budget as a typed value. */
    public RunBudget runBudget() {
        return budget.toRunBudget();
    }

    /** The injected faults, parsed. */
    public List<Injection> injections() {
        return inject.stream().map(Injection::parse).toList();
    }

    /** Tokens one optimizer step consumes: batch size × accumulation × sequence length. */
    public long tokensPerStep() {
        return (long) batch.size() * batch.accum() * model.seq();
    }

    /**
     * Parameters of the model this recipe builds: embeddings, attention and MLP matrices, biases and norm
     * gains, following the architecture the switches describe. An estimate for limits and reports; the
     * engine's own count is the authority.
     */
    public long estimatedParameters() {
        var m = model;
        long c = m.dim(), h = m.mlpHidden(), v = data.vocab(), t = m.seq();
        long norm = m.norm() == Model.Norm.LAYERNORM && m.bias() ? 2 * c : c;
        long b = m.bias() ? 1 : 0;
        long attention = 4 * c * c + b * 4 * c + (m.qkNorm() ? 2L * m.dim() / m.heads() : 0);
        long mlp = m.activation() == Model.Activation.SWIGLU ? 3 * c * h + b * (2 * h + c) : 2 * c * h + b * (h + c);
        long perLayer = 2 * norm + attention + mlp;
        long embeddings = v * c + (m.position() == Model.Position.LEARNED ? t * c : 0);
        long head = m.tiedHead() ? 0 : v * c;
        return embeddings + m.layers() * perLayer + norm + head;
    }

    // ---- sections -------------------------------------------------------------------------------------------

    /**
     * Where the tokens come from, in the data module's terms: a corpus (a named data set such as jdk-src or
     * tinyshakespeare, a path or a URL), a tokenizer (BPE trained here, raw bytes, or nanoGPT's characters),
     * the BPE vocabulary size, and how documents are split into train/val/test. Fixed by a study, since the
     * evaluation data must not move under the researcher.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Data(String source, Tokenizer tokenizer, int vocab, Split split) {

        /** The byte tokenizer's size: 256 bytes and {@code <|endoftext|>}. */
        public static final int BYTE_VOCAB = 257;

        public enum Tokenizer implements Choice {
            BPE, BYTE, CHAR;

            @JsonValue
            public String id() {
                return name().toLowerCase(Locale.ROOT);
            }
        }

        /** hash: each document goes to one split by a hash of its id; contiguous: nanoGPT's cut of the token stream. */
        public enum Split implements Choice {
            HASH, CONTIGUOUS;

            @JsonValue
            public String id() {
                return name().toLowerCase(Locale.ROOT);
            }
        }

        static final Data DEFAULT = new Data("jdk-src", Tokenizer.BPE, 2048, Split.HASH);

        public Data {
            Check.text(source, "data.source", "a corpus name such as jdk-src or tinyshakespeare, a path or a URL");
            Objects.requireNonNull(tokenizer, "data.tokenizer");
            Objects.requireNonNull(split, "data.split");
            // The byte tokenizer has one size; storing it keeps two byte-level recipes from differing (and
            // hashing differently) by a number nothing reads. A char vocabulary is known only once the text is
            // read, so there data.vocab is left as written and the prepared tokenizer's size is used.
            if (tokenizer == Tokenizer.BYTE) vocab = BYTE_VOCAB;
            if (tokenizer == Tokenizer.BPE)
                Check.range(vocab, 257, 1 << 24, "data.vocab", "a BPE vocabulary holds the 256 bytes and <|endoftext|>, plus merges");
            else Check.range(vocab, 2, 1 << 24, "data.vocab", null);
        }
    }

    /** The architecture; each switch is a variant the engine implements with its own forward and backward. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Model(int layers, int heads, int dim, int seq, double mlpRatio, Norm norm, Position position,
                        Activation activation, boolean tiedHead, boolean bias, boolean qkNorm, double zLoss,
                        double attnSoftCap, double ropeTheta) {

        public enum Norm implements Choice {
            LAYERNORM, RMSNORM;

            @JsonValue
            public String id() {
                return name().toLowerCase(Locale.ROOT);
            }
        }

        public enum Position implements Choice {
            LEARNED, ROPE;

            @JsonValue
            public String id() {
                return name().toLowerCase(Locale.ROOT);
            }
        }

        public enum Activation implements Choice {
            GELU, SWIGLU, RELU2;

            @JsonValue
            public String id() {
                return name().toLowerCase(Locale.ROOT);
            }
        }

        static final Model DEFAULT = new Model(4, 4, 128, 128, 4.0, Norm.LAYERNORM, Position.LEARNED, Activation.GELU,
                true, true, false, 0.0, 0.0, 10000.0);

        public Model {
            Check.range(layers, 1, 1024, "model.layers", null);
            Check.range(heads, 1, 1024, "model.heads", null);
            Check.range(dim, 1, 1 << 16, "model.dim", null);
            Check.range(seq, 2, 1 << 16, "model.seq", "a sequence needs at least one input and one target token");
            Check.positive(mlpRatio, "model.mlp_ratio");
            Objects.requireNonNull(norm, "model.norm");
            Objects.requireNonNull(position, "model.position");
            Objects.requireNonNull(activation, "model.activation");
            Check.atLeastZero(zLoss, "model.z_loss", "0 turns the z-loss off");
            Check.atLeastZero(attnSoftCap, "model.attn_soft_cap", "0 turns the soft cap off");
            Check.positive(ropeTheta, "model.rope_theta");
            Check.that(Math.round(mlpRatio * dim) >= 1, "model.mlp_ratio",
                    "model.mlp_ratio " + Values.format(mlpRatio) + " × model.dim " + dim + " rounds to an empty MLP; raise mlp_ratio");
        }

        /** Hidden width of the MLP: round(mlp_ratio · dim). */
        public int mlpHidden() {
            return (int) Math.round(mlpRatio * dim);
        }

        /** The engine's configuration; its constructor enforces the cross-field rules. */
        public ModelConfig toModelConfig(int vocab) {
            return new ModelConfig(vocab, seq, layers, heads, dim, mlpHidden(),
                    ModelConfig.Norm.valueOf(norm.name()), ModelConfig.Position.valueOf(position.name()),
                    ModelConfig.Activation.valueOf(activation.name()), tiedHead, bias, qkNorm,
                    (float) zLoss, (float) attnSoftCap, (float) ropeTheta, 1e-5f);
        }
    }

    /** Muon updates the hidden matrices with muon_lr and muon_momentum; everything else uses the AdamW settings. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Optimizer(Algorithm name, double lr, double minLr, double beta1, double beta2, double eps,
                            double weightDecay, double gradClip, double muonLr, double muonMomentum) {

        public enum Algorithm implements Choice {
            ADAMW, MUON;

            @JsonValue
            public String id() {
                return name().toLowerCase(Locale.ROOT);
            }
        }

        static final Optimizer DEFAULT = new Optimizer(Algorithm.ADAMW, 1e-3, 1e-4, 0.9, 0.99, 1e-8, 0.1, 1.0, 0.02, 0.95);

        public Optimizer {
            Objects.requireNonNull(name, "optimizer.name");
            Check.positive(lr, "optimizer.lr");
            Check.atLeastZero(minLr, "optimizer.min_lr", null);
            Check.unit(beta1, "optimizer.beta1");
            Check.unit(beta2, "optimizer.beta2");
            Check.positive(eps, "optimizer.eps");
            Check.atLeastZero(weightDecay, "optimizer.weight_decay", null);
            Check.atLeastZero(gradClip, "optimizer.grad_clip", "0 turns clipping off");
            Check.positive(muonLr, "optimizer.muon_lr");
            Check.unit(muonMomentum, "optimizer.muon_momentum");
        }
    }

    /**
     * Learning-rate schedule: linear warmup for {@code warmup} steps, then cosine to min_lr (cosine), a stable
     * phase and a linear decay to min_lr over the last {@code decay_fraction} of the run (wsd), or constant.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Schedule(Kind kind, int warmup, double decayFraction) {

        public enum Kind implements Choice {
            COSINE, WSD, CONSTANT;

            @JsonValue
            public String id() {
                return name().toLowerCase(Locale.ROOT);
            }
        }

        static final Schedule DEFAULT = new Schedule(Kind.COSINE, 100, 0.2);

        public Schedule {
            Objects.requireNonNull(kind, "schedule.kind");
            Check.range(warmup, 0, Integer.MAX_VALUE, "schedule.warmup", "0 means no warmup");
            Check.that(decayFraction >= 0 && decayFraction <= 1, "schedule.decay_fraction",
                    "schedule.decay_fraction must be between 0 and 1 (got " + Values.format(decayFraction) + ")");
        }
    }

    /** Sequences per micro-batch and micro-batches per optimizer step. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Batch(int size, int accum) {

        static final Batch DEFAULT = new Batch(16, 1);

        public Batch {
            Check.range(size, 1, 1 << 16, "batch.size", null);
            Check.range(accum, 1, 1 << 16, "batch.accum", null);
        }
    }

    /** What the run may spend; see {@link RunBudget}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Budget(Kind kind, @JsonSerialize(using = Values.WholeNumberSerializer.class) double amount) {

        public enum Kind implements Choice {
            SECONDS, STEPS, TOKENS, FLOPS;

            @JsonValue
            public String id() {
                return name().toLowerCase(Locale.ROOT);
            }
        }

        /** Tokens, not seconds: a run's steps, learning-rate schedule and metric then do not depend on the machine. */
        static final Budget DEFAULT = new Budget(Kind.TOKENS, 250_000);

        public Budget {
            Objects.requireNonNull(kind, "budget.kind");
            try {
                RunBudget.of(kind.id(), amount);
            } catch (LabException e) {
                throw RecipeException.of("budget.amount", "budget.amount: " + e.getMessage());
            }
        }

        public static Budget of(RunBudget budget) {
            return new Budget(Kind.valueOf(budget.kind().toUpperCase(Locale.ROOT)), budget.amount());
        }

        public RunBudget toRunBudget() {
            return RunBudget.of(kind.id(), amount);
        }
    }

    /**
     * Validation: {@code tokens} tokens of the val split, the same ones whatever model.seq, batch or seed (the
     * yardstick: see {@code dev.flywheel.lab.run.Yardstick}), evaluated every {@code every} steps during training
     * (0 = at the end only). Fixed by a study.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Eval(int tokens, int every) {

        /** 128 spans of 1024 tokens: in a comparison, a sampling error a third of the default study's seed noise (docs/yardstick.md). */
        static final Eval DEFAULT = new Eval(131_072, 0);

        public Eval {
            Check.range(tokens, 1, 1 << 26, "eval.tokens", "the tokens of the validation split each evaluation scores");
            Check.range(every, 0, Integer.MAX_VALUE, "eval.every", "0 evaluates at the end only");
        }
    }

    /** What the guard does about spikes and divergence: nothing, record them, or record and remediate. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    /**
     * What the guard does about spikes and divergence — nothing, record them, or record and remediate — and the
     * thresholds of its rules (docs/guard.md says where each default comes from).
     *
     * @param lossZ        a loss this many deviations above its moving mean is a spike
     * @param lossRatio    a loss this many times the recent maximum is a spike
     * @param gradZ        a gradient norm this many deviations above its moving mean is clipped to that level (ZClip)
     * @param ema          smoothing of the moving mean and deviation (per step)
     * @param warmup       steps before the statistics are trusted
     * @param snapshotEvery steps between in-memory snapshots to roll back to
     * @param lrCut        factor applied to the learning rate when spikes recur after a roll-back
     * @param maxRollbacks roll-backs before the run is aborted as diverged
     * @param attnLogitMax a largest attention logit above this is reported as attention-logit growth
     * @param logitDriftMax a mean log-partition |log Z| above this is reported as output-logit drift
     */
    public record Guard(Policy policy, double lossZ, double lossRatio, double gradZ, double ema, int warmup,
                        int snapshotEvery, double lrCut, int maxRollbacks, double attnLogitMax, double logitDriftMax) {

        public enum Policy implements Choice {
            OFF, DETECT, REMEDIATE;

            @JsonValue
            public String id() {
                return name().toLowerCase(Locale.ROOT);
            }
        }

        static final Guard DEFAULT = new Guard(Policy.REMEDIATE, 6.0, 1.5, 2.5, 0.97, 50, 25, 0.5, 8, 50.0, 30.0);

        public Guard {
            Objects.requireNonNull(policy, "guard.policy");
            Check.positive(lossZ, "guard.loss_z");
            Check.that(lossRatio > 1, "guard.loss_ratio", "must be above 1 (got " + lossRatio + ")");
            Check.positive(gradZ, "guard.grad_z");
            Check.that(ema > 0 && ema < 1, "guard.ema", "must be between 0 and 1 (got " + ema + ")");
            Check.range(warmup, 0, 1 << 30, "guard.warmup", null);
            Check.range(snapshotEvery, 1, 1 << 30, "guard.snapshot_every", null);
            Check.that(lrCut > 0 && lrCut <= 1, "guard.lr_cut", "must be in (0, 1] (got " + lrCut + ")");
            Check.range(maxRollbacks, 0, 1 << 20, "guard.max_rollbacks", null);
            Check.positive(attnLogitMax, "guard.attn_logit_max");
            Check.positive(logitDriftMax, "guard.logit_drift_max");
        }

        public Guard withPolicy(Policy p) {
            return new Guard(p, lossZ, lossRatio, gradZ, ema, warmup, snapshotEvery, lrCut, maxRollbacks, attnLogitMax,
                    logitDriftMax);
        }
    }

    /** Value checks with messages that name the path and the accepted range. */
    static final class Check {
        private Check() {
        }

        static void that(boolean ok, String path, String message) {
            if (!ok) throw RecipeException.of(path, message);
        }

        static void range(long value, long min, long max, String path, String why) {
            if (value >= min && value <= max) return;
            var bound = value < min ? "at least " + min : "at most " + max;
            that(false, path, path + " must be " + bound + " (got " + value + ")" + (why == null ? "" : "; " + why));
        }

        static void positive(double value, String path) {
            that(value > 0 && Double.isFinite(value), path,
                    path + " must be a number above 0 (got " + Values.format(value) + ")");
        }

        static void atLeastZero(double value, String path, String why) {
            that(value >= 0 && Double.isFinite(value), path,
                    path + " must be a number of at least 0 (got " + Values.format(value) + ")" + (why == null ? "" : "; " + why));
        }

        static void unit(double value, String path) {
            that(value >= 0 && value < 1, path,
                    path + " must be at least 0 and below 1 (got " + Values.format(value) + ")");
        }

        static void text(String value, String path, String example) {
            that(value != null && !value.isBlank(), path, path + " must not be empty; give " + example);
        }
    }
}
