package dev.flywheel.lab.recipe;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.flywheel.lab.recipe.RecipeSchema.Field;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How recipe values are read forgivingly and written the same way every time. One coercion serves recipe
 * files, CLI overrides, briefs and a researcher's changes, so "0.002", 0.002 and 2e-3 mean the same everywhere.
 */
public final class Values {

    private Values() {
    }

    /**
     * {@code raw} as the JSON value the field holds: numbers from numbers or numeric strings, whole numbers only
     * when integral ("4", 4.0), booleans from true/false in any case, variants by id in any case or separator
     * style ("RMSNorm", "rms_norm"), a single text where a list is expected.
     *
     * @throws RecipeException with one sentence naming the path, what was given and what is accepted
     */
    public static JsonNode coerce(Field field, JsonNode raw) {
        if (raw == null || raw.isNull() || raw.isMissingNode())
            throw wrong(field, "nothing", "remove the key to keep the current value");
        return switch (field.type()) {
            case SECTION, ARGS -> throw RecipeException.of(field.path(), field.path() + " is a section, not a setting; give "
                    + field.describe() + ", or change one of " + field.children().stream().map(Field::path)
                    .limit(4).collect(Collectors.joining(", ")) + ", ...");
            case INTEGER -> integer(field, raw);
            case ARG -> arg(field, raw);
            case NUMBER -> number(field, raw);
            case BOOLEAN -> {
                if (raw.isBoolean()) yield raw;
                if (raw.isTextual() && raw.asText().strip().equalsIgnoreCase("true")) yield BooleanNode.TRUE;
                if (raw.isTextual() && raw.asText().strip().equalsIgnoreCase("false")) yield BooleanNode.FALSE;
                throw wrong(field, show(raw), "write true or false");
            }
            case CHOICE -> {
                if (raw.isTextual()) {
                    var wanted = RecipeSchema.normalize(raw.asText().strip());
                    for (var c : field.choices()) if (RecipeSchema.normalize(c).equals(wanted)) yield TextNode.valueOf(c);
                }
                throw RecipeException.of(field.path(), field.path() + " must be one of " + String.join(", ", field.choices())
                        + " (got " + show(raw) + ")");
            }
            case TEXT -> {
                if (raw.isTextual() || raw.isNumber()) yield TextNode.valueOf(raw.asText());
                throw wrong(field, show(raw), "write it as a JSON string in quotes");
            }
            case TEXT_LIST -> {
                if (raw.isTextual()) yield JsonNodeFactory.instance.arrayNode().add(raw.asText());
                if (raw.isArray()) {
                    var out = JsonNodeFactory.instance.arrayNode();
                    for (var item : raw) {
                        if (!item.isTextual()) throw wrong(field, show(raw), "write a list of strings such as [\"nan@150\"]");
                        out.add(item.asText());
                    }
                    yield out;
                }
                throw wrong(field, show(raw), "write a list of strings such as [\"nan@150\"]");
            }
        };
    }

    /** Coerces a plain Java value (Number, String, Boolean, List, or a JsonNode) — what a researcher's change holds. */
    public static JsonNode coerce(Field field, Object raw) {
        return coerce(field, raw instanceof JsonNode n ? n : RecipeJson.MAPPER.valueToTree(raw));
    }

    /**
     * {@code raw} coerced for {@code field} as the plain Java value {@link Recipe#get} returns: Long, Double,
     * Boolean, String (a variant's id) or List of String.
     *
     * @throws RecipeException as {@link #coerce(Field, JsonNode)}
     */
    public static Object read(Field field, Object raw) {
        return RecipeJson.plain(coerce(field, raw), field);
    }

    /** Nested maps as dotted paths: {"optimizer": {"lr": 1}} becomes {"optimizer.lr": 1}; order is kept. */
    public static java.util.Map<String, Object> flattenPaths(java.util.Map<?, ?> values) {
        return RecipeJson.flattenChanges("", values, new java.util.LinkedHashMap<>());
    }

