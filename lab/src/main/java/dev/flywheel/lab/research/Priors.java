package dev.flywheel.lab.research;

import dev.flywheel.lab.budget.RunBudget;

import java.util.List;
import java.util.Map;

/**
 * What the built-in researcher believes before it has run anything: how much each setting usually matters for small
 * GPTs trained briefly on a CPU, which way to try it first, the variants worth screening early, and the words for
 * each. One place for them, because what "smaller" buys depends on what a run's budget holds fixed:
 *
 * <ul>
 *   <li>{@link RunBudget.Seconds seconds}: a fixed time, so a smaller model or batch takes more optimizer steps per
 *   second — the wall-clock reasoning of the speedruns.</li>
 *   <li>{@link RunBudget.Tokens tokens}: the same data for every recipe. A smaller batch gives more optimizer steps on
 *   the same tokens; a smaller model does <em>not</em> see more data — it only learns less per token — so width and
 *   depth are about capacity, and a larger model costs compute (the study's time) rather than data.</li>
 *   <li>{@link RunBudget.Steps steps}: the same number of optimizer steps for every recipe. A larger batch sees more
 *   tokens in them; width and depth are about capacity, as under tokens.</li>
 *   <li>{@link RunBudget.Flops FLOPs}: equal compute. A smaller model sees more tokens for the same compute, a larger
 *   one fewer; a smaller batch gives more steps on the same tokens.</li>
 * </ul>
 */
final class Priors {

    /** What a run's budget holds fixed, which decides what a smaller model or batch buys. */
    enum Kind { TIME, TOKENS, STEPS, COMPUTE }

    /** How much a numeric dimension usually matters, which way to try first, and why. */
    record Prior(double importance, int direction, String why) {}

    /** A categorical value worth an ablation, with a prior weight and the reason it might help. */
    record Variant(double importance, String why) {}

    /** A remedy the playbook boosts: a step of {@code key} ("path+" or "path-"), by {@code amount}, because {@code why}. */
    record Remedy(String key, double amount, String why) {}

    static final Prior UNKNOWN = new Prior(0.3, +1, "an untried setting");

    /**
     * The structural variants that usually help small GPTs, screened within the first experiments in this order (the
     * ones the search space allows): Muon first, as the biggest single win of the speedruns; then RoPE, SwiGLU,
     * QK-norm and RMSNorm. Each ranks below a first learning-rate step (the setting that matters most) and above
     * the rest of the line searches, so the opening of a study is the rate, then these, one at a time.
     */
    static final List<String> SCREEN = List.of("optimizer.name=muon", "model.position=rope",
            "model.activation=swiglu", "model.qk_norm=true", "model.norm=rmsnorm");

    private static final Map<String, Variant> VARIANTS = Map.ofEntries(
            Map.entry("optimizer.name=muon", new Variant(2.5, "Muon's orthogonalised updates of the hidden matrices have trained small GPTs faster than AdamW in speedruns (the study judges it at its own best learning rate)")),
            Map.entry("model.position=rope", new Variant(3, "rotary position embeddings usually beat learned ones in small GPTs and drop the position table")),
            Map.entry("model.activation=swiglu", new Variant(2, "a gated MLP (SwiGLU) is what most recent models use")),
            Map.entry("model.qk_norm=true", new Variant(1, "normalised queries and keys keep attention logits bounded and allow higher rates")),
            Map.entry("model.norm=rmsnorm", new Variant(1.5, "RMSNorm is cheaper than LayerNorm and usually as good")),
            Map.entry("model.activation=relu2", new Variant(1.5, "squared ReLU did well in the nanoGPT speedruns and is cheap")),
            Map.entry("schedule.kind=wsd", new Variant(1.5, "warmup-stable-decay keeps the peak rate longer and anneals at the end")),
            Map.entry("schedule.kind=cosine", new Variant(1, "cosine decay anneals smoothly over the whole run")),
            Map.entry("schedule.kind=constant", new Variant(0.4, "without decay the rate stays at its peak")),
            Map.entry("model.qk_norm=false", new Variant(0.3, "without QK-norm the attention is a little cheaper")),
            Map.entry("model.bias=false", new Variant(0.8, "dropping biases saves parameters and time with little loss")),
            Map.entry("model.bias=true", new Variant(0.3, "biases add a little capacity")),
            Map.entry("model.tied_head=false", new Variant(0.5, "an untied output head adds capacity where the vocabulary is large")),
            Map.entry("model.tied_head=true", new Variant(0.5, "tying the head to the embedding saves parameters")),
            Map.entry("optimizer.name=adamw", new Variant(0.5, "AdamW is the dependable default")),
            Map.entry("model.norm=layernorm", new Variant(0.3, "LayerNorm centres as well as scales")),
            Map.entry("model.position=learned", new Variant(0.3, "learned positions are the GPT-2 default")),
            Map.entry("model.activation=gelu", new Variant(0.3, "GELU is the GPT-2 default")));

