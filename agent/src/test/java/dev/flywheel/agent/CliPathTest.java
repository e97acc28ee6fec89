package dev.flywheel.agent;

import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.exec.InProcessExecutor;
import dev.flywheel.lab.search.Brief;
import dev.flywheel.lab.store.Store;
import dev.flywheel.lab.study.Study;
import dev.flywheel.lab.study.StudyListener;
import dev.flywheel.lab.study.StudyLoop;
import dev.flywheel.lab.study.StudySettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@code ANTHROPIC_BASE_URL=http://127.0.0.1:PORT ANTHROPIC_API_KEY=test flywheel research --researcher claude
 * --budget … --run-budget …} as the research command runs it: settings from the flags and the environment
 * (what {@code LlmOptions} does), the researcher from {@link AgentResearchers}, its id as the study's researcher,
 * the study loop, and the {@code --json} result — with a smaller budget, so the test takes seconds.
 */
class CliPathTest {

    @Test
    void theResearchCommandsPathWithClaudeEndsInAJournalAndAJsonResult(@TempDir Path lab) throws Exception {
        try (var fake = new FakeAnthropic("test")) {
            fake.whenDone(GenericModel.claude(fake));
            var env = Map.of("ANTHROPIC_BASE_URL", fake.baseUrl(), "ANTHROPIC_API_KEY", "test");
            // LlmOptions.settings("claude"): flags first, then the environment; checked before anything trains
            var llm = LlmSettings.builder().budget(LlmBudget.parse("200k")).resolve("claude", env);
            var researcher = AgentResearchers.create("claude", llm);
            // ResearchCommand.newSettings with --run-budget (steps here, for speed) and --budget
            var brief = Brief.parse(TestStudies.brief(20, 2), "test brief");
            var start = brief.startingRecipe();
            var name = "claude-cli";
            var settings = new StudySettings(name, brief, start, researcher.id(), StudyBudget.parse("5runs"),
                    lab.resolve("studies").resolve(name), TestStudies.CACHE, 1, 1, true, false, 30,
                    dev.flywheel.lab.study.DecisionSettings.keepRule()); // one run per scripted experiment
            var store = Store.open(lab.resolve("flywheel.db"));
            try (var study = Study.open(settings, false, store, new InProcessExecutor(store), StudyListener.NONE)) {
                var c = StudyLoop.run(study, researcher);
                // ResearchCommand.report's --json object
                var j = new LinkedHashMap<String, Object>();
                j.put("study", c.study());
                j.put("runs", c.runs());
                j.put("kept", c.kept());
                j.put("baseline_bpb", c.baselineMetric());
                j.put("best_bpb", c.bestMetric());
                j.put("noise_bpb", c.noiseFloor());
                j.put("test_bpb", c.testMetric());
                j.put("journal", c.journal().toString());
                assertThat(j).containsKeys("study", "runs", "kept", "baseline_bpb", "best_bpb", "noise_bpb", "test_bpb", "journal");
                assertThat(c.runs()).isEqualTo(5);
                assertThat(c.bestMetric()).isNotNull();
                var journal = Files.readString(c.journal());
                assertThat(journal).contains(LlmSettings.DEFAULT_CLAUDE_MODEL, "Learning rate 0.003 may train faster",
                        "Scripted study: learning rates tried in turn.");
                assertThat(fake.violations).isEmpty();
                assertThat(fake.received).allSatisfy(r -> assertThat(r.body().path("model").asText()).isEqualTo(LlmSettings.DEFAULT_CLAUDE_MODEL));
            }
        }
    }

    @Test
    void aMissingKeyIsOneSentenceBeforeAnythingTrains() {
        var e = catchThrowable(() -> LlmSettings.builder().resolve("claude", Map.of("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")));
        assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ANTHROPIC_API_KEY")
                .hasMessageNotContaining("\n");
        assertThat(e.getMessage().split("\\. ")).hasSize(1);
        var blank = catchThrowable(() -> LlmSettings.builder().resolve("claude", Map.of("ANTHROPIC_API_KEY", "  ")));
        assertThat(blank).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ANTHROPIC_API_KEY");
        // builtin and random need no key
        assertThat(AgentResearchers.create("builtin", LlmSettings.builder().resolve("builtin", Map.of())).id()).isEqualTo("builtin");
        assertThat(AgentResearchers.create("random", LlmSettings.builder().resolve("random", Map.of())).id()).isEqualTo("random");
        assertThat(catchThrowable(() -> AgentResearchers.create("gpt-5", LlmSettings.builder().build())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("builtin, random, claude or openai");
        assertThat(catchThrowable(() -> LlmSettings.builder().resolve("gpt-5", Map.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("builtin, random, claude or openai");
    }

    @Test
    void aResumedStudyRecreatesItsResearcherFromTheModelIdTheJournalRecorded() {
        // ResearchCommand on --resume: settings and researcher from the id in study.json
        var llm = LlmSettings.builder().resolve("claude-opus-4-7", Map.of("ANTHROPIC_API_KEY", "k"));
        assertThat(llm.model()).isEqualTo("claude-opus-4-7");
        assertThat(AgentResearchers.create("claude-opus-4-7", llm)).isInstanceOf(ClaudeResearcher.class)
                .satisfies(r -> assertThat(r.id()).isEqualTo("claude-opus-4-7"));
        assertThat(catchThrowable(() -> LlmSettings.builder().resolve("claude-opus-4-7", Map.of())))
                .hasMessageContaining("ANTHROPIC_API_KEY");
        var local = LlmSettings.builder().baseUrl("http://127.0.0.1:8080/v1").resolve("llama3.1", Map.of());
        assertThat(local.model()).isEqualTo("llama3.1");
        assertThat(AgentResearchers.create("llama3.1", local)).isInstanceOf(OpenAiResearcher.class)
                .satisfies(r -> assertThat(r.id()).isEqualTo("llama3.1"));
    }
}
