package dev.flywheel.agent;

import java.util.Map;
import java.util.Optional;

/**
 * An API key, read from the environment and handed only to the SDK client that sends it. It never prints: its
 * {@link #toString()} says where it came from, not what it is, so a settings record, an exception message or a log
 * line that includes it by accident shows no secret.
 */
public final class ApiKey {

    private final String value;
    private final String source;

    private ApiKey(String value, String source) {
        this.value = value;
        this.source = source;
    }

    /** The key in environment variable {@code name}, if it is set and not blank. */
    public static Optional<ApiKey> fromEnvironment(Map<String, String> env, String name) {
        var v = env.get(name);
        if (v == null || v.isBlank()) return Optional.empty();
        return Optional.of(new ApiKey(v.strip(), name));
    }

    /** A key given in code (tests, or a local server that wants any key at all). */
    public static ApiKey of(String value, String source) {
        if (value == null || value.isBlank()) throw new IllegalArgumentException("an API key cannot be empty");
        return new ApiKey(value.strip(), source);
    }

    /** The secret itself, for the SDK client only. */
    String reveal() {
        return value;
    }

    /** Where the key came from, such as ANTHROPIC_API_KEY. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return "ApiKey[from " + source + ", redacted]";
    }
}
