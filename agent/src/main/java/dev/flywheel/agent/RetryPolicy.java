package dev.flywheel.agent;

import java.time.Duration;
import java.util.Objects;

/**
 * How LLM calls that fail for a passing reason — 429, 529 and other 5xx answers, timeouts, dropped connections —
 * are retried: exponential backoff from {@code initialDelay}, doubling up to {@code maxDelay}, each delay shortened
 * by up to a quarter at random (so many clients do not retry in step) — unless the server says when to come back
 * ({@code retry-after}), which is respected as given. When the model has been unreachable for longer than
 * {@code fallbackAfter}, the study goes on with the built-in researcher.
 */
public record RetryPolicy(Duration initialDelay, Duration maxDelay, Duration fallbackAfter) {

    public static final RetryPolicy DEFAULT = new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMinutes(5));

    public RetryPolicy {
        Objects.requireNonNull(initialDelay, "initialDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        Objects.requireNonNull(fallbackAfter, "fallbackAfter");
        if (initialDelay.isNegative() || maxDelay.compareTo(initialDelay) < 0)
            throw new IllegalArgumentException("retry delays must be positive, the longest at least the first");
        if (fallbackAfter.isNegative() || fallbackAfter.isZero())
            throw new IllegalArgumentException("the fallback time must be positive");
    }

    /** The backoff before retry number {@code attempt} (0 for the first), jittered with {@code random} in [0, 1). */
    public Duration backoff(int attempt, double random) {
        double ms = initialDelay.toMillis() * Math.pow(2, Math.min(attempt, 30));
        ms = Math.min(ms, maxDelay.toMillis());
        return Duration.ofMillis(Math.round(ms * (1 - 0.25 * random)));
    }

    public RetryPolicy withFallbackAfter(Duration d) {
        return new RetryPolicy(initialDelay, maxDelay, d);
    }
}
