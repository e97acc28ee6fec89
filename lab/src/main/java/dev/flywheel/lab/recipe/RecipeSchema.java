package dev.flywheel.lab.recipe;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The shape of a recipe — every dotted path, its type and allowed values — read off the {@link Recipe} record
 * types themselves, so a new setting is known to files, changes, briefs and search spaces the moment its
 * record component exists.
 */
public final class RecipeSchema {

    private RecipeSchema() {
    }

    /**
     * What a node holds. {@link #ARGS} is an open section — an external trainer's own settings, whatever their
     * names — whose children are {@link #ARG}s: a number, true/false or a text, as given.
     */
    public enum Type { SECTION, INTEGER, NUMBER, BOOLEAN, TEXT, CHOICE, TEXT_LIST, ARGS, ARG }

    /**
     * One node of the recipe tree.
     *
     * @param path     dotted path from the root ("" for the root itself)
     * @param name     JSON key
     * @param type     what values it takes
     * @param javaType the record component's type
     * @param choices  the allowed ids of a {@link Type#CHOICE}, in declaration order
     * @param children a section's settings, in declaration order
     */
    public record Field(String path, String name, Type type, Class<?> javaType, List<String> choices,
                        List<Field> children) {

        public boolean isSection() {
            return type == Type.SECTION || type == Type.ARGS;
        }

        /** The child named {@code key}, also when spelled in another case or camelCase (mlpRatio → mlp_ratio). */
        public Optional<Field> child(String key) {
            if (type == Type.ARGS) // a trainer's flag is spelled exactly as its trainer reads it
                return TrainerSpec.KEY.matcher(key).matches()
                        ? Optional.of(new Field(path + "." + key, key, Type.ARG, Object.class, List.of(), List.of()))
                        : Optional.empty();
            for (var c : children) if (c.name.equals(key)) return Optional.of(c);
            var wanted = normalize(key);
            for (var c : children) if (normalize(c.name).equals(wanted)) return Optional.of(c);
            return Optional.empty();
        }

        /** What values are accepted, in words, for error messages. */
        public String describe() {
            return switch (type) {
                case SECTION -> "a JSON object of " + path + " settings";
                case INTEGER -> "a whole number";
                case NUMBER -> "a number";
                case BOOLEAN -> "true or false";
                case CHOICE -> "one of " + String.join(", ", choices);
                case TEXT -> "a text";
                case TEXT_LIST -> "a list of texts";
                case ARGS -> "a JSON object of the trainer's own settings, such as {\"lr\": 0.001}";
                case ARG -> "a number, true/false or a text";
            };
        }
    }

    private static final Field ROOT = section(Recipe.class, "", "");

