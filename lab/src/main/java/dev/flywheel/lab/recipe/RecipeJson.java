package dev.flywheel.lab.recipe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flywheel.engine.AtomicFiles;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.recipe.RecipeException.Problem;
import dev.flywheel.lab.recipe.RecipeSchema.Field;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Recipe ↔ JSON. Reading validates the user's tree against {@link RecipeSchema} first (unknown keys, types),
 * merges it over the defaults, and only then binds records, so every message names a dotted path; the
 * records' constructors then check values and cross-field rules. Writing is done here by hand, so the
 * canonical form — and therefore every recipe's hash — does not depend on a Jackson version's number format.
 */
final class RecipeJson {

    private RecipeJson() {
    }

    static final ObjectMapper MAPPER = Json.MAPPER;

    /**
     * Recipes written before the fixed yardstick scored {@code eval.batches} batches of 8 windows of model.seq
     * tokens; they are read as {@code eval.tokens} = batches × 8 × 128, the tokens they scored at the default
     * context (the yardstick no longer depends on the context: docs/yardstick.md).
     */
    static final String LEGACY_EVAL_BATCHES = "batches";
    static final long LEGACY_TOKENS_PER_BATCH = 8 * 128;

    /** The setting today of a renamed one ({@code eval.batches}), or null when {@code path} was not renamed. */
    static Map.Entry<String, Object> renamed(String path, Object raw) {
        if (!RecipeSchema.normalize(path).equals("eval." + LEGACY_EVAL_BATCHES)) return null;
        try {
            double n = Double.parseDouble(String.valueOf(raw).strip());
            if (n != Math.rint(n)) throw new NumberFormatException();
            return Map.entry("eval.tokens", (long) n * LEGACY_TOKENS_PER_BATCH);
        } catch (NumberFormatException e) {
            throw RecipeException.of("eval.batches", "eval.batches is now eval.tokens (tokens of the validation split "
                    + "scored); give eval.tokens a whole number such as 131072 (got " + raw + ")");
        }
    }

