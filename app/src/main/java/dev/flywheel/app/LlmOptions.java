package dev.flywheel.app;

import dev.flywheel.agent.LlmBudget;
import dev.flywheel.agent.LlmSettings;
import dev.flywheel.agent.Prices;
import picocli.CommandLine.Option;

import java.util.Map;

/**
 * The flags of an LLM researcher ({@code --researcher claude} or {@code openai}), as a picocli mixin. The API key
 * is never a flag: Claude's comes only from ANTHROPIC_API_KEY, an OpenAI-compatible server's from OPENAI_API_KEY
 * if it wants one. {@link #settings} checks everything before any training starts.
 */
final class LlmOptions {

    @Option(names = "--model", paramLabel = "ID", description = {"The model: a Claude model id for --researcher claude "
            + "(default: " + LlmSettings.DEFAULT_CLAUDE_MODEL + "), or the name an OpenAI-compatible server serves (required for --researcher openai)."})
    String model;

    @Option(names = "--llm-base-url", paramLabel = "URL", description = {"The LLM endpoint. Claude: default $ANTHROPIC_BASE_URL, else "
            + "Anthropic's. openai: the server, such as http://localhost:8080/v1 (llama.cpp), http://localhost:8000/v1 (vLLM), "
            + "http://localhost:11434/v1 (Ollama); default $OPENAI_BASE_URL."})
    String baseUrl;

    @Option(names = "--llm-budget", paramLabel = "TOKENS|DOLLARS", description = {"The study's LLM spending ceiling: tokens "
            + "(200k, 1.5M) or dollars ('$2' in single quotes, or 2usd). When it is spent the built-in researcher continues. "
            + "Default: $5 for claude, no ceiling for openai."})
    String budget;

    @Option(names = "--llm-price", paramLabel = "IN/OUT", description = {"Dollars per million input/output tokens, for a dollar "
            + "budget with a model the price list does not know (default: Claude's list price by family; free for openai)."})
    String price;

    @Option(names = "--llm-timeout", paramLabel = "DURATION", defaultValue = "3m", description = {"How long one LLM call may "
            + "take before it is retried (default: ${DEFAULT-VALUE})."})
    String timeout;

    @Option(names = "--llm-fallback-after", paramLabel = "DURATION", defaultValue = "5m", description = {"When the LLM has been "
            + "unreachable this long, the built-in researcher continues the study (default: ${DEFAULT-VALUE})."})
    String fallbackAfter;

    @Option(names = "--llm-max-tokens", converter = Numbers.PositiveInt.class, paramLabel = "N", defaultValue = "4096", description = {"Output tokens per LLM "
            + "call (default: ${DEFAULT-VALUE})."})
    int maxTokens;

    @Option(names = "--llm-memory-every", converter = Numbers.PositiveInt.class, paramLabel = "N", defaultValue = "10", description = {"Restart the conversation "
            + "from the journal's memory after this many experiments (default: ${DEFAULT-VALUE})."})
    int memoryEvery;

    /**
     * The settings for {@code researcher} (claude, openai, builtin, random), from these flags and the environment.
     *
     * @param seed seed of the built-in researcher, should it take over
     * @throws IllegalArgumentException in one sentence: no ANTHROPIC_API_KEY for claude, no URL or model for openai,
     *                                  a malformed budget, price or duration
     */
    LlmSettings settings(String researcher, long seed) {
        return settings(researcher, seed, System.getenv());
    }

    LlmSettings settings(String researcher, long seed, Map<String, String> env) {
        var b = LlmSettings.builder()
                .model(model)
                .baseUrl(baseUrl)
                .requestTimeout(LlmSettings.duration(timeout, "--llm-timeout"))
                .fallbackAfter(LlmSettings.duration(fallbackAfter, "--llm-fallback-after"))
                .maxTokens(maxTokens)
                .memoryEvery(memoryEvery)
                .seed(seed);
        if (budget != null) b.budget(LlmBudget.parse(budget));
        if (price != null) b.prices(Prices.parse(price));
        return b.resolve(researcher, env);
    }
}
