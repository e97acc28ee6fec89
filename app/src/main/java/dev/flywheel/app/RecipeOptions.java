package dev.flywheel.app;

import dev.flywheel.lab.recipe.Recipe;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The flags that set a recipe: each maps to one dotted recipe path and overrides the recipe file or defaults.
 * Shared by the commands that train, so a flag means the same thing everywhere.
 */
final class RecipeOptions {

    @Option(names = "--recipe", paramLabel = "FILE", description = "Start from this recipe (JSON); flags override it.")
    Path recipe;

    // data
    @Option(names = "--data", paramLabel = "SOURCE", description = "Text file, folder, JSONL, zip, URL, prepared directory, "
            + "or a named data set (jdk-src, tinyshakespeare, tinystories). Default: jdk-src, the running JDK's sources.")
    String data;
    @Option(names = "--tokenizer", description = "byte, char or bpe.")
    String tokenizer;
    @Option(names = "--vocab", converter = Numbers.PositiveInt.class, description = "BPE vocabulary size.")
    Integer vocab;
    @Option(names = "--split", description = "hash (documents split 90/5/5 by id) or contiguous (first 90%% / last 10%%, nanoGPT).")
    String split;

    // model
    @Option(names = "--layers", converter = Numbers.PositiveInt.class, description = "Transformer blocks.")
    Integer layers;
    @Option(names = "--heads", converter = Numbers.PositiveInt.class, description = "Attention heads.")
    Integer heads;
    @Option(names = "--dim", converter = Numbers.PositiveInt.class, description = "Model width.")
    Integer dim;
    @Option(names = "--seq", converter = Numbers.PositiveInt.class, description = "Context length in tokens.")
    Integer seq;
    @Option(names = "--mlp-ratio", converter = Numbers.PositiveDouble.class, description = "MLP hidden width as a multiple of dim.")
    Double mlpRatio;
    @Option(names = "--norm", description = "layernorm or rmsnorm.")
    String norm;
    @Option(names = "--position", description = "learned or rope.")
    String position;
    @Option(names = "--activation", description = "gelu, swiglu or relu2.")
    String activation;
    @Option(names = "--tied-head", negatable = true, description = "Tie the LM head to the token embedding.")
    Boolean tiedHead;
    @Option(names = "--bias", negatable = true, description = "Biases in linear layers and LayerNorms.")
    Boolean bias;
    @Option(names = "--qk-norm", negatable = true, description = "RMS-normalise queries and keys.")
    Boolean qkNorm;
    @Option(names = "--z-loss", converter = Numbers.NonNegativeDouble.class, description = "z-loss coefficient (0 = off).")
    Double zLoss;
    @Option(names = "--soft-cap", converter = Numbers.NonNegativeDouble.class, description = "Attention-logit soft cap (0 = off).")
    Double softCap;

    // optimizer and schedule
    @Option(names = "--optimizer", description = "adamw or muon.")
    String optimizer;
    @Option(names = "--lr", converter = Numbers.PositiveDouble.class, description = "Peak learning rate.")
    Double lr;
    @Option(names = "--min-lr", converter = Numbers.NonNegativeDouble.class, description = "Learning rate at the end of the decay.")
    Double minLr;
    @Option(names = "--beta1", converter = Numbers.FiniteDouble.class, description = "AdamW beta1.")
    Double beta1;
    @Option(names = "--beta2", converter = Numbers.FiniteDouble.class, description = "AdamW beta2.")
    Double beta2;
    @Option(names = "--weight-decay", converter = Numbers.NonNegativeDouble.class, description = "Decoupled weight decay (matrices and embeddings only).")
    Double weightDecay;
    @Option(names = "--grad-clip", converter = Numbers.NonNegativeDouble.class, description = "Global gradient-norm clip (0 = off).")
    Double gradClip;
    @Option(names = "--muon-lr", converter = Numbers.PositiveDouble.class, description = "Muon learning rate.")
    Double muonLr;
    @Option(names = "--schedule", description = "cosine, wsd or constant.")
    String schedule;
    @Option(names = "--warmup", converter = Numbers.NonNegativeInt.class, description = "Warmup steps.")
    Integer warmup;

