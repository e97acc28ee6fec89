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

/** Faults of the transport and of the model, each met in a study that goes on to its end. */
class ClaudeFaultsTest {

    static final String KEY = "sk-ant-test-faults";

    static LlmSettings settings(String url, Duration timeout, Duration fallbackAfter) {
        return LlmSettings.builder().baseUrl(url).requestTimeout(timeout)
                .retry(new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(200), fallbackAfter))
                .resolve("claude", Map.of(LlmSettings.ANTHROPIC_API_KEY, KEY));
    }

    @Test
    void rateLimitsOverloadServerErrorsDroppedConnectionsAndTimeoutsAreRetried(@TempDir Path lab) throws Exception {
        try (var fake = new FakeAnthropic(KEY)) {
            var store = Store.open(lab.resolve("flywheel.db"));
            fake.then(
                    FakeAnthropic.fail(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit",
                            Map.of("retry-after", "1")),
                    checking(r -> assertThat((r.nanos() - fake.received.get(r.index() - 1).nanos()) / 1e6)
                                    .as("milliseconds waited after a 429 with retry-after: 1").isGreaterThanOrEqualTo(990),
                            fake.reply("", call("study_state", "{}"))),
                    FakeAnthropic.fail(529, "overloaded_error", "Overloaded", Map.of()),
                    FakeAnthropic.fail(500, "api_error", "Internal server error", Map.of()),
                    FakeAnthropic.drop(),
                    FakeAnthropic.hang(4000),
                    fake.reply("", call("run_experiment", """
                            {"hypothesis": "A higher learning rate helps.", "changes": {"optimizer.lr": 0.003}}""")),
                    fake.reply("", call("finish", "{\"summary\": \"Survived the faults.\"}")));
            var settings = settings(fake.baseUrl(), Duration.ofSeconds(2), Duration.ofSeconds(30));
            var researcher = AgentResearchers.create("claude", settings);
            try (var study = TestStudies.open(store, TestStudies.settings(lab, "faults", researcher.id(), "4runs", false))) {
                var conclusion = StudyLoop.run(study, researcher);
                assertThat(fake.violations).isEmpty();
                assertThat(fake.remaining()).isZero();
                var journal = Files.readString(conclusion.journal());
                assertThat(journal).contains("429", "waited 1.0 s as its retry-after asked");
                assertThat(journal).contains("529", "overloaded", "500", "no answer", "retried with backoff");
                assertThat(journal).contains("Survived the faults.");
                var transcript = Files.readString(study.directory().resolve(Transcript.FILE));
                assertThat(transcript).contains("\"status\":529", "\"status\":500");
                assertThat(transcript.lines().filter(l -> l.contains("\"kind\":\"fault\"") && l.contains("\"status\":0")))
                        .as("the dropped connection and the timeout, each seen and retried").hasSize(2);
                assertThat(transcript).contains("timed out after 2.0 s", "the connection was dropped");
                assertThat(store.runs("faults")).filteredOn(r -> r.role() == Role.EXPERIMENT)
                        .singleElement().satisfies(r -> assertThat(r.proposer()).isEqualTo(researcher.id()));
            }
        }
    }

    @Test
    void malformedInputUnknownToolsCutOffRepliesRefusalsAndSilenceAreHandledAndRecorded(@TempDir Path lab) throws Exception {
        try (var fake = new FakeAnthropic(KEY)) {
            var store = Store.open(lab.resolve("flywheel.db"));
            fake.then(
                    fake.reply("", call("run_experiment", "{\"changes\": \"optimizer.lr=0.01\"}")),
                    checking(r -> {
                        var res = FakeAnthropic.toolResults(r).getFirst();
                        assertThat(res.path("is_error").asBoolean()).isTrue();
                        assertThat(FakeAnthropic.text(res)).contains("\"hypothesis\" is missing");
                    }, fake.reply("", call("launch_rockets", "{\"count\": 3}"))),
                    checking(r -> assertThat(FakeAnthropic.text(FakeAnthropic.toolResults(r).getFirst()))
                                    .contains("There is no tool named \"launch_rockets\"", "study_state"),
                            fake.replyWithStop("max_tokens", "Let me explain at great length", call("run_experiment", "{\"hypothesis\": \"Because the\"}"))),
                    checking(r -> {
                        assertThat(r.body().path("max_tokens").asInt()).as("a larger output limit after a cut-off").isEqualTo(8192);
                        var res = FakeAnthropic.toolResults(r).getFirst();
                        assertThat(res.path("is_error").asBoolean()).isTrue();
                        assertThat(FakeAnthropic.text(res)).contains("cut off");
                    }, fake.refusal("The request looked like something else.")),
                    checking(r -> {
                        assertThat(r.body().path("messages")).as("a fresh conversation after a refusal").hasSize(1);
                        assertThat(FakeAnthropic.lastUserText(r)).contains("Memory of this study", "could not run");
                    }, fake.reply("I will think about this for a while.")),
                    checking(r -> assertThat(FakeAnthropic.lastUserText(r)).contains("continue through the tools"),
                            fake.reply("", call("run_experiment", """
                                    {"hypothesis": "A lower learning rate is more stable.", "changes": {"optimizer.lr": 0.0006}}"""))),
                    fake.reply("", call("finish", "{\"summary\": \"Handled every fault.\"}")));
            var researcher = AgentResearchers.create("claude", settings(fake.baseUrl(), Duration.ofSeconds(20), Duration.ofSeconds(30)));
            try (var study = TestStudies.open(store, TestStudies.settings(lab, "model-faults", researcher.id(), "4runs", false))) {
                var conclusion = StudyLoop.run(study, researcher);
                assertThat(fake.violations).isEmpty();
                assertThat(fake.remaining()).isZero();
                var journal = Files.readString(conclusion.journal());
                assertThat(journal).contains("could not run (run_experiment", "\"hypothesis\" is missing");
                assertThat(journal).contains("could not run (launch_rockets", "no tool named");
                assertThat(journal).contains("cut off at its output limit of 4096 tokens", "the limit is now 8192");
                assertThat(journal).contains("declined to answer", "The request looked like something else", "restarted from memory");
                assertThat(journal).contains("Handled every fault.");
                assertThat(store.runs("model-faults")).filteredOn(r -> r.role() == Role.EXPERIMENT).singleElement()
                        .satisfies(r -> assertThat(r.hypothesis()).isEqualTo("A lower learning rate is more stable."));
            }
        }
    }

    @Test
    void aModelUnreachableForLongerThanTheFallbackTimeHandsTheStudyToTheBuiltinResearcher(@TempDir Path lab) throws Exception {
        try (var fake = new FakeAnthropic(KEY)) {
            var store = Store.open(lab.resolve("flywheel.db"));
            fake.whenDone(FakeAnthropic.fail(529, "overloaded_error", "Overloaded", Map.of()));
            var researcher = AgentResearchers.create("claude", settings(fake.baseUrl(), Duration.ofSeconds(5), Duration.ofMillis(1500)));
            try (var study = TestStudies.open(store, TestStudies.settings(lab, "fallback", researcher.id(), "4runs", false))) {
                long t0 = System.nanoTime();
                var conclusion = StudyLoop.run(study, researcher);
                assertThat(fake.violations).isEmpty();
                assertThat(fake.received.size()).isGreaterThan(3);
                var journal = Files.readString(conclusion.journal());
                assertThat(journal).contains("has been unreachable for", "529", "The built-in researcher continues the study");
                var experiments = store.runs("fallback").stream().filter(r -> r.role() == Role.EXPERIMENT).toList();
                assertThat(experiments).isNotEmpty().allSatisfy(r -> assertThat(r.proposer()).isEqualTo("builtin"));
                assertThat(conclusion.runs()).isGreaterThanOrEqualTo(3);
                assertThat((System.nanoTime() - t0) / 1e9).isLessThan(120);
            }
        }
    }
}
