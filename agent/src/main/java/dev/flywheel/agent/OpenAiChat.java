package dev.flywheel.agent;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.Timeout;
import com.openai.core.http.Headers;
import com.openai.errors.OpenAIException;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIRetryableException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionAssistantMessageParam;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;

import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Any server that speaks OpenAI's chat-completions API with tools — llama.cpp's {@code llama-server}, vLLM,
 * Ollama, or OpenAI itself — through the official Java SDK. Local servers cache a prompt's prefix on their own, so
 * the stable system text and tool list pay off there too (their cached tokens are reported and recorded). Tool
 * results that are errors start with "ERROR:", since the API has no error flag.
 */
final class OpenAiChat implements Chat.Api {

    private final OpenAIClient client;
    private final String model;
    private final Duration timeout;
    private final AtomicInteger ids = new AtomicInteger();

    OpenAiChat(String model, String baseUrl, ApiKey key, Duration timeout) {
        this.model = model;
        this.timeout = timeout;
        this.client = OpenAIOkHttpClient.builder()
                // A local server wants no key, but the SDK sends one: a placeholder that is no secret.
                .apiKey(key != null ? key.reveal() : "no-key")
                .baseUrl(normalize(baseUrl))
                .maxRetries(0)
                .timeout(Timeout.builder().request(timeout).read(timeout).connect(timeout.compareTo(Duration.ofSeconds(30)) < 0
                        ? timeout : Duration.ofSeconds(30)).build())
                .build();
    }

    /** {@code http://host:8080} → {@code http://host:8080/v1}, the path every OpenAI-compatible server serves under. */
    static String normalize(String baseUrl) {
        var u = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        var path = URI.create(u).getPath();
        return path == null || path.isEmpty() ? u + "/v1" : u;
    }

    @Override
    public Chat.Reply send(Chat.Request r) {
        try {
            return reply(client.chat().completions().create(params(r)));
        } catch (OpenAIServiceException e) {
            var message = AnthropicChat.oneLine(e.getMessage());
            var retryAfter = Chat.retryAfter(first(e.headers(), "retry-after-ms"), first(e.headers(), "retry-after"));
            throw new Chat.Fault(Chat.Fault.forStatus(e.statusCode(), message), e.statusCode(), retryAfter, message);
        } catch (OpenAIIoException | OpenAIRetryableException | UncheckedIOException e) {
            throw new Chat.Fault(Chat.Fault.Kind.TRANSIENT, 0, null, AnthropicChat.oneLine(Chat.noAnswer(e, timeout)));
        } catch (OpenAIInvalidDataException e) {
            throw new Chat.Fault(Chat.Fault.Kind.TRANSIENT, 0, null, "an answer the SDK could not read: " + AnthropicChat.oneLine(e.getMessage()));
        } catch (OpenAIException e) {
            throw new Chat.Fault(Chat.Fault.Kind.FATAL, 0, null, AnthropicChat.oneLine(e.getMessage()));
        } catch (Chat.Fault f) {
            throw f;
        } catch (RuntimeException e) {
            throw new Chat.Fault(Chat.Fault.Kind.FATAL, 0, null, "the SDK failed: " + AnthropicChat.oneLine(e.toString()));
        }
    }

    @SuppressWarnings("deprecation") // max_tokens: what llama.cpp, vLLM and Ollama all read (max_completion_tokens is newer)
    private ChatCompletionCreateParams params(Chat.Request r) {
        var b = ChatCompletionCreateParams.builder().model(model).maxTokens(r.maxTokens()).addSystemMessage(r.system());
        for (var t : r.tools()) {
            var params = FunctionParameters.builder();
            t.inputSchema().forEach((k, v) -> params.putAdditionalProperty(k, JsonValue.from(v)));
            b.addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name(t.name())
                    .description(t.description()).parameters(params.build()).build()).build());
        }
        for (var m : r.messages()) {
            switch (m) {
                case Chat.UserText u -> b.addUserMessage(u.text());
                case Chat.AssistantTurn a -> {
                    var ab = ChatCompletionAssistantMessageParam.builder();
                    if (!a.text().isBlank() || a.calls().isEmpty()) ab.content(a.text().isBlank() ? "(no words)" : a.text());
                    for (var c : a.calls())
                        ab.addToolCall(ChatCompletionMessageFunctionToolCall.builder().id(c.id())
                                .function(ChatCompletionMessageFunctionToolCall.Function.builder().name(c.name())
                                        .arguments(c.arguments() == null ? "" : c.arguments()).build()).build());
                    b.addMessage(ab.build());
                }
                case Chat.ToolResults t -> {
                    for (var res : t.results())
                        b.addMessage(ChatCompletionToolMessageParam.builder().toolCallId(res.callId())
                                .content(res.error() ? "ERROR: " + res.content() : res.content()).build());
                    if (t.text() != null) b.addUserMessage(t.text());
                }
            }
        }
        return b.build();
    }

    private Chat.Reply reply(ChatCompletion c) {
        if (c.choices().isEmpty()) throw new Chat.Fault(Chat.Fault.Kind.TRANSIENT, 0, null, "an answer with no choices");
        var choice = c.choices().getFirst();
        var msg = choice.message();
        var calls = new ArrayList<Chat.ToolCall>();
        for (var tc : msg.toolCalls().orElse(java.util.List.of())) {
            if (!tc.isFunction()) continue;
            var f = tc.asFunction();
            // Read leniently: some local servers leave out ids; a missing name or arguments is the model's to fix.
            var id = f._id().asKnown().filter(s -> !s.isBlank()).orElseGet(() -> "call_" + ids.incrementAndGet());
            var fn = f._function().asKnown();
            var name = fn.flatMap(x -> x._name().asKnown()).orElse("");
            var args = fn.flatMap(x -> x._arguments().asKnown()).orElse(null);
            calls.add(new Chat.ToolCall(id, name, args));
        }
        var finish = choice._finishReason().asKnown().map(x -> x.asString()).orElse("stop");
        var refusal = msg.refusal().filter(s -> !s.isBlank());
        Chat.Stop stop;
        if (refusal.isPresent() || finish.equals("content_filter")) stop = Chat.Stop.REFUSAL;
        else stop = switch (finish) {
            case "length" -> Chat.Stop.MAX_TOKENS;
            case "tool_calls", "function_call" -> Chat.Stop.TOOL_USE;
            case "stop" -> calls.isEmpty() ? Chat.Stop.END_TURN : Chat.Stop.TOOL_USE;
            default -> Chat.Stop.OTHER;
        };
        var detail = finish + refusal.map(x -> ": " + x).orElse("");
        var usage = c.usage().map(u -> {
            long cached = u.promptTokensDetails().flatMap(d -> d.cachedTokens()).orElse(0L);
            return new LlmUsage(Math.max(0, u.promptTokens() - cached), 0, cached, u.completionTokens());
        }).orElse(LlmUsage.ZERO);
        return new Chat.Reply(new Chat.AssistantTurn(msg.content().orElse(""), calls), stop, detail, usage);
    }

    private static String first(Headers h, String name) {
        var v = h.values(name);
        return v.isEmpty() ? null : v.getFirst();
    }

    @Override
    public void close() {
        client.close();
    }
}
