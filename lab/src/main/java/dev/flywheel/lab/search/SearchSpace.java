package dev.flywheel.lab.search;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.recipe.RecipeException;
import dev.flywheel.lab.recipe.RecipeSchema;
import dev.flywheel.lab.recipe.Values;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * The settings a study's researcher may change and the values each may take, plus limits on the recipe as
 * a whole. The evaluation data and metric — {@code data.*}, {@code eval.*}, {@code seed}, {@code budget.*} —
 * are never in it: if a researcher could move them, results would stop being comparable.
 *
 * <pre>{@code
 * var space = SearchSpace.defaults();
 * switch (space.apply(best, Change.of("optimizer.lr", 0.002))) {
 *     case ChangeResult.Accepted a -> run(a.recipe());
 *     case ChangeResult.Rejected r -> tellTheResearcher(r.message());
 * }
 * }</pre>
 *
 * @param dimensions    what may change, in the order a person reads them
 * @param maxParameters an upper bound on {@link Recipe#estimatedParameters()}, if the study sets one
 */
public record SearchSpace(List<Dimension> dimensions, OptionalLong maxParameters) {

    /** Sections and settings that define what "better" means; fixed for a whole study. */
    public static final List<String> FIXED = List.of("data", "eval", "seed", "budget");

    public SearchSpace {
        dimensions = List.copyOf(dimensions);
        Objects.requireNonNull(maxParameters, "maxParameters");
        var seen = new HashSet<String>();
        for (var d : dimensions)
            if (!seen.add(d.path())) throw new LabException(d.path() + " appears twice in the search space; keep one");
        if (maxParameters.isPresent() && maxParameters.getAsLong() < 1)
            throw new LabException("the parameter limit must be at least 1 (got " + maxParameters.getAsLong() + ")");
    }

    public SearchSpace(List<Dimension> dimensions) {
        this(dimensions, OptionalLong.empty());
    }

    private static final SearchSpace DEFAULTS = new SearchSpace(List.of(
            Dimension.Numeric.log("optimizer.lr", 1e-4, 1e-2),
            Dimension.Numeric.log("optimizer.min_lr", 1e-6, 1e-3),
            Dimension.Numeric.linear("optimizer.weight_decay", 0.0, 0.3),
            Dimension.Numeric.linear("optimizer.beta1", 0.8, 0.95),
            Dimension.Numeric.linear("optimizer.beta2", 0.9, 0.999),
            Dimension.Numeric.linear("optimizer.grad_clip", 0.0, 5.0),
            Dimension.Categorical.of("optimizer.name", "adamw", "muon"),
            Dimension.Numeric.log("optimizer.muon_lr", 0.005, 0.05),
            Dimension.Numeric.linear("optimizer.muon_momentum", 0.85, 0.98),
            Dimension.Categorical.of("schedule.kind", "cosine", "wsd", "constant"),
            Dimension.Numeric.linear("schedule.warmup", 0, 1000),
            Dimension.Numeric.linear("schedule.decay_fraction", 0.1, 0.5),
            new Dimension.Numeric("batch.size", 4, 64, true, true),
            Dimension.Numeric.linear("batch.accum", 1, 8),
            Dimension.Numeric.linear("model.layers", 1, 8),
            // Heads and widths are lists rather than ranges so every pairing divides evenly and keeps an even
            // head size for RoPE: a model-based search should not waste proposals on unbuildable models.
            Dimension.Categorical.of("model.heads", 1, 2, 4, 8),
            Dimension.Categorical.of("model.dim", 64, 96, 128, 192, 256, 384),
            Dimension.Categorical.of("model.seq", 64, 128, 256),
            Dimension.Numeric.linear("model.mlp_ratio", 2.0, 6.0),
            Dimension.Categorical.of("model.norm", "layernorm", "rmsnorm"),
            Dimension.Categorical.of("model.position", "learned", "rope"),
            Dimension.Categorical.of("model.activation", "gelu", "swiglu", "relu2"),
            Dimension.Categorical.of("model.tied_head", true, false),
            Dimension.Categorical.of("model.bias", true, false),
            Dimension.Categorical.of("model.qk_norm", false, true),
            Dimension.Numeric.linear("model.z_loss", 0.0, 1e-3),
            Dimension.Categorical.of("model.attn_soft_cap", 0.0, 30.0, 50.0)));

    /** A search space for small models trained for minutes on a CPU. */
    public static SearchSpace defaults() {
        return DEFAULTS;
    }

    /** Whether a path belongs to the evaluation setup that no researcher may change. */
    public static boolean isFixed(String path) {
        return FIXED.stream().anyMatch(f -> path.equals(f) || path.startsWith(f + "."));
    }

    public Optional<Dimension> dimension(String path) {
        var canonical = RecipeSchema.field(path).map(RecipeSchema.Field::path).orElse(path);
        return dimensions.stream().filter(d -> d.path().equals(canonical)).findFirst();
    }

    /** This space with {@code dimension} added, or replacing the one with the same path. */
    public SearchSpace with(Dimension dimension) {
        var dims = new ArrayList<Dimension>();
        boolean replaced = false;
        for (var d : dimensions) {
            if (d.path().equals(dimension.path())) {
                dims.add(dimension);
                replaced = true;
            } else dims.add(d);
        }
        if (!replaced) dims.add(dimension);
        return new SearchSpace(dims, maxParameters);
    }

    public SearchSpace without(String path) {
        return new SearchSpace(dimensions.stream().filter(d -> !d.path().equals(path)).toList(), maxParameters);
    }

    public SearchSpace withMaxParameters(long limit) {
        return new SearchSpace(dimensions, OptionalLong.of(limit));
    }

    /** One brief line per dimension (see {@link Dimension#describe()}), then the parameter limit if any. */
    public List<String> describe() {
        var lines = new ArrayList<>(dimensions.stream().map(Dimension::describe).toList());
        maxParameters.ifPresent(m -> lines.add("at most " + formatCount(m) + " parameters"));
        return lines;
    }

    /**
     * Applies a researcher's change to {@code base}. Never throws for anything the change contains: every
     * problem — unknown or fixed paths, wrong types, values outside the space, cross-field rules, the
     * parameter limit, a change that changes nothing — comes back as a {@link ChangeResult.Rejected} reason
     * that says what to fix.
     */
    public ChangeResult apply(Recipe base, Change change) {
        if (change == null || change.isEmpty())
            return new ChangeResult.Rejected(List.of("the change is empty; give at least one setting, such as {\""
                    + dimensions.stream().findFirst().map(Dimension::path).orElse("optimizer.lr") + "\": ...}"));
        var reasons = new ArrayList<String>();
        var coerced = new LinkedHashMap<String, Object>();
        for (var entry : change.values().entrySet()) {
            var path = entry.getKey();
            var field = RecipeSchema.field(path);
            if (field.isEmpty()) {
                reasons.add(unknown(path));
                continue;
            }
            var f = field.get();
            if (isFixed(f.path())) {
                reasons.add(f.path() + " is fixed by the study: the evaluation data, metric, seed and run budget are "
                        + "the same for every run so results compare; change a setting of the search space instead, such as "
                        + dimensions.stream().limit(2).map(Dimension::path).collect(Collectors.joining(" or ")));
                continue;
            }
            if (f.isSection()) {
                reasons.add(f.path() + " is a section, not a setting; change one of its settings, such as "
                        + f.children().getFirst().path());
                continue;
            }
            var dimension = dimension(f.path());
            if (dimension.isEmpty()) {
                reasons.add(f.path() + " is not in this study's search space; the settings you may change are "
                        + dimensions.stream().map(Dimension::path).collect(Collectors.joining(", ")));
                continue;
            }
            Object value;
            try {
                value = Values.read(f, entry.getValue());
            } catch (RecipeException e) {
                reasons.add(e.problems().getFirst().message());
                continue;
            } catch (RuntimeException e) {
                reasons.add(f.path() + " has a value that is not plain JSON (" + e.getMessage() + "); give " + f.describe());
                continue;
            }
            dimension.get().reject(value).ifPresentOrElse(reasons::add, () -> coerced.put(f.path(), value));
        }
        if (!reasons.isEmpty()) return new ChangeResult.Rejected(reasons);

        var effective = new LinkedHashMap<String, Object>();
        coerced.forEach((path, value) -> {
            if (!value.equals(base.get(path))) effective.put(path, value);
        });
        if (effective.isEmpty())
            return new ChangeResult.Rejected(List.of("the change leaves the recipe as it was: "
                    + coerced.entrySet().stream().map(e -> e.getKey() + " is already " + Values.format(e.getValue()))
                    .collect(Collectors.joining(", ")) + "; propose a different value"));

        Recipe changed;
        try {
            changed = base.with(effective);
        } catch (RecipeException e) {
            return new ChangeResult.Rejected(e.problems().stream()
                    .map(p -> "the changed recipe is invalid: " + p.message()).toList());
        }
        if (maxParameters.isPresent() && changed.estimatedParameters() > maxParameters.getAsLong())
            return new ChangeResult.Rejected(List.of("the changed recipe has about " + formatCount(changed.estimatedParameters())
                    + " parameters, above this study's limit of " + formatCount(maxParameters.getAsLong())
                    + "; choose a smaller model.dim, model.layers or model.mlp_ratio"));
        return new ChangeResult.Accepted(changed, Change.of(effective), Recipe.diff(base, changed));
    }

    private String unknown(String path) {
        var message = RecipeSchema.unknownPathMessage(path);
        var hint = RecipeSchema.suggest(path);
        if (hint.isPresent() && (isFixed(hint.get()) || dimension(hint.get()).isEmpty()))
            message += " (it is not in this study's search space)";
        return message;
    }

    /** 1234567 → "1.2M", the way parameter counts are read. */
    static String formatCount(long n) {
        if (n >= 1_000_000_000) return trim(n / 1e9) + "G";
        if (n >= 1_000_000) return trim(n / 1e6) + "M";
        if (n >= 1_000) return trim(n / 1e3) + "k";
        return Long.toString(n);
    }

    private static String trim(double x) {
        var s = String.format(java.util.Locale.ROOT, "%.1f", x);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }
}