    static Recipe read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new LabException("recipe " + file + " does not exist; check the path, or write one with `flywheel train --print-recipe`");
        } catch (IOException e) {
            throw new LabException("recipe " + file + " cannot be read (" + e.getMessage() + "); check its permissions");
        }
        return parse(text, file.toString());
    }

    static Recipe parse(String json, String source) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            var at = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new LabException("recipe " + source + " is not valid JSON" + at + " (" + e.getOriginalMessage()
                    + "); fix the syntax there");
        }
        if (tree == null || tree.isMissingNode() || !tree.isObject())
            throw new LabException("recipe " + source + " must be a JSON object such as {\"model\": {\"layers\": 4}}; "
                    + "every key left out takes its default");
        try {
            var merged = tree(Recipe.defaults());
            var problems = new ArrayList<Problem>();
            if (tree.path("eval") instanceof ObjectNode eval && eval.has(LEGACY_EVAL_BATCHES)) {
                var batches = eval.remove(LEGACY_EVAL_BATCHES);
                if (!eval.has("tokens") && batches.canConvertToLong())
                    eval.put("tokens", batches.asLong() * LEGACY_TOKENS_PER_BATCH);
            }
            merge(merged, tree, RecipeSchema.root(), problems);
            if (!problems.isEmpty()) throw new RecipeException(problems);
            return bind(merged);
        } catch (RecipeException e) {
            throw e.in(source);
        }
    }

    static void write(Recipe recipe, Path file) {
        try {
            var dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            AtomicFiles.writeString(file, pretty(recipe) + "\n");
        } catch (IOException e) {
            throw new LabException("recipe " + file + " cannot be written (" + e.getMessage() + "); check the folder and free space");
        }
    }

    static Recipe apply(Recipe base, Map<String, ?> changes) {
        var tree = tree(base);
        var problems = new ArrayList<Problem>();
        var flat = new LinkedHashMap<String, Object>();
        flattenChanges("", changes, new LinkedHashMap<>()).forEach((path, raw) -> {
            try {
                var now = renamed(path, raw);
                if (now == null) flat.put(path, raw);
                else flat.putIfAbsent(now.getKey(), now.getValue());
            } catch (RecipeException e) {
                problems.addAll(e.problems());
            }
        });
        flat.forEach((path, raw) -> {
            var field = RecipeSchema.field(path);
            if (field.isEmpty()) {
                problems.add(new Problem(path, RecipeSchema.unknownPathMessage(path)));
                return;
            }
            try {
                set(tree, field.get(), Values.coerce(field.get(), raw));
            } catch (RecipeException e) {
                problems.addAll(e.problems());
            }
        });
        if (!problems.isEmpty()) throw new RecipeException(problems);
        return bind(tree);
    }

    /** Flattens nested maps into dotted paths: {"optimizer": {"lr": 1}} becomes {"optimizer.lr": 1}. */
    static Map<String, Object> flattenChanges(String prefix, Map<?, ?> changes, Map<String, Object> out) {
        changes.forEach((k, v) -> {
            var path = prefix.isEmpty() ? String.valueOf(k).strip() : prefix + "." + String.valueOf(k).strip();
            if (v instanceof Map<?, ?> nested) flattenChanges(path, nested, out);
            else if (v instanceof ObjectNode node) flattenChanges(path, MAPPER.convertValue(node, Map.class), out);
            else out.put(path, v);
        });
        return out;
    }

    static void set(ObjectNode tree, Field field, JsonNode value) {
        var node = tree;
        var segments = field.path().split("\\.");
        for (int i = 0; i < segments.length - 1; i++) node = (ObjectNode) node.get(segments[i]);
        node.set(segments[segments.length - 1], value);
    }

    private static void merge(ObjectNode target, JsonNode user, Field section, List<Problem> problems) {
        var fields = user.properties();
        for (var entry : fields) {
            var key = entry.getKey();
            var path = section.path().isEmpty() ? key : section.path() + "." + key;
            var field = section.child(key);
            if (field.isEmpty()) {
                problems.add(new Problem(path, RecipeSchema.unknownPathMessage(path)));
                continue;
            }
            var f = field.get();
            if (f.isSection()) {
                if (entry.getValue().isObject()) merge((ObjectNode) target.get(f.name()), entry.getValue(), f, problems);
                else problems.add(new Problem(f.path(), f.path() + " must be " + f.describe() + (f.children().isEmpty() ? ""
                        : " such as {\"" + f.children().getFirst().name() + "\": ...}") + " (got " + entry.getValue() + ")"));
                continue;
            }
            try {
                target.set(f.name(), Values.coerce(f, entry.getValue()));
            } catch (RecipeException e) {
                problems.addAll(e.problems());
            }
        }
    }

    private static Recipe bind(JsonNode tree) {
        // Sections first, one by one, so that a file with a bad model and a bad optimizer hears about both;
        // then the whole recipe, whose constructor checks the rules between sections.
        var problems = new ArrayList<Problem>();
        for (var section : RecipeSchema.root().children()) {
            if (!section.isSection()) continue;
            try {
                bind(tree.get(section.name()), section.javaType());
            } catch (RecipeException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) throw new RecipeException(problems);
        return bind(tree, Recipe.class);
    }

    private static <T> T bind(JsonNode tree, Class<T> type) {
        try {
            return MAPPER.treeToValue(tree, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            for (Throwable t = e; t != null; t = t.getCause())
                if (t instanceof RecipeException r) throw r;
            // The schema check before binding makes this unreachable for user input; reaching it is a bug in the records.
            throw new IllegalStateException("recipe tree passed the schema but did not bind: " + e.getMessage(), e);
        }
    }

    static ObjectNode tree(Recipe recipe) {
        return MAPPER.valueToTree(recipe);
    }

    /**
     * The tree as files, hashes and diffs show it: without the trainer section while the engine trains, so engine
     * recipes keep the JSON and identity they had before external trainers.
     */
    static ObjectNode shown(Recipe recipe) {
        var tree = tree(recipe);
        if (recipe.trainer().engine()) tree.remove("trainer");
        return tree;
    }

    static Map<String, Object> flatten(Recipe recipe) {
        var out = new LinkedHashMap<String, Object>();
        flattenTree("", shown(recipe), out);
        return out;
    }

    private static void flattenTree(String prefix, JsonNode node, Map<String, Object> out) {
        for (var entry : node.properties()) {
            var path = prefix.isEmpty() ? entry.getKey() : prefix + "." + entry.getKey();
            var v = entry.getValue();
            if (v.isObject()) flattenTree(path, v, out);
            else out.put(path, plain(v, RecipeSchema.field(path).orElseThrow()));
        }
    }

    /** A JSON leaf as the Java value {@link Recipe#get} promises: Long, Double, Boolean, String or List of String. */
    static Object plain(JsonNode v, Field field) {
        if (field.type() == RecipeSchema.Type.NUMBER) return v.doubleValue();
        if (v.isIntegralNumber()) return v.longValue();
        if (v.isNumber()) return v.doubleValue();
        if (v.isBoolean()) return v.booleanValue();
        if (v.isArray()) {
            var list = new ArrayList<String>();
            v.forEach(item -> list.add(item.asText()));
            return List.copyOf(list);
        }
        return v.asText();
    }

    static String pretty(Recipe recipe) {
        var out = new StringBuilder();
        write(shown(recipe), out, false, 0);
        return out.toString();
    }

    static String canonical(Recipe recipe) {
        var out = new StringBuilder();
        write(shown(recipe), out, true, -1);
        return out.toString();
    }

    static String hash(Recipe recipe) {
        try {
            var digest = MessageDigest.getInstance("SHA-256").digest(canonical(recipe).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** indent < 0: compact. Canonical form sorts keys; the pretty form keeps the documented order. */
    private static void write(JsonNode node, StringBuilder out, boolean sortKeys, int indent) {
        if (node.isObject()) {
            Map<String, JsonNode> fields = sortKeys ? new TreeMap<>() : new LinkedHashMap<>();
            node.properties().forEach(e -> fields.put(e.getKey(), e.getValue()));
            if (fields.isEmpty()) {
                out.append("{}");
                return;
            }
            boolean compact = indent < 0;
            out.append('{');
            boolean first = true;
            for (var e : fields.entrySet()) {
                if (!first) out.append(',');
                first = false;
                if (!compact) newline(out, indent + 1);
                out.append(quote(e.getKey())).append(compact ? ":" : ": ");
                write(e.getValue(), out, sortKeys, compact ? -1 : indent + 1);
            }
            if (!compact) newline(out, indent);
            out.append('}');
        } else if (node.isArray()) {
            // Arrays here hold short strings (injections); one line reads best.
            out.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) out.append(indent < 0 ? "," : ", ");
                write(node.get(i), out, sortKeys, -1);
            }
            out.append(']');
        } else if (node.isTextual()) {
            out.append(quote(node.asText()));
        } else if (node.isIntegralNumber()) {
            out.append(node.bigIntegerValue());
        } else if (node.isNumber()) {
            out.append(Values.format(node.doubleValue()));
        } else {
            out.append(node); // booleans and null
        }
    }

    private static void newline(StringBuilder out, int indent) {
        out.append('\n').append("  ".repeat(indent));
    }

    private static String quote(String s) {
        try {
            return MAPPER.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
