package dev.flywheel.agent;

import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.Store;
import dev.flywheel.lab.study.StudyLoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static dev.flywheel.agent.FakeOpenAi.call;
import static dev.flywheel.agent.FakeServer.checking;
import static org.assertj.core.api.Assertions.assertThat;

/** The same research through an OpenAI-compatible chat-completions server (llama.cpp, vLLM, Ollama), end to end. */
class OpenAiStudyTest {

    static final String MODEL = "qwen2.5-7b-instruct";

    @Test
    void aLocalModelRunsAStudyThroughChatCompletionsWithTools(@TempDir Path lab) throws Exception {
        try (var fake = new FakeOpenAi("local-key", MODEL)) {
            var store = Store.open(lab.resolve("flywheel.db"));
            fake.then(
                    fake.reply("", call("study_state", "{}")),
                    checking(r -> assertThat(FakeOpenAi.toolMessages(r).getFirst().path("content").asText()).contains("search_space"),
                            fake.reply("I'll raise the learning rate.", call("run_experiment",
                                    "{\"hypothesis\": \"A higher learning rate helps\", \"changes\": {\"optimizer.lr\": 0.003"))),
                    checking(r -> assertThat(FakeOpenAi.toolMessages(r).getFirst().path("content").asText())
                                    .startsWith("ERROR:").contains("not valid JSON"),
                            fake.reply("", call("run_experiment",
                                    "{\"hypothesis\": \"A higher learning rate helps\", \"changes\": {\"optimizer.lr\": 0.003}}"))),
                    checking(r -> assertThat(FakeOpenAi.toolMessages(r).getFirst().path("content").asText()).contains("\"decision\""),
                            fake.reply("", call("note", "{\"text\": \"lr 0.003 is better\"}"), call("finish", "{\"summary\": \"A local model finished.\"}"))));
            var settings = LlmSettings.builder().baseUrl(fake.baseUrl()).model(MODEL).requestTimeout(Duration.ofSeconds(20))
                    .budget(LlmBudget.parse("500k"))
                    .resolve("openai", Map.of(LlmSettings.OPENAI_API_KEY, "local-key"));
            assertThat(settings.baseUrl()).isEqualTo(fake.baseUrl());
            var researcher = AgentResearchers.create("openai", settings);
            assertThat(researcher.id()).isEqualTo(MODEL);
            try (var study = TestStudies.open(store, TestStudies.settings(lab, "openai", researcher.id(), "4runs", false))) {
                var conclusion = StudyLoop.run(study, researcher);
                assertThat(fake.violations).isEmpty();
                assertThat(fake.remaining()).isZero();
                var journal = Files.readString(conclusion.journal());
                assertThat(journal).contains(MODEL, "A higher learning rate helps", "lr 0.003 is better", "A local model finished.",
                        "not valid JSON", "LLM usage of " + MODEL);
                assertThat(store.runs("openai")).filteredOn(r -> r.role() == Role.EXPERIMENT).singleElement()
                        .satisfies(r -> assertThat(r.proposer()).isEqualTo(MODEL));
                var usage = Files.readAllLines(study.directory().resolve(UsageLedger.FILE));
                assertThat(usage).hasSize(1 + 4);
                assertThat(Long.parseLong(usage.get(2).split("\t")[4])).as("cached prompt tokens of the second call").isPositive();
            }
        }
    }

    @Test
    void theBaseUrlGetsItsV1PathAndMissingSettingsAreOneSentence() {
        assertThat(OpenAiChat.normalize("http://localhost:8080")).isEqualTo("http://localhost:8080/v1");
        assertThat(OpenAiChat.normalize("http://localhost:11434/v1/")).isEqualTo("http://localhost:11434/v1");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> LlmSettings.builder().model("m").resolve("openai", Map.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--llm-base-url");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> LlmSettings.builder().baseUrl("http://localhost:8080/v1").resolve("openai", Map.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--model");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> LlmSettings.builder().baseUrl("http://localhost:8080/v1").model("m")
                        .budget(LlmBudget.parse("$2")).resolve("openai", Map.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--llm-price");
    }
}
