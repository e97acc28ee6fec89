package dev.flywheel.agent;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

/** Budgets, prices, retry delays, settings from the environment and tool arguments: the small parts. */
class SettingsTest {

    @Test
    void budgetsAreTokensOrDollars() {
        assertThat(LlmBudget.parse("200k").tokens()).isEqualTo(200_000);
        assertThat(LlmBudget.parse("1.5M").tokens()).isEqualTo(1_500_000);
        assertThat(LlmBudget.parse("50000 tokens").tokens()).isEqualTo(50_000);
        assertThat(LlmBudget.parse("$2").dollars()).isEqualTo(2.0);
        assertThat(LlmBudget.parse("2.5usd").dollars()).isEqualTo(2.5);
        assertThat(LlmBudget.parse("3$").dollars()).isEqualTo(3.0);
        assertThat(LlmBudget.parse("none").unlimited()).isTrue();
        assertThat(catchThrowable(() -> LlmBudget.parse("lots"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--llm-budget");
        var usage = new LlmUsage(1000, 0, 9000, 500);
        assertThat(LlmBudget.parse("10k").fraction(usage, Prices.FREE)).isCloseTo(1.05, within(1e-9));
        var sonnet = Prices.claude("claude-sonnet-4-6");
        // 1000 × $3 + 9000 × $0.30 + 500 × $15, per million
        assertThat(sonnet.cost(usage)).isCloseTo((3000 + 2700 + 7500) / 1e6, within(1e-12));
        assertThat(LlmBudget.parse("$1").spent(usage, sonnet)).isFalse();
    }

    @Test
    void pricesByFamilyOrGiven() {
        assertThat(Prices.claude("claude-haiku-4-5").input()).isEqualTo(1);
        assertThat(Prices.claude("claude-opus-4-1").input()).isEqualTo(15);
        assertThat(Prices.claude("claude-opus-4-7").input()).isEqualTo(5);
        assertThat(Prices.claude("claude-fable-5").input()).as("unknown: priced high, to be safe").isEqualTo(15);
        assertThat(Prices.parse("0.5/2").output()).isEqualTo(2);
        assertThat(catchThrowable(() -> Prices.parse("cheap"))).hasMessageContaining("IN/OUT");
    }

    @Test
    void retriesBackOffExponentiallyAndReadRetryAfter() {
        var p = new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(1));
        assertThat(p.backoff(0, 0)).isEqualTo(Duration.ofMillis(100));
        assertThat(p.backoff(2, 0)).isEqualTo(Duration.ofMillis(400));
        assertThat(p.backoff(10, 0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.backoff(10, 0.999).toMillis()).isBetween(750L, 1000L);
        assertThat(Chat.retryAfter(null, "7")).isEqualTo(Duration.ofSeconds(7));
        assertThat(Chat.retryAfter("1500", "7")).isEqualTo(Duration.ofMillis(1500));
        var date = ZonedDateTime.now().plusSeconds(30).format(DateTimeFormatter.RFC_1123_DATE_TIME);
        assertThat(Chat.retryAfter(null, date).toSeconds()).isBetween(27L, 30L);
        assertThat(Chat.retryAfter(null, "soon")).isNull();
        assertThat(Chat.Fault.forStatus(529, "Overloaded")).isEqualTo(Chat.Fault.Kind.TRANSIENT);
        assertThat(Chat.Fault.forStatus(429, "")).isEqualTo(Chat.Fault.Kind.TRANSIENT);
        assertThat(Chat.Fault.forStatus(503, "")).isEqualTo(Chat.Fault.Kind.TRANSIENT);
        assertThat(Chat.Fault.forStatus(400, "prompt is too long: 210000 tokens > 200000 maximum")).isEqualTo(Chat.Fault.Kind.CONTEXT_TOO_LONG);
        assertThat(Chat.Fault.forStatus(400, "messages: roles must alternate")).isEqualTo(Chat.Fault.Kind.BAD_REQUEST);
        assertThat(Chat.Fault.forStatus(401, "invalid x-api-key")).isEqualTo(Chat.Fault.Kind.FATAL);
        assertThat(Chat.Fault.forStatus(404, "model not found")).isEqualTo(Chat.Fault.Kind.FATAL);
    }

    @Test
    void settingsTakeTheKeyOnlyFromTheEnvironmentAndTheEndpointFromTheFlagFirst() {
        var env = Map.of("ANTHROPIC_API_KEY", "sk-ant-secret", "ANTHROPIC_BASE_URL", "http://127.0.0.1:9/");
        var fromEnv = LlmSettings.builder().resolve("claude", env);
        assertThat(fromEnv.baseUrl()).isEqualTo("http://127.0.0.1:9/");
        assertThat(fromEnv.model()).isEqualTo(LlmSettings.DEFAULT_CLAUDE_MODEL);
        assertThat(fromEnv.budget().dollars()).isEqualTo(5.0);
        assertThat(fromEnv.toString()).doesNotContain("sk-ant-secret").contains("redacted");
        assertThat(LlmSettings.builder().baseUrl("http://localhost:4000").resolve("claude", env).baseUrl()).isEqualTo("http://localhost:4000");
        assertThat(catchThrowable(() -> LlmSettings.builder().baseUrl("localhost:4000").resolve("claude", env)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an http(s) URL");
    }

    @Test
    void toolArgumentsAreCheckedBeforeAnythingRuns() {
        assertThat(LabTools.parseArguments("").isObject()).isTrue();
        assertThat(catchThrowable(() -> LabTools.parseArguments("{\"a\": ")))
                .isInstanceOf(LabTools.ArgumentException.class).hasMessageContaining("not valid JSON");
        assertThat(catchThrowable(() -> LabTools.parseArguments("[1, 2]")))
                .isInstanceOf(LabTools.ArgumentException.class).hasMessageContaining("one JSON object, not an array");
        assertThat(LabTools.SPECS).extracting(ToolSpec::name)
                .containsExactly("study_state", "run_experiment", "run_details", "sample_text", "note", "replicate", "scaling_law", "finish");
        var run = LabTools.SPECS.get(1).inputSchema();
        assertThat(run.get("required")).isEqualTo(java.util.List.of("hypothesis", "changes"));
        assertThat(AgentLoop.system("# My brief")).contains("You are the researcher", "# The research brief", "# My brief");
    }
}
