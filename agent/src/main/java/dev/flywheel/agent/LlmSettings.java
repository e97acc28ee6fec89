package dev.flywheel.agent;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How an LLM researcher talks to its model: which model at which endpoint with which key, the research brief it
 * works from, what it may spend, and how it rides out faults and long studies.
 *
 * <pre>{@code
 * var settings = LlmSettings.builder().model("claude-sonnet-4-6").budget(LlmBudget.parse("$2"))
 *         .resolve("claude", System.getenv());          // reads ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL
 * Researcher r = AgentResearchers.create("claude", settings);
 * }</pre>
 *
 * @param model            the model id ({@code claude-sonnet-4-6}, or what an OpenAI-compatible server serves)
 * @param baseUrl          the endpoint, or null for Anthropic's own
 * @param apiKey           the key, or null where none is needed (a local server)
 * @param brief            the research brief in Markdown, or null to use the study's own brief
 * @param budget           the study's LLM spending ceiling
 * @param prices           token prices, or null for the model's list price ({@link Prices#claude}) or free (local)
 * @param requestTimeout   how long one call may take before it counts as a timeout (and is retried)
 * @param retry            backoff and the time after which the built-in researcher takes over
 * @param maxTokens        output tokens per call (doubled, up to 16k, after a reply is cut off)
 * @param memoryEvery      restart the conversation from the journal's memory after this many experiments
 * @param memoryAtTokens   ... or once one call reads this many context tokens
 * @param seed             seed of the built-in researcher when it takes over
 */
