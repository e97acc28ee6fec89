package dev.flywheel.agent;

import dev.flywheel.lab.research.Researcher;
import dev.flywheel.lab.study.Lab;

/**
 * A model behind an OpenAI-compatible chat-completions server (llama.cpp, vLLM, Ollama, OpenAI) as the study's
 * researcher: the same tools, memory, fault handling and cost control as {@link ClaudeResearcher}, through the
 * official {@code openai-java} SDK. Its id is the model name.
 */
public final class OpenAiResearcher implements Researcher {

    private final LlmSettings settings;

    public OpenAiResearcher(LlmSettings settings) {
        if (settings.baseUrl() == null)
            throw new IllegalArgumentException("--researcher openai needs the server's address: give --llm-base-url URL");
        if (settings.model() == null)
            throw new IllegalArgumentException("--researcher openai needs --model NAME, the model the server serves");
        this.settings = settings;
    }

    @Override
    public String id() {
        return settings.model();
    }

    @Override
    public void research(Lab study) {
        try (var api = new OpenAiChat(settings.model(), settings.baseUrl(), settings.apiKey(), settings.requestTimeout())) {
            new AgentLoop(AgentResearchers.OPENAI, settings.model(), api, settings).run(study);
        }
    }
}