    private static JsonNode integer(Field field, JsonNode raw) {
        BigDecimal value = null;
        if (raw.isIntegralNumber()) value = new BigDecimal(raw.bigIntegerValue());
        else if (raw.isNumber() && Double.isFinite(raw.doubleValue())) value = raw.decimalValue();
        else if (raw.isTextual()) value = decimal(raw.asText());
        if (value == null) throw wrong(field, show(raw), "write a whole number such as 4");
        long whole;
        try {
            whole = value.stripTrailingZeros().longValueExact();
        } catch (ArithmeticException e) {
            throw RecipeException.of(field.path(), field.path() + " must be a whole number (got " + value.stripTrailingZeros().toPlainString() + ")");
        }
        if (field.javaType() == int.class || field.javaType() == Integer.class) {
            if (whole < Integer.MIN_VALUE || whole > Integer.MAX_VALUE)
                throw RecipeException.of(field.path(), field.path() + " is too large (got " + whole + ")");
            return IntNode.valueOf((int) whole);
        }
        return LongNode.valueOf(whole);
    }

    /**
     * A trainer's own setting as given: whole numbers stay whole ({@code --batch=8}), other numbers are doubles,
     * numeric texts are numbers, "true"/"false" are booleans, anything else is a text.
     */
    private static JsonNode arg(Field field, JsonNode raw) {
        if (raw.isIntegralNumber()) return LongNode.valueOf(raw.longValue());
        if (raw.isNumber()) return number(field, raw);
        if (raw.isBoolean()) return raw;
        if (!raw.isTextual()) throw wrong(field, show(raw), "write a number, true/false or a text");
        var text = raw.asText().strip();
        if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) return BooleanNode.valueOf(text.equalsIgnoreCase("true"));
        var d = decimal(text);
        if (d == null) return TextNode.valueOf(text);
        if (text.matches("[-+]?\\d+")) return LongNode.valueOf(d.longValueExact());
        return number(field, raw);
    }

    private static JsonNode number(Field field, JsonNode raw) {
        double value = Double.NaN;
        if (raw.isNumber()) value = raw.doubleValue();
        else if (raw.isTextual()) {
            var d = decimal(raw.asText());
            if (d != null) value = d.doubleValue();
        }
        if (!Double.isFinite(value)) throw wrong(field, show(raw), "write a number such as 0.001 or 1e-3");
        return DoubleNode.valueOf(value == 0 ? 0.0 : value); // -0.0 would hash differently from 0.0
    }

    private static BigDecimal decimal(String text) {
        try {
            return new BigDecimal(text.strip().replace("_", ""));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static RecipeException wrong(Field field, String got, String fix) {
        return RecipeException.of(field.path(), field.path() + " must be " + field.describe() + " (got " + got + "); " + fix);
    }

    private static String show(JsonNode raw) {
        var s = raw.toString();
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }

    /** A value as people read it in diffs and messages: 0.001, 1e-8, 4.0, 128, rmsnorm, [nan@150]. */
    public static String format(Object value) {
        return switch (value) {
            case null -> "null";
            case Double d -> format(d.doubleValue());
            case Float f -> format(f.doubleValue());
            case List<?> list -> list.stream().map(Values::format).collect(Collectors.joining(", ", "[", "]"));
            case Recipe.Choice c -> c.id();
            default -> value.toString();
        };
    }

    /**
     * A double in its shortest round-tripping digits: plain from 1e-4 up to 1e7 (0.0001, 0.001, 4.0 — whole
     * values keep ".0" so they read as real numbers), with an exponent outside that (1e-8, 2.5e-5, 1e15).
     * This is also the canonical JSON number format, so changing it changes every recipe's hash.
     */
    public static String format(double x) {
        if (x == 0) return "0.0";
        var s = Double.toString(x);
        int e = s.indexOf('E');
        if (e < 0) return s;
        double magnitude = Math.abs(x);
        if (magnitude >= 1e-4 && magnitude < 1e7) {
            var plain = new java.math.BigDecimal(s).stripTrailingZeros().toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        var mantissa = s.substring(0, e);
        if (mantissa.endsWith(".0")) mantissa = mantissa.substring(0, mantissa.length() - 2);
        return mantissa + "e" + s.substring(e + 1);
    }

    /** Writes whole doubles as integers (a budget of 60 seconds reads "amount": 60), others as doubles. */
    public static final class WholeNumberSerializer extends JsonSerializer<Double> {
        @Override
        public void serialize(Double value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            if (value == Math.rint(value) && Math.abs(value) < 9.0e15) gen.writeNumber(value.longValue());
            else gen.writeNumber(value);
        }
    }
}
