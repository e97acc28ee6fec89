package dev.flywheel.agent;

import java.util.Map;

/**
 * One tool as the model sees it: its name, what it does, and a JSON Schema of its arguments (an object schema, as
 * both Anthropic's {@code input_schema} and OpenAI's {@code parameters} want).
 */
public record ToolSpec(String name, String description, Map<String, Object> inputSchema) {

    public ToolSpec {
        if (!name.matches("[a-zA-Z0-9_-]{1,64}")) throw new IllegalArgumentException("bad tool name " + name);
        // kept in the given order: the tool definitions are part of the cached prefix, byte for byte
        inputSchema = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(inputSchema));
    }
}
