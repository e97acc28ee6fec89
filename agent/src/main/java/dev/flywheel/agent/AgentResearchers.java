package dev.flywheel.agent;

import dev.flywheel.lab.research.Researcher;
import dev.flywheel.lab.research.Researchers;

import java.util.Locale;

/**
 * Every researcher by the id the command line uses: {@code claude} and {@code openai} from this module,
 * {@code builtin} and {@code random} from the lab.
 *
 * <pre>{@code
 * var settings = llmOptions.settings(researcher);          // checks ANTHROPIC_API_KEY etc. before any training
 * Researcher r = AgentResearchers.create(researcher, settings);
 * }</pre>
 */
public final class AgentResearchers {

    public static final String CLAUDE = "claude", OPENAI = "openai", BUILTIN = "builtin", RANDOM = "random";

    private AgentResearchers() {
    }

    /**
     * The researcher {@code id} names: claude, openai, builtin or random — or, when a study is resumed, the model id
     * its journal recorded: a {@code claude-…} id is Claude with that model, any other model id is the
     * OpenAI-compatible server of the settings (resolve the settings with the same id: {@code
     * LlmSettings.Builder#resolve(id, env)}).
     *
     * @throws IllegalArgumentException in one sentence, for an unknown id or missing settings (no API key, no
     *                                  endpoint for openai)
     */
    public static Researcher create(String id, LlmSettings settings) {
        var name = id == null ? BUILTIN : id.strip();
        var kind = name.toLowerCase(Locale.ROOT);
        return switch (kind) {
            case BUILTIN, RANDOM -> Researchers.create(kind, settings == null ? 1 : settings.seed());
            case CLAUDE -> new ClaudeResearcher(require(settings));
            case OPENAI -> new OpenAiResearcher(require(settings));
            default -> {
                // a resumed study: its journal names the researcher by model id
                if (kind.startsWith("claude")) yield new ClaudeResearcher(require(settings).toBuilder().model(name).build());
                if (settings != null && settings.baseUrl() != null && (settings.model() == null || settings.model().equals(name)))
                    yield new OpenAiResearcher(settings.toBuilder().model(name).build());
                throw new IllegalArgumentException("researcher \"" + id + "\" is not known; use builtin, random, claude or openai");
            }
        };
    }

    private static LlmSettings require(LlmSettings s) {
        if (s == null) throw new IllegalArgumentException("an LLM researcher needs its settings (model, endpoint, key)");
        return s;
    }
}