    // batch, budget, seed, evaluation
    @Option(names = "--batch", converter = Numbers.PositiveInt.class, description = "Sequences per micro-batch.")
    Integer batch;
    @Option(names = "--accum", converter = Numbers.PositiveInt.class, description = "Micro-batches per optimizer step.")
    Integer accum;
    @Option(names = "--steps", converter = Numbers.PositiveLong.class, description = "Budget: this many optimizer steps.")
    Long steps;
    @Option(names = "--seconds", converter = Numbers.PositiveDouble.class, description = "Budget: this many seconds of training (evaluation not counted).")
    Double seconds;
    @Option(names = "--budget", description = "Budget as text: 60s, 10m, 500steps, 2M tokens, 1e15flops.")
    String budget;
    @Option(names = "--seed", description = "Initialisation and data-order seed.")
    Long seed;
    @Option(names = "--eval-tokens", converter = Numbers.PositiveInt.class, description = "Validation tokens each evaluation scores, the same ones whatever "
            + "the context (eval.tokens).")
    Integer evalTokens;
    @Option(names = "--eval-every", converter = Numbers.NonNegativeInt.class, description = "Evaluate every N steps (0 = at the end only).")
    Integer evalEvery;
    @Option(names = "--guard", description = "off, detect or remediate.")
    String guard;
    @Option(names = "--inject", split = ",", paramLabel = "FAULT",
            description = "Inject faults: corrupt-batch@STEP, lr-spike@STEP:FACTOR, nan@STEP (comma-separated).")
    java.util.List<String> inject;

    /** The recipe: the file or the given base, then every flag that was set. */
    Recipe build(Recipe base) {
        Recipe r = recipe != null ? Recipe.read(recipe) : base;
        var c = new LinkedHashMap<String, Object>();
        put(c, "data.source", data);
        put(c, "data.tokenizer", tokenizer);
        put(c, "data.vocab", vocab);
        put(c, "data.split", split);
        put(c, "model.layers", layers);
        put(c, "model.heads", heads);
        put(c, "model.dim", dim);
        put(c, "model.seq", seq);
        put(c, "model.mlp_ratio", mlpRatio);
        put(c, "model.norm", norm);
        put(c, "model.position", position);
        put(c, "model.activation", activation);
        put(c, "model.tied_head", tiedHead);
        put(c, "model.bias", bias);
        put(c, "model.qk_norm", qkNorm);
        put(c, "model.z_loss", zLoss);
        put(c, "model.attn_soft_cap", softCap);
        put(c, "optimizer.name", optimizer);
        put(c, "optimizer.lr", lr);
        put(c, "optimizer.min_lr", minLr);
        put(c, "optimizer.beta1", beta1);
        put(c, "optimizer.beta2", beta2);
        put(c, "optimizer.weight_decay", weightDecay);
        put(c, "optimizer.grad_clip", gradClip);
        put(c, "optimizer.muon_lr", muonLr);
        put(c, "schedule.kind", schedule);
        put(c, "schedule.warmup", warmup);
        put(c, "batch.size", batch);
        put(c, "batch.accum", accum);
        put(c, "seed", seed);
        put(c, "eval.tokens", evalTokens);
        put(c, "eval.every", evalEvery);
        put(c, "guard.policy", guard);
        if (inject != null) c.put("inject", inject);
        int budgets = (steps != null ? 1 : 0) + (seconds != null ? 1 : 0) + (budget != null ? 1 : 0);
        if (budgets > 1) throw new IllegalArgumentException("give one budget: --steps, --seconds or --budget");
        if (steps != null) c.put("budget", Map.of("kind", "steps", "amount", steps));
        if (seconds != null) c.put("budget", Map.of("kind", "seconds", "amount", seconds));
        if (budget != null) {
            var b = dev.flywheel.lab.budget.RunBudget.parse(budget);
            c.put("budget", Map.of("kind", b.kind(), "amount", b.amount()));
        }
        // lowering lr below the recipe's floor without naming a floor keeps the floor's ratio
        if (lr != null && minLr == null && r.optimizer().minLr() > lr) {
            c.put("optimizer.min_lr", lr * r.optimizer().minLr() / r.optimizer().lr());
        }
        return c.isEmpty() ? r : r.with(c);
    }

    private static void put(Map<String, Object> c, String path, Object value) {
        if (value != null) c.put(path, value);
    }
}
