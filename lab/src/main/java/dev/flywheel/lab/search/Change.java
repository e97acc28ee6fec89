package dev.flywheel.lab.search;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.recipe.Values;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A proposed edit of a recipe: dotted paths to new values, such as
 * {@code {"optimizer.lr": 0.002, "model.norm": "rmsnorm"}}. Nested objects are flattened on the way in, so
 * {@code {"optimizer": {"lr": 0.002}}} is the same change. A change says nothing about validity; a
 * {@link SearchSpace} decides that in {@link SearchSpace#apply}.
 *
 * <pre>{@code
 * var change = Change.of(Map.of("optimizer.lr", 0.002));
 * var parsed = Change.parse("{\"model.norm\": \"rmsnorm\"}");   // an agent's tool input
 * }</pre>
 */
public record Change(Map<String, Object> values) {

    public Change {
        // Kept in the proposer's order (for the journal) and allowed to hold nulls, which apply() then rejects
        // with a message instead of this constructor throwing at the caller.
        values = Collections.unmodifiableMap(new LinkedHashMap<>(Values.flattenPaths(values == null ? Map.of() : values)));
    }

    public static Change of(Map<String, ?> values) {
        return new Change(Collections.unmodifiableMap(values));
    }

    public static Change of(String path, Object value) {
        return new Change(Collections.singletonMap(path, value));
    }

    /**
     * Reads a change from JSON text such as an agent's tool input.
     *
     * @throws LabException saying what JSON was expected
     */
    public static Change parse(String json) {
        try {
            return of(Json.MAPPER.readTree(json));
        } catch (JsonProcessingException e) {
            throw new LabException("the change is not valid JSON (" + e.getOriginalMessage()
                    + "); write an object of dotted paths such as {\"optimizer.lr\": 0.002}");
        }
    }

    /** A change from a parsed JSON object. */
    public static Change of(JsonNode node) {
        if (node == null || !node.isObject())
            throw new LabException("a change must be a JSON object of dotted paths such as {\"optimizer.lr\": 0.002}, not "
                    + (node == null ? "nothing" : node.getNodeType().name().toLowerCase()));
        @SuppressWarnings("unchecked")
        Map<String, Object> map = Json.MAPPER.convertValue(node, LinkedHashMap.class);
        return new Change(map);
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** One line for tables and logs: {@code optimizer.lr=0.002, model.norm=rmsnorm}. */
    public String describe() {
        return values.entrySet().stream().map(e -> e.getKey() + "=" + Values.format(e.getValue()))
                .collect(Collectors.joining(", "));
    }

    public String toJson() {
        return Json.write(values);
    }
}
