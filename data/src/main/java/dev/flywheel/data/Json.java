package dev.flywheel.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The data pipeline's one Jackson configuration. Records are written with snake_case keys (meta.json, the
 * summary line of {@code data prepare --json}); maps and trees keep their keys as they are. Output is compact
 * unless asked for {@link #pretty}, so canonical forms (the cache key, the tokenizer file) stay byte-stable.
 */
public final class Json {

    private Json() {
    }

    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .build();

    /** Compact JSON of a value the pipeline built itself; failing here is a bug, not a user error. */
    public static String write(Object value) {
        return string(MAPPER.writer(), value);
    }

    /** Indented JSON (Jackson's default pretty printer), for files people read. */
    public static String pretty(Object value) {
        return string(MAPPER.writerWithDefaultPrettyPrinter(), value);
    }

    private static String string(ObjectWriter writer, Object value) {
        try {
            return writer.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }
}