public record LlmSettings(String model, String baseUrl, ApiKey apiKey, String brief, LlmBudget budget, Prices prices,
                          Duration requestTimeout, RetryPolicy retry, int maxTokens, int memoryEvery,
                          long memoryAtTokens, long seed) {

    /** The Claude model used when --model is not given. */
    public static final String DEFAULT_CLAUDE_MODEL = "claude-sonnet-4-6";
    public static final String ANTHROPIC_API_KEY = "ANTHROPIC_API_KEY", ANTHROPIC_BASE_URL = "ANTHROPIC_BASE_URL";
    public static final String OPENAI_API_KEY = "OPENAI_API_KEY", OPENAI_BASE_URL = "OPENAI_BASE_URL";

    public LlmSettings {
        Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(retry, "retry");
        if (maxTokens < 16) throw new IllegalArgumentException("the LLM's output limit must be at least 16 tokens");
        if (memoryEvery < 1) throw new IllegalArgumentException("--llm-memory-every must be at least 1 experiment");
        if (memoryAtTokens < 1000) throw new IllegalArgumentException("the memory restart threshold must be at least 1000 tokens");
        if (requestTimeout.isNegative() || requestTimeout.isZero()) throw new IllegalArgumentException("--llm-timeout must be positive");
    }

    /**
     * Parses a duration such as {@code 500ms}, {@code 90s}, {@code 3m} or {@code 1h} (a bare number is seconds).
     *
     * @throws IllegalArgumentException naming {@code flag} and what to write
     */
    public static Duration duration(String text, String flag) {
        var m = java.util.regex.Pattern.compile("(?i)\\s*(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|min|h)?\\s*").matcher(text == null ? "" : text);
        if (!m.matches())
            throw new IllegalArgumentException(flag + " must be a duration such as 90s, 3m or 1h, not \"" + text + "\"");
        double v = Double.parseDouble(m.group(1));
        double ms = v * switch (m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT)) {
            case "ms" -> 1;
            case "m", "min" -> 60_000;
            case "h" -> 3_600_000;
            default -> 1000;
        };
        if (ms < 1) throw new IllegalArgumentException(flag + " must be longer than 0");
        return Duration.ofMillis(Math.round(ms));
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        var b = new Builder();
        b.model = model;
        b.baseUrl = baseUrl;
        b.apiKey = apiKey;
        b.brief = brief;
        b.budget = budget;
        b.prices = prices;
        b.requestTimeout = requestTimeout;
        b.retry = retry;
        b.maxTokens = maxTokens;
        b.memoryEvery = memoryEvery;
        b.memoryAtTokens = memoryAtTokens;
        b.seed = seed;
        return b;
    }

    /** The prices a budget and the journal use: the given ones, else Claude's list price, else free. */
    Prices pricesFor(String provider) {
        if (prices != null) return prices;
        return provider.equals(AgentResearchers.CLAUDE) ? Prices.claude(model) : Prices.FREE;
    }

    /** Builds settings; {@link #resolve} fills the key and endpoint from the environment and checks them. */
    public static final class Builder {
        private String model, baseUrl, brief;
        private ApiKey apiKey;
        private LlmBudget budget;
        private Prices prices;
        private Duration requestTimeout = Duration.ofMinutes(3);
        private RetryPolicy retry = RetryPolicy.DEFAULT;
        private int maxTokens = 4096, memoryEvery = 10;
        private long memoryAtTokens = 60_000, seed = 1;

        public Builder model(String v) { model = blankToNull(v); return this; }
        public Builder baseUrl(String v) { baseUrl = blankToNull(v); return this; }
        public Builder apiKey(ApiKey v) { apiKey = v; return this; }
        public Builder brief(String v) { brief = blankToNull(v); return this; }
        public Builder budget(LlmBudget v) { budget = v; return this; }
        public Builder prices(Prices v) { prices = v; return this; }
        public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
        public Builder retry(RetryPolicy v) { retry = v; return this; }
        public Builder fallbackAfter(Duration v) { retry = retry.withFallbackAfter(v); return this; }
        public Builder maxTokens(int v) { maxTokens = v; return this; }
        public Builder memoryEvery(int v) { memoryEvery = v; return this; }
        public Builder memoryAtTokens(long v) { memoryAtTokens = v; return this; }
        public Builder seed(long v) { seed = v; return this; }

        /** The settings as given, nothing read from the environment. */
        public LlmSettings build() {
            return new LlmSettings(model, baseUrl, apiKey, brief, budget == null ? LlmBudget.UNLIMITED : budget, prices,
                    requestTimeout, retry, maxTokens, memoryEvery, memoryAtTokens, seed);
        }

        /**
         * The settings for {@code researcher} (claude, openai, builtin, random), with what the flags left open taken
         * from {@code env}: for claude the key from ANTHROPIC_API_KEY only and the endpoint from the base URL given
         * here, else ANTHROPIC_BASE_URL, else Anthropic's; for openai the endpoint from the base URL given here or
         * OPENAI_BASE_URL, and OPENAI_API_KEY if the server wants a key. Checks everything before any training starts.
         *
         * @throws IllegalArgumentException in one sentence naming what is missing and how to give it
         */
        public LlmSettings resolve(String researcher, Map<String, String> env) {
            var id = researcher == null ? AgentResearchers.BUILTIN : researcher.strip();
            var kind = id.toLowerCase(Locale.ROOT);
            if (!kind.equals(AgentResearchers.CLAUDE) && kind.startsWith("claude")) {
                // a resumed study names its researcher by the model id its journal recorded
                if (model == null) model = id;
                kind = AgentResearchers.CLAUDE;
            } else if (!Set.of(AgentResearchers.CLAUDE, AgentResearchers.OPENAI, AgentResearchers.BUILTIN, AgentResearchers.RANDOM).contains(kind)) {
                if (baseUrl == null && blankToNull(env.get(OPENAI_BASE_URL)) == null)
                    throw new IllegalArgumentException("researcher \"" + researcher + "\" is not known; use builtin, random, "
                            + "claude or openai");
                if (model == null) model = id;
                kind = AgentResearchers.OPENAI;
            }
            switch (kind) {
                case AgentResearchers.CLAUDE -> {
                    apiKey = ApiKey.fromEnvironment(env, ANTHROPIC_API_KEY).orElseThrow(() -> new IllegalArgumentException(
                            ANTHROPIC_API_KEY + " is not set: --researcher claude reads the Anthropic API key only from that "
                                    + "environment variable, so export it (or use --researcher builtin)"));
                    if (baseUrl == null) baseUrl = blankToNull(env.get(ANTHROPIC_BASE_URL));
                    if (model == null) model = DEFAULT_CLAUDE_MODEL;
                    if (budget == null) budget = LlmBudget.parse("$5");
                }
                case AgentResearchers.OPENAI -> {
                    if (baseUrl == null) baseUrl = blankToNull(env.get(OPENAI_BASE_URL));
                    if (baseUrl == null) throw new IllegalArgumentException("--researcher openai needs the server's address: "
                            + "give --llm-base-url URL, such as http://localhost:8080/v1 for llama.cpp, http://localhost:8000/v1 "
                            + "for vLLM or http://localhost:11434/v1 for Ollama");
                    if (model == null) throw new IllegalArgumentException("--researcher openai needs --model NAME, the name of "
                            + "the model the server at " + baseUrl + " serves");
                    if (apiKey == null) apiKey = ApiKey.fromEnvironment(env, OPENAI_API_KEY).orElse(null);
                    if (budget != null && budget.dollars() != null && prices == null)
                        throw new IllegalArgumentException("a dollar --llm-budget needs the model's prices for a local "
                                + "server: add --llm-price IN/OUT (dollars per million tokens), or give the budget in tokens (200k)");
                }
                default -> {
                    // builtin and random need no model; the other settings are checked all the same
                }
            }
            if (baseUrl != null) checkUrl(baseUrl);
            return build();
        }

        private static void checkUrl(String url) {
            try {
                var u = URI.create(url);
                if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null)
                    throw new IllegalArgumentException();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the LLM endpoint \"" + url + "\" is not an http(s) URL; give one such as "
                        + "http://127.0.0.1:8080/v1");
            }
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s.strip();
        }
    }
}