    /** Priors that do not depend on the budget's kind. */
    private static final Map<String, Prior> COMMON = Map.ofEntries(
            Map.entry("optimizer.lr", new Prior(5, +1, "the peak learning rate is the setting that matters most, and small models trained briefly usually want it higher than the default")),
            Map.entry("schedule.warmup", new Prior(3, -1, "a short run spends a large share of its steps warming up")),
            Map.entry("optimizer.weight_decay", new Prior(1.5, +1, "decoupled weight decay regularises the matrices")),
            Map.entry("optimizer.min_lr", new Prior(0.8, -1, "annealing further at the end often lowers the final loss")),
            Map.entry("optimizer.beta2", new Prior(1, +1, "a longer second-moment average steadies AdamW")),
            Map.entry("optimizer.grad_clip", new Prior(0.7, -1, "clipping bounds the update when the gradient jumps")),
            Map.entry("schedule.decay_fraction", new Prior(0.7, +1, "a longer decay phase anneals more")),
            Map.entry("optimizer.beta1", new Prior(0.5, +1, "more momentum smooths the updates")),
            Map.entry("optimizer.muon_lr", new Prior(2, +1, "Muon's rate sets the step of the hidden matrices")),
            Map.entry("optimizer.muon_momentum", new Prior(0.5, +1, "Muon's momentum smooths its orthogonalised steps")),
            Map.entry("model.z_loss", new Prior(0.3, +1, "z-loss keeps the output logits from drifting")));

    final Kind kind;

    private Priors(Kind kind) {
        this.kind = kind;
    }

    static Priors of(RunBudget budget) {
        return new Priors(switch (budget) {
            case RunBudget.Seconds s -> Kind.TIME;
            case RunBudget.Tokens t -> Kind.TOKENS;
            case RunBudget.Steps s -> Kind.STEPS;
            case RunBudget.Flops f -> Kind.COMPUTE;
        });
    }

    /** The prior of a numeric dimension under this budget; {@link #UNKNOWN} for one it has no view on. */
    Prior numeric(String path) {
        var common = COMMON.get(path);
        if (common != null) return common;
        return switch (path) {
            case "batch.size" -> switch (kind) {
                case TIME -> new Prior(3, -1, "in a fixed time, smaller batches mean more optimizer steps");
                case TOKENS -> new Prior(3, -1, "every recipe sees the same tokens, so a smaller batch gives more optimizer steps on the same data");
                case STEPS -> new Prior(2, +1, "every recipe takes the same number of steps, so a larger batch sees more tokens and averages a less noisy gradient");
                case COMPUTE -> new Prior(3, -1, "for the same compute, a smaller batch gives more optimizer steps on the same tokens");
            };
            case "batch.accum" -> switch (kind) {
                case STEPS -> new Prior(0.5, +1, "every recipe takes the same number of steps, so accumulating more sees more tokens in them");
                default -> new Prior(0.3, +1, "accumulation makes larger, less noisy steps from the same micro-batches, at the cost of fewer optimizer steps");
            };
            case "model.layers" -> switch (kind) {
                case TIME -> new Prior(2, -1, "a shallower model takes more steps in the fixed time");
                case COMPUTE -> new Prior(2, -1, "a shallower model sees more tokens for the same compute");
                case TOKENS, STEPS -> new Prior(1.5, +1, "every recipe sees the same data, so depth is capacity: a deeper model learns more per token, at more compute per run");
            };
            case "model.mlp_ratio" -> switch (kind) {
                case TIME -> new Prior(1, -1, "a narrower MLP trades capacity for speed");
                case COMPUTE -> new Prior(1, -1, "a narrower MLP is cheaper, so it sees more tokens for the same compute");
                case TOKENS, STEPS -> new Prior(1, +1, "every recipe sees the same data, so a wider MLP adds capacity per token, at more compute per run");
            };
            default -> UNKNOWN;
        };
    }

