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

import static dev.flywheel.agent.FakeAnthropic.call;
import static dev.flywheel.agent.FakeServer.checking;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A study longer than one conversation and dearer than its LLM budget: the conversation restarts from the journal's
 * memory after every experiment, and when the token ceiling is reached the built-in researcher takes over.
 */
class LongStudyTest {

    static final String KEY = "sk-ant-test-long";

    @Test
    void theConversationRestartsFromMemoryAndTheLlmBudgetHandsOverToTheBuiltinResearcher(@TempDir Path lab) throws Exception {
        try (var fake = new FakeAnthropic(KEY)) {
            var store = Store.open(lab.resolve("flywheel.db"));
            fake.then(
                    fake.reply("", call("run_experiment", """
                            {"hypothesis": "A higher learning rate trains faster.", "changes": {"optimizer.lr": 0.003}}""")),
                    checking(r -> {
                        assertThat(r.body().path("messages")).as("a fresh conversation").hasSize(1);
                        assertThat(FakeAnthropic.lastUserText(r)).contains("Memory of this study (conversation restart 1)",
                                "optimizer.lr=0.003", "A higher learning rate trains faster", "Where you left off",
                                "You called run_experiment");
                    }, fake.reply("", call("run_experiment", """
                            {"hypothesis": "RMSNorm trains as well.", "changes": {"model.norm": "rmsnorm"}}"""))),
                    checking(r -> assertThat(FakeAnthropic.lastUserText(r)).contains("conversation restart 2", "model.norm=rmsnorm",
                                    "optimizer.lr=0.003"),
                            fake.reply("", call("note", "{\"text\": \"Learning rate first, norms do not matter.\"}"),
                                    call("run_experiment", """
                                            {"hypothesis": "Rotary positions generalise better.", "changes": {"model.position": "rope"}}"""))));
            fake.whenDone(GenericModel.claude(fake));
            var settings = LlmSettings.builder().baseUrl(fake.baseUrl()).memoryEvery(1).budget(LlmBudget.parse("7k"))
                    .retry(new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofSeconds(10)))
                    .resolve("claude", Map.of(LlmSettings.ANTHROPIC_API_KEY, KEY));
            var researcher = AgentResearchers.create("claude", settings);
            try (var study = TestStudies.open(store, TestStudies.settings(lab, "long", researcher.id(), "7runs", false))) {
                var conclusion = StudyLoop.run(study, researcher);
                assertThat(fake.violations).isEmpty();
                var journal = Files.readString(conclusion.journal());
                assertThat(journal).contains("restarted from memory (restart 1) after 1 experiments", "LLM usage so far");
                assertThat(journal).contains("The LLM budget of 7,000 tokens is spent", "The built-in researcher continues the study");
                var experiments = store.runs("long").stream().filter(r -> r.role() == Role.EXPERIMENT).toList();
                assertThat(experiments.getFirst().proposer()).isEqualTo(researcher.id());
                assertThat(experiments.getLast().proposer()).isEqualTo("builtin");
                var ledger = new UsageLedger(study.directory(), Prices.claude(researcher.id()));
                assertThat(ledger.calls()).isEqualTo(fake.received.size());
                assertThat(ledger.total().total()).isGreaterThanOrEqualTo(7000);
                var transcript = Files.readString(study.directory().resolve(Transcript.FILE));
                assertThat(transcript).contains("\"kind\":\"restart\"", "\"kind\":\"fallback\"");
            }
        }
    }
}
