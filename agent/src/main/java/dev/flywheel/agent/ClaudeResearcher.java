package dev.flywheel.agent;

import dev.flywheel.lab.research.Researcher;
import dev.flywheel.lab.study.Lab;

/**
 * Claude as the study's researcher: a tool-use conversation over the lab ({@link LabTools}) through Anthropic's
 * Messages API and its official Java SDK. Its id — what the journal records as the proposer of its runs — is the
 * model id. The API key comes only from the settings (the command line reads it from ANTHROPIC_API_KEY).
 */
public final class ClaudeResearcher implements Researcher {

    private final LlmSettings settings;
    private final String model;

    public ClaudeResearcher(LlmSettings settings) {
        if (settings.apiKey() == null)
            throw new IllegalArgumentException(LlmSettings.ANTHROPIC_API_KEY + " is not set: --researcher claude reads the "
                    + "Anthropic API key only from that environment variable, so export it (or use --researcher builtin)");
        this.settings = settings;
        this.model = settings.model() != null ? settings.model() : LlmSettings.DEFAULT_CLAUDE_MODEL;
    }

    @Override
    public String id() {
        return model;
    }

    @Override
    public void research(Lab study) {
        try (var api = new AnthropicChat(model, settings.baseUrl(), settings.apiKey(), settings.requestTimeout())) {
            new AgentLoop(AgentResearchers.CLAUDE, model, api, settings).run(study);
        }
    }
}