    /** A categorical value's prior; a weak one for values it has no view on. */
    static Variant variant(String key) {
        return VARIANTS.getOrDefault(key, new Variant(0.3, "an untried variant"));
    }

    /**
     * One notch of a size setting (model.dim, model.heads, model.seq) up or down: its weight and reason. Under a
     * token or step budget a smaller model sees no more data, so shrinking is weighted below growing; under FLOPs it
     * is the other way round; under seconds both as the speedruns found.
     */
    Variant size(String path, boolean up) {
        return switch (path) {
            case "model.dim" -> switch (kind) {
                case TIME -> new Variant(1.5, up ? "a wider model adds capacity" : "a narrower model takes more steps per second, so it sees more data in the fixed time");
                case TOKENS, STEPS -> up ? new Variant(1.5, "every recipe sees the same data, so a wider model learns more from it, at more compute per run")
                        : new Variant(0.8, "a narrower model costs less compute per run but learns less per token: worth it only if this width is more than the data needs");
                case COMPUTE -> up ? new Variant(0.8, "a wider model learns more per token but sees fewer tokens for the same compute")
                        : new Variant(1.5, "a narrower model sees more tokens for the same compute");
            };
            case "model.heads" -> new Variant(0.6, up ? "more, narrower attention heads attend to more patterns at once"
                    : "fewer, wider heads give each head more room");
            case "model.seq" -> switch (kind) {
                case TIME -> new Variant(0.6, up ? "a longer context gives each token more to attend to" : "a shorter context is faster, so it sees more data in the fixed time");
                case TOKENS, COMPUTE -> new Variant(0.6, up ? "a longer context gives each token more to attend to, in fewer optimizer steps on the same tokens"
                        : "a shorter context gives more optimizer steps on the same tokens");
                case STEPS -> new Variant(0.6, up ? "a longer context sees more tokens in the same number of steps" : "a shorter context is cheaper per step");
            };
            default -> new Variant(0.6, up ? "a larger " + path + " adds capacity" : "a smaller " + path + " is cheaper");
        };
    }

    /**
     * The playbook's remedies for a loss still falling fast at the end (under-trained in this budget): a higher rate
     * always; then what gives more learning for the same budget, which depends on what the budget holds fixed.
     */
    List<Remedy> underTrained() {
        var lr = new Remedy("optimizer.lr+", 3, "a higher rate learns faster");
        return switch (kind) {
            case TIME -> List.of(lr,
                    new Remedy("model.dim-", 2, "a smaller model takes more steps per second"),
                    new Remedy("batch.size-", 1, "smaller batches give more optimizer steps"),
                    new Remedy("model.layers-", 1, "a shallower model takes more steps per second"));
            case TOKENS -> List.of(lr,
                    new Remedy("batch.size-", 1.5, "smaller batches give more optimizer steps on the same tokens"));
            case STEPS -> List.of(lr,
                    new Remedy("batch.size+", 1, "larger batches see more tokens in the same steps"));
            case COMPUTE -> List.of(lr,
                    new Remedy("model.dim-", 2, "a smaller model sees more tokens for the same compute"),
                    new Remedy("batch.size-", 1, "smaller batches give more optimizer steps on the same tokens"),
                    new Remedy("model.layers-", 1, "a shallower model sees more tokens for the same compute"));
        };
    }
}
