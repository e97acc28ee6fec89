package dev.flywheel.agent;

import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.Store;
import dev.flywheel.lab.study.StudyLoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static dev.flywheel.agent.FakeAnthropic.call;
import static dev.flywheel.agent.FakeServer.checking;
import static org.assertj.core.api.Assertions.assertThat;

/** A whole study driven by Claude through the official SDK against a fake Messages API, end to end. */
class ClaudeStudyTest {

    static final String KEY = "sk-ant-api03-TEST-SECRET-never-in-a-file-0123456789";
    static final String MODEL = "claude-sonnet-4-6";

    static LlmSettings settings(String baseUrl, String key) {
        return LlmSettings.builder().baseUrl(baseUrl).retry(new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(200),
                        Duration.ofSeconds(20))).requestTimeout(Duration.ofSeconds(20))
                .resolve("claude", Map.of(LlmSettings.ANTHROPIC_API_KEY, key));
    }

    @Test
    void claudeRunsAStudyCorrectsAnInvalidChangeAndTheKeyNeverLeaks(@TempDir Path lab) throws IOException {
        var out = new ByteArrayOutputStream();
        var oldOut = System.out;
        var oldErr = System.err;
        var tee = new PrintStream(out, true, StandardCharsets.UTF_8);
        System.setOut(tee);
        System.setErr(tee);
        // java.util.logging (OkHttp, Flyway) holds on to the stderr it started with: catch its records too
        var logged = new StringBuilder();
        var root = java.util.logging.Logger.getLogger("");
        var oldLevel = root.getLevel();
        var handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                synchronized (logged) {
                    logged.append(r.getLoggerName()).append(' ').append(r.getMessage()).append(' ')
                            .append(java.util.Arrays.toString(r.getParameters())).append(' ').append(r.getThrown()).append('\n');
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        handler.setLevel(java.util.logging.Level.ALL);
        root.setLevel(java.util.logging.Level.ALL);
        root.addHandler(handler);
        try (var fake = new FakeAnthropic(KEY)) {
            var store = Store.open(lab.resolve("flywheel.db"));
            var experiment = new AtomicReference<String>();
            fake.then(
                    checking(r -> assertThat(FakeAnthropic.lastUserText(r)).contains("baseline is done"),
                            fake.reply("Let me look at the study first.", call("study_state", "{}"))),
                    checking(r -> assertThat(FakeAnthropic.text(FakeAnthropic.toolResults(r).getFirst())).contains("search_space", "optimizer.lr"),
                            fake.reply("", call("run_experiment", """
                                    {"hypothesis": "A higher peak learning rate trains this tiny model faster within 20 steps.",
                                     "changes": {"optimizer.learning_rate": 0.004}}"""))),
                    checking(r -> {
                        var res = FakeAnthropic.toolResults(r).getFirst();
                        assertThat(res.path("is_error").asBoolean()).as("a rejected change is an error result").isTrue();
                        assertThat(FakeAnthropic.text(res)).contains("optimizer.lr").contains("nothing ran");
                    }, fake.reply("I misspelt the path; correcting it.", call("run_experiment", """
                            {"hypothesis": "A much higher peak learning rate trains this tiny model faster.",
                             "changes": {"optimizer.lr": 0.5}}"""))),
                    checking(r -> assertThat(FakeAnthropic.text(FakeAnthropic.toolResults(r).getFirst()))
                                    .contains("outside this study's search space", "0.0003 .. 0.03"),
                            fake.reply("That is outside the bounds; a value inside them.", call("run_experiment", """
                                    {"hypothesis": "A higher peak learning rate trains this tiny model faster within 20 steps.",
                                     "changes": {"optimizer.lr": 0.004}}"""))),
                    r -> {
                        var res = FakeAnthropic.toolResults(r).getFirst();
                        assertThat(res.path("is_error").asBoolean(false)).isFalse();
                        var result = FakeServer.parse(FakeAnthropic.text(res));
                        assertThat(result.has("decision")).isTrue();
                        assertThat(result.has("guard_events")).isTrue();
                        assertThat(result.has("noise_floor")).isTrue();
                        experiment.set(result.path("experiment").asText());
                        return fake.reply("Two looks at that run.", call("run_details", "{\"run_id\": \"" + experiment.get() + "\"}"),
                                call("sample_text", "{\"run_id\": \"" + experiment.get() + "\", \"prompt\": \"ROMEO:\"}")).answer(r);
                    },
                    checking(r -> {
                        var results = FakeAnthropic.toolResults(r);
                        assertThat(results).hasSize(2);
                        assertThat(FakeAnthropic.text(results.get(0))).contains("curve", "diagnostics");
                        assertThat(FakeAnthropic.text(results.get(1))).contains("\"sample\"");
                    }, fake.reply("", call("note", "{\"text\": \"The learning rate is the first lever at this size.\"}"))),
                    fake.reply("What does a law say about these runs?", call("scaling_law", "{\"compute\": [1e13]}")),
                    checking(r -> {
                        var res = FakeAnthropic.toolResults(r).getFirst();
                        assertThat(res.path("is_error").asBoolean(false)).as(FakeAnthropic.text(res)).isFalse();
                        var law = FakeServer.parse(FakeAnthropic.text(res));
                        // every run so far has one size and one budget: too few points, or a fit that says it cannot tell
                        assertThat(law.path("points").asInt()).isGreaterThanOrEqualTo(3);
                        assertThat(law.has("why") ? law.path("why").asText() : law.path("warnings").toString())
                                .containsAnyOf("cannot be fitted yet", "span only");
                    }, fake.reply("", call("run_experiment", """
                            {"hypothesis": "RMSNorm is as good as LayerNorm here and cheaper.", "changes": {"model.norm": "rmsnorm"}, "seeds": 1}"""))),
                    fake.reply("Done.", call("finish", "{\"summary\": \"The learning rate mattered most; RMSNorm made no difference.\"}")));
            var settings = settings(fake.baseUrl(), KEY);
            var researcher = AgentResearchers.create("claude", settings);
            assertThat(researcher.id()).isEqualTo(MODEL);
            var studySettings = TestStudies.settings(lab, "claude-e2e", researcher.id(), "8runs", true);
            try (var study = TestStudies.open(store, studySettings)) {
                var conclusion = StudyLoop.run(study, researcher);
                assertThat(fake.violations).isEmpty();
                assertThat(fake.remaining()).isZero();
                assertThat(conclusion.summary()).contains("The learning rate mattered most");

                var runs = store.runs("claude-e2e").stream().filter(r -> r.role() == Role.EXPERIMENT).toList();
                assertThat(runs).hasSizeGreaterThanOrEqualTo(2);
                assertThat(runs).allSatisfy(r -> assertThat(r.proposer()).isEqualTo(MODEL));
                assertThat(runs.getFirst().hypothesis()).isEqualTo("A higher peak learning rate trains this tiny model faster within 20 steps.");

                var journal = Files.readString(conclusion.journal());
                assertThat(journal).contains(MODEL, "A higher peak learning rate trains this tiny model faster",
                        "RMSNorm is as good as LayerNorm", "The learning rate is the first lever", "rejected before running",
                        "LLM usage of " + MODEL);
                var usage = Files.readAllLines(study.directory().resolve(UsageLedger.FILE));
                assertThat(usage).hasSize(1 + fake.received.size());
                assertThat(journal.indexOf("LLM usage of")).isLessThan(journal.indexOf("## Summary"));
            }
            // prompt caching: the prefix was written once, then read
            var secondUsage = Files.readAllLines(lab.resolve("studies/claude-e2e").resolve(UsageLedger.FILE)).get(2).split("\t");
            assertThat(Long.parseLong(secondUsage[4])).as("cache reads of the second call").isPositive();
            assertThat(fake.received).allSatisfy(r -> assertThat(r.body().path("system").get(0).path("cache_control").path("type").asText())
                    .isEqualTo("ephemeral"));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            root.removeHandler(handler);
            root.setLevel(oldLevel);
        }
        assertThat(logged.toString()).doesNotContain(KEY);
        var printed = out.toString(StandardCharsets.UTF_8);
        oldOut.print(printed);
        assertThat(printed).doesNotContain(KEY);
        assertNoFileContains(lab, KEY);
    }

    /** Every file under {@code dir}, text or binary (the SQLite store), read as bytes. */
    static void assertNoFileContains(Path dir, String secret) throws IOException {
        var needle = secret.getBytes(StandardCharsets.UTF_8);
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        assertThat(files).isNotEmpty();
        for (var f : files) {
            var bytes = Files.readAllBytes(f);
            assertThat(indexOf(bytes, needle)).as("the key in " + f).isEqualTo(-1);
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
