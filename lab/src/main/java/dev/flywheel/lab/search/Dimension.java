package dev.flywheel.lab.search;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.recipe.RecipeException;
import dev.flywheel.lab.recipe.RecipeSchema;
import dev.flywheel.lab.recipe.RecipeSchema.Field;
import dev.flywheel.lab.recipe.RecipeSchema.Type;
import dev.flywheel.lab.recipe.Values;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One recipe setting a researcher may change, and to what. {@link #describe()} prints it in the brief's
 * syntax, so a search space can be written back into a brief and read again unchanged.
 */
public sealed interface Dimension {

    /** The recipe setting, as a dotted path. */
    String path();

    /** Why {@code value} (already coerced to the setting's type) is outside this dimension, or empty when it is inside. */
    Optional<String> reject(Object value);

    /** The brief line for this dimension without the bullet, such as {@code optimizer.lr: 0.0001 .. 0.01 log}. */
    String describe();

    /**
     * A numeric range, sampled uniformly or on a log scale; whole-number settings (layers, warmup, ...) are
     * integer dimensions whatever the brief says, because the recipe cannot hold anything else.
     */
    record Numeric(String path, double min, double max, boolean log, boolean integer) implements Dimension {

        public Numeric {
            var field = leaf(path);
            path = field.path();
            if (field.type() != Type.INTEGER && field.type() != Type.NUMBER && field.type() != Type.ARG)
                throw new LabException(path + " is " + field.describe() + ", not a number; list its values instead, such as "
                        + path + ": " + String.join(", ", field.choices().isEmpty() ? List.of("true", "false") : field.choices()));
            // a trainer's own setting is whole only when the brief says so ("trainer.args.layers: 2 .. 8 int")
            integer = field.type() == Type.ARG ? integer : field.type() == Type.INTEGER;
            if (!Double.isFinite(min) || !Double.isFinite(max) || min > max)
                throw new LabException(path + ": the range " + Values.format(min) + " .. " + Values.format(max)
                        + " is empty; write the smaller bound first");
            if (log && min <= 0)
                throw new LabException(path + ": a log scale needs a lower bound above 0 (got " + Values.format(min)
                        + "); raise it or drop \"log\"");
            if (integer && Math.ceil(min) > Math.floor(max))
                throw new LabException(path + " is a whole number, and no whole number lies in "
                        + Values.format(min) + " .. " + Values.format(max));
            if (integer) {
                min = Math.ceil(min);
                max = Math.floor(max);
            }
            for (double bound : new double[]{min, max})
                validValue(field, integer ? (Object) (long) bound : (Object) bound, "the range reaches ", "narrow the range");
        }

        public static Numeric linear(String path, double min, double max) {
            return new Numeric(path, min, max, false, false);
        }

        public static Numeric log(String path, double min, double max) {
            return new Numeric(path, min, max, true, false);
        }

        @Override
        public Optional<String> reject(Object value) {
            double v = ((Number) value).doubleValue();
            if (v >= min && v <= max) return Optional.empty();
            return Optional.of(path + " " + Values.format(value) + " is outside this study's search space "
                    + bound(min) + " .. " + bound(max) + "; choose a value in that range");
        }

        /** The value at position {@code u} in [0, 1] of the range (on the log scale if {@link #log}), rounded if integer. */
        public double fromUnit(double u) {
            double t = Math.clamp(u, 0.0, 1.0);
            if (t == 0) return min; // exactly, where exp(log(min)) would be off in the last digit
            if (t == 1) return max;
            double v = log ? Math.exp(Math.log(min) + t * (Math.log(max) - Math.log(min))) : min + t * (max - min);
            return integer ? Math.clamp(Math.round(v), Math.ceil(min), Math.floor(max)) : Math.clamp(v, min, max);
        }

        /** Inverse of {@link #fromUnit}: where {@code value} sits in the range, 0 to 1. */
        public double toUnit(double value) {
            if (max == min) return 0.5;
            double v = Math.clamp(value, min, max);
            return log ? (Math.log(v) - Math.log(min)) / (Math.log(max) - Math.log(min)) : (v - min) / (max - min);
        }

        @Override
        public String describe() {
            return path + ": " + bound(min) + " .. " + bound(max) + (log ? " log" : "")
                    + (integer && path.startsWith("trainer.args.") ? " int" : "");
        }

        private String bound(double x) {
            return integer ? Long.toString((long) x) : Values.format(x);
        }
    }

    /** A list of allowed values: variants, booleans, or chosen sizes such as heads 1, 2, 4, 8. */
    record Categorical(String path, List<Object> values) implements Dimension {

        public Categorical {
            var field = leaf(path);
            path = field.path();
            if (values == null || values.isEmpty())
                throw new LabException(path + " needs at least one allowed value");
            var coerced = new LinkedHashSet<Object>();
            for (var v : values) {
                Object value;
                try {
                    value = Values.read(field, v);
                } catch (RecipeException e) {
                    throw new LabException(e.getMessage());
                }
                validValue(field, value, "", "leave it out");
                coerced.add(value);
            }
            values = List.copyOf(coerced);
        }

        public static Categorical of(String path, Object... values) {
            return new Categorical(path, List.of(values));
        }

        @Override
        public Optional<String> reject(Object value) {
            if (values.contains(value)) return Optional.empty();
            return Optional.of(path + " " + Values.format(value) + " is not allowed in this study; choose one of "
                    + values.stream().map(Values::format).collect(Collectors.joining(", ")));
        }

        @Override
        public String describe() {
            return path + ": " + values.stream().map(Values::format).collect(Collectors.joining(", "));
        }
    }

    /**
     * Refuses a value the recipe itself never accepts (layers 0, beta2 1.5). Only the setting's own rules count:
     * one that fails a rule between settings (heads 3 with dim 128) may still combine with other values.
     */
    private static void validValue(Field field, Object value, String lead, String fix) {
        try {
            Recipe.defaults().with(field.path(), value);
        } catch (RecipeException e) {
            for (var p : e.problems())
                if (p.path().equals(field.path()))
                    throw new LabException(field.path() + ": " + lead + Values.format(value) + ", which no recipe accepts ("
                            + p.message() + "); " + fix);
        }
    }

    private static Field leaf(String path) {
        var field = RecipeSchema.field(path)
                .orElseThrow(() -> new LabException(RecipeSchema.unknownPathMessage(String.valueOf(path))));
        if (field.isSection())
            throw new LabException(field.path() + " is a section; name one of its settings, such as "
                    + field.children().getFirst().path());
        if (SearchSpace.isFixed(field.path()))
            throw new LabException(field.path() + " is fixed by the study (the evaluation data, metric, seed and run "
                    + "budget are the same for every run) and cannot be searched; set it in the brief's Baseline section instead");
        if (field.type() == Type.TEXT_LIST || field.type() == Type.TEXT)
            throw new LabException(field.path() + " is " + field.describe() + " and cannot be searched");
        return field;
    }
}
