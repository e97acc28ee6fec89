package dev.flywheel.agent;

import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** How each provider's failures reach the loop: what is retried, what restarts the conversation, what gives up. */
class AdapterFaultsTest {

    static final Chat.Request REQUEST = new Chat.Request("system", LabTools.SPECS,
            List.of(new Chat.UserText("hello")), 100, null);

    @Test
    void anthropicAnswersAreClassified() {
        try (var fake = new FakeAnthropic("k")) {
            fake.then(
                    FakeAnthropic.fail(401, "authentication_error", "invalid x-api-key", Map.of()),
                    FakeAnthropic.fail(400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum", Map.of()),
                    FakeAnthropic.fail(404, "not_found_error", "model: claude-nope", Map.of()),
                    FakeAnthropic.fail(429, "rate_limit_error", "slow down", Map.of("retry-after-ms", "250")),
                    FakeAnthropic.fail(529, "overloaded_error", "Overloaded", Map.of()));
            try (var api = new AnthropicChat("claude-sonnet-4-6", fake.baseUrl(), ApiKey.of("k", "test"), Duration.ofSeconds(10))) {
                var auth = catchThrowableOfType(Chat.Fault.class, () -> api.send(REQUEST));
                assertThat(auth.kind).isEqualTo(Chat.Fault.Kind.FATAL);
                assertThat(auth.status).isEqualTo(401);
                assertThat(auth.getMessage()).contains("invalid x-api-key").doesNotContain("Bearer");
                assertThat(catchThrowableOfType(Chat.Fault.class, () -> api.send(REQUEST)).kind).isEqualTo(Chat.Fault.Kind.CONTEXT_TOO_LONG);
                assertThat(catchThrowableOfType(Chat.Fault.class, () -> api.send(REQUEST)).kind).isEqualTo(Chat.Fault.Kind.FATAL);
                var limited = catchThrowableOfType(Chat.Fault.class, () -> api.send(REQUEST));
                assertThat(limited.kind).isEqualTo(Chat.Fault.Kind.TRANSIENT);
                assertThat(limited.retryAfter).isEqualTo(Duration.ofMillis(250));
                var overloaded = catchThrowableOfType(Chat.Fault.class, () -> api.send(REQUEST));
                assertThat(overloaded.kind).isEqualTo(Chat.Fault.Kind.TRANSIENT);
                assertThat(overloaded.status).isEqualTo(529);
            }
            assertThat(fake.violations).isEmpty();
        }
    }

    @Test
    void aServerThatIsNotThereIsAPassingFault() throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (var api = new AnthropicChat("claude-sonnet-4-6", "http://127.0.0.1:" + port, ApiKey.of("k", "test"), Duration.ofSeconds(5))) {
            var f = catchThrowableOfType(Chat.Fault.class, () -> api.send(REQUEST));
            assertThat(f.kind).isEqualTo(Chat.Fault.Kind.TRANSIENT);
            assertThat(f.getMessage()).contains("connection refused");
        }
        try (var api = new OpenAiChat("m", "http://127.0.0.1:" + port + "/v1", null, Duration.ofSeconds(5))) {
            var f = catchThrowableOfType(Chat.Fault.class, () -> api.send(REQUEST));
            assertThat(f.kind).isEqualTo(Chat.Fault.Kind.TRANSIENT);
        }
    }

    @Test
    void openAiCompatibleAnswersAreClassifiedAndCutOffsAndRefusalsRecognised() {
        try (var fake = new FakeOpenAi("no-key", "m")) {
            fake.then(
                    r -> new FakeServer.Respond(503, Map.of("retry-after", "2"), "{\"error\":{\"message\":\"loading model\",\"type\":\"unavailable_error\"}}"),
                    r -> new FakeServer.Respond(400, Map.of(), "{\"error\":{\"message\":\"the request exceeds the available context size\",\"type\":\"invalid_request_error\"}}"),
                    fake.replyWithFinish("length", "Let me", FakeOpenAi.call("study_state", "{")),
                    r -> {
                        var c = FakeServer.object();
                        c.put("id", "x").put("object", "chat.completion").put("created", 1).put("model", "m");
                        var choice = c.putArray("choices").addObject();
                        choice.put("index", 0).put("finish_reason", "stop");
                        choice.putObject("message").put("role", "assistant").putNull("content").put("refusal", "I cannot help with that.");
                        return new FakeServer.Respond(200, Map.of(), c.toString());
                    });
            try (var api = new OpenAiChat("m", fake.baseUrl(), null, Duration.ofSeconds(10))) {
                var busy = catchThrowableOfType(Chat.Fault.class, () -> api.send(REQUEST));
                assertThat(busy.kind).isEqualTo(Chat.Fault.Kind.TRANSIENT);
                assertThat(busy.retryAfter).isEqualTo(Duration.ofSeconds(2));
                assertThat(catchThrowableOfType(Chat.Fault.class, () -> api.send(REQUEST)).kind).isEqualTo(Chat.Fault.Kind.CONTEXT_TOO_LONG);
                var cut = api.send(REQUEST);
                assertThat(cut.stop()).isEqualTo(Chat.Stop.MAX_TOKENS);
                assertThat(cut.turn().calls()).singleElement().satisfies(c -> assertThat(c.arguments()).isEqualTo("{"));
                var refused = api.send(REQUEST);
                assertThat(refused.stop()).isEqualTo(Chat.Stop.REFUSAL);
                assertThat(refused.stopDetail()).contains("I cannot help");
            }
            assertThat(fake.violations).isEmpty();
        }
    }
}