    // Names people bring from nanoGPT, llm.c and Hugging Face configs, mapped to ours.
    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("learningrate", "optimizer.lr"), Map.entry("maxlr", "optimizer.lr"),
            Map.entry("minlearningrate", "optimizer.min_lr"), Map.entry("wd", "optimizer.weight_decay"),
            Map.entry("maxgradnorm", "optimizer.grad_clip"), Map.entry("clip", "optimizer.grad_clip"),
            Map.entry("gradclipping", "optimizer.grad_clip"), Map.entry("optimizer", "optimizer.name"),
            Map.entry("nlayer", "model.layers"), Map.entry("nlayers", "model.layers"), Map.entry("numlayers", "model.layers"),
            Map.entry("depth", "model.layers"), Map.entry("nhead", "model.heads"), Map.entry("nheads", "model.heads"),
            Map.entry("numheads", "model.heads"), Map.entry("nembd", "model.dim"), Map.entry("dmodel", "model.dim"),
            Map.entry("width", "model.dim"), Map.entry("hiddensize", "model.dim"), Map.entry("blocksize", "model.seq"),
            Map.entry("seqlen", "model.seq"), Map.entry("context", "model.seq"), Map.entry("contextlength", "model.seq"),
            Map.entry("batchsize", "batch.size"), Map.entry("gradientaccumulation", "batch.accum"),
            Map.entry("warmupsteps", "schedule.warmup"), Map.entry("vocabsize", "data.vocab"));

    public static Field root() {
        return ROOT;
    }

    /** The node at a dotted path, forgiving case and camelCase differences in each segment. */
    public static Optional<Field> field(String path) {
        if (path == null || path.isBlank()) return Optional.empty();
        var node = ROOT;
        for (var segment : path.strip().split("\\.", -1)) {
            var next = node.child(segment.strip());
            if (next.isEmpty()) return Optional.empty();
            node = next.get();
        }
        return Optional.of(node);
    }

    /** Every setting (leaf) in the documented order. */
    public static List<Field> leaves() {
        var out = new ArrayList<Field>();
        collect(ROOT, out);
        return List.copyOf(out);
    }

    /**
     * The existing path the writer most likely meant: an alias (learning_rate → optimizer.lr), a setting in
     * another section (model.lr → optimizer.lr), or a near spelling (model.layrs → model.layers).
     */
    public static Optional<String> suggest(String path) {
        if (path == null || path.isBlank()) return Optional.empty();
        var segments = path.strip().split("\\.");
        var last = normalize(segments[segments.length - 1]);
        var alias = ALIASES.get(last);
        if (alias != null) return Optional.of(alias);
        var section = segments.length > 1 ? normalize(segments[0]) : null;
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        var candidates = new ArrayList<Field>(leaves());
        candidates.addAll(ROOT.children().stream().filter(Field::isSection).toList());
        for (var c : candidates) {
            int byName = distance(last, normalize(c.name()));
            var cSection = c.path().contains(".") ? normalize(c.path().substring(0, c.path().indexOf('.'))) : null;
            // A wrong section costs one edit, so "model.lr" finds "optimizer.lr" but "model.layrs" prefers "model.layers".
            int d = section == null ? byName
                    : Math.min(byName + (section.equals(cSection) ? 0 : 1), distance(normalize(path), normalize(c.path())));
            if (d < bestDistance) {
                bestDistance = d;
                best = c.path();
            }
        }
        int tolerance = Math.max(1, last.length() / 3);
        return bestDistance <= tolerance ? Optional.of(best) : Optional.empty();
    }

    /** "X is not a recipe setting; did you mean Y?" — or the list of sections when nothing is close. */
    public static String unknownPathMessage(String path) {
        var hint = suggest(path);
        if (hint.isPresent()) return path + " is not a recipe setting; did you mean " + hint.get() + "?";
        var parent = path.contains(".") ? field(path.substring(0, path.lastIndexOf('.'))) : Optional.<Field>empty();
        if (parent.isPresent() && parent.get().isSection())
            return path + " is not a recipe setting; the " + parent.get().path() + " settings are "
                    + parent.get().children().stream().map(Field::name).collect(Collectors.joining(", "));
        return path + " is not a recipe setting; the sections are "
                + ROOT.children().stream().map(Field::name).collect(Collectors.joining(", "));
    }

    /** Lower case without separators, so that mlpRatio, mlp_ratio and MLP-ratio compare equal. */
    static String normalize(String s) {
        return s.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "").replace(" ", "");
    }

    private static void collect(Field node, List<Field> out) {
        for (var c : node.children()) {
            if (c.isSection()) collect(c, out);
            else out.add(c);
        }
    }

    private static Field section(Class<?> record, String path, String name) {
        var children = new ArrayList<Field>();
        for (RecordComponent rc : record.getRecordComponents()) {
            var key = ((PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE).translate(rc.getName());
            var childPath = path.isEmpty() ? key : path + "." + key;
            children.add(leafOrSection(rc, childPath, key));
        }
        return new Field(path, name, Type.SECTION, record, List.of(), List.copyOf(children));
    }

    private static Field leafOrSection(RecordComponent rc, String path, String name) {
        var t = rc.getType();
        if (t.isRecord()) return section(t, path, name);
        if (t == Map.class) return new Field(path, name, Type.ARGS, t, List.of(), List.of());
        Type type;
        List<String> choices = List.of();
        if (t == int.class || t == long.class || t == Integer.class || t == Long.class) type = Type.INTEGER;
        else if (t == double.class || t == float.class || t == Double.class || t == Float.class) type = Type.NUMBER;
        else if (t == boolean.class || t == Boolean.class) type = Type.BOOLEAN;
        else if (t == String.class) type = Type.TEXT;
        else if (t.isEnum() && Recipe.Choice.class.isAssignableFrom(t)) {
            type = Type.CHOICE;
            choices = Arrays.stream(t.getEnumConstants()).map(c -> ((Recipe.Choice) c).id()).toList();
        } else if (t == List.class && rc.getGenericType() instanceof ParameterizedType p
                && p.getActualTypeArguments()[0] == String.class) type = Type.TEXT_LIST;
        else throw new IllegalStateException("recipe component " + path + " has a type the schema does not know: " + t);
        return new Field(path, name, type, t, choices, List.of());
    }

    /** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("lyaers" → "layers" is 1). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
        return d[a.length()][b.length()];
    }
}
