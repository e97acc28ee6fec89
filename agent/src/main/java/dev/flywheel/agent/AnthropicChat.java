package dev.flywheel.agent;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.LogLevel;
import com.anthropic.core.ObjectMappers;
import com.anthropic.core.Timeout;
import com.anthropic.core.http.Headers;
import com.anthropic.errors.AnthropicException;
import com.anthropic.errors.AnthropicInvalidDataException;
import com.anthropic.errors.AnthropicIoException;
import com.anthropic.errors.AnthropicRetryableException;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.models.messages.CacheControlEphemeral;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.TextBlockParam;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolChoiceTool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlockParam;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Claude through Anthropic's Messages API, with the official Java SDK. The SDK's own retries are off: the loop
 * retries, so it can count how long the model has been unreachable and say so in the journal.
 *
 * <p>Prompt caching: the tools and the system text (instructions and brief) come first in every request and the
 * system block carries {@code cache_control}, so that prefix is written to the cache once and read at a tenth of
 * the price after; a second breakpoint on the newest message caches the conversation as it grows.
 */
final class AnthropicChat implements Chat.Api {

    private final AnthropicClient client;
    private final String model;
    private final Duration timeout;

    AnthropicChat(String model, String baseUrl, ApiKey key, Duration timeout) {
        this.model = model;
        this.timeout = timeout;
        var b = AnthropicOkHttpClient.builder()
                .apiKey(key.reveal())
                .maxRetries(0)
                .logLevel(LogLevel.OFF)
                .timeout(Timeout.builder().request(timeout).read(timeout).connect(min(timeout, Duration.ofSeconds(30))).build());
        if (baseUrl != null) b.baseUrl(stripSlash(baseUrl));
        this.client = b.build();
    }

    @Override
    public Chat.Reply send(Chat.Request r) {
        Message m;
        try {
            m = client.messages().create(params(r));
            return reply(m);
        } catch (AnthropicServiceException e) {
            var message = e.apiMessage().orElse(oneLine(e.getMessage()));
            var retryAfter = Chat.retryAfter(first(e.headers(), "retry-after-ms"), first(e.headers(), "retry-after"));
            return throwFault(Chat.Fault.forStatus(e.statusCode(), message), e.statusCode(), retryAfter,
                    e.type().map(Object::toString).map(t -> t + ": ").orElse("") + message);
        } catch (AnthropicIoException | AnthropicRetryableException | UncheckedIOException e) {
            return throwFault(Chat.Fault.Kind.TRANSIENT, 0, null, oneLine(Chat.noAnswer(e, timeout)));
        } catch (AnthropicInvalidDataException e) {
            return throwFault(Chat.Fault.Kind.TRANSIENT, 0, null, "an answer the SDK could not read: " + oneLine(e.getMessage()));
        } catch (AnthropicException e) {
            return throwFault(Chat.Fault.Kind.FATAL, 0, null, oneLine(e.getMessage()));
        } catch (Chat.Fault f) {
            throw f;
        } catch (RuntimeException e) {
            // whatever else the SDK throws: the model is given up on, the study goes on
            return throwFault(Chat.Fault.Kind.FATAL, 0, null, "the SDK failed: " + oneLine(e.toString()));
        }
    }

    private MessageCreateParams params(Chat.Request r) {
        var cache = CacheControlEphemeral.builder().build();
        var b = MessageCreateParams.builder().model(model).maxTokens(r.maxTokens())
                .systemOfTextBlockParams(List.of(TextBlockParam.builder().text(r.system()).cacheControl(cache).build()));
        for (var t : r.tools()) b.addTool(tool(t));
        if (r.forceTool() != null) b.toolChoice(ToolChoiceTool.builder().name(r.forceTool()).build());
        var msgs = r.messages();
        for (int i = 0; i < msgs.size(); i++) {
            boolean last = i == msgs.size() - 1;
            switch (msgs.get(i)) {
                case Chat.UserText u -> b.addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofText(
                        text(u.text(), last ? cache : null))));
                case Chat.AssistantTurn a -> {
                    var blocks = new ArrayList<ContentBlockParam>();
                    if (!a.text().isBlank() || a.calls().isEmpty())
                        blocks.add(ContentBlockParam.ofText(text(a.text().isBlank() ? "(no words)" : a.text(), null)));
                    for (var c : a.calls())
                        blocks.add(ContentBlockParam.ofToolUse(ToolUseBlockParam.builder().id(c.id()).name(c.name())
                                .input(ToolUseBlockParam.Input.builder().additionalProperties(inputObject(c.arguments())).build())
                                .build()));
                    b.addAssistantMessageOfContentBlockParams(blocks);
                }
                case Chat.ToolResults t -> {
                    var blocks = new ArrayList<ContentBlockParam>();
                    for (int j = 0; j < t.results().size(); j++) {
                        var res = t.results().get(j);
                        var rb = ToolResultBlockParam.builder().toolUseId(res.callId()).content(res.content());
                        if (res.error()) rb.isError(true);
                        if (last && j == t.results().size() - 1 && t.text() == null) rb.cacheControl(cache);
                        blocks.add(ContentBlockParam.ofToolResult(rb.build()));
                    }
                    if (t.text() != null) blocks.add(ContentBlockParam.ofText(text(t.text(), last ? cache : null)));
                    b.addUserMessageOfContentBlockParams(blocks);
                }
            }
        }
        return b.build();
    }

    private static TextBlockParam text(String text, CacheControlEphemeral cache) {
        var t = TextBlockParam.builder().text(text);
        if (cache != null) t.cacheControl(cache);
        return t.build();
    }

    static Tool tool(ToolSpec spec) {
        var schema = spec.inputSchema();
        var input = Tool.InputSchema.builder();
        @SuppressWarnings("unchecked")
        var props = (Map<String, Object>) schema.getOrDefault("properties", Map.of());
        var pb = Tool.InputSchema.Properties.builder();
        props.forEach((k, v) -> pb.putAdditionalProperty(k, JsonValue.from(v)));
        input.properties(pb.build());
        if (schema.get("required") instanceof List<?> req) input.required(req.stream().map(String::valueOf).toList());
        schema.forEach((k, v) -> {
            if (!k.equals("type") && !k.equals("properties") && !k.equals("required")) input.putAdditionalProperty(k, JsonValue.from(v));
        });
        return Tool.builder().name(spec.name()).description(spec.description()).inputSchema(input.build()).build();
    }

    /** A tool_use input is a JSON object; what the model sent is echoed back as it was, or as {} if it was no object. */
    private static Map<String, JsonValue> inputObject(String arguments) {
        var out = new LinkedHashMap<String, JsonValue>();
        try {
            JsonNode n = arguments == null ? null : ObjectMappers.jsonMapper().readTree(arguments);
            if (n != null && n.isObject()) n.properties().forEach(e -> out.put(e.getKey(), JsonValue.fromJsonNode(e.getValue())));
        } catch (JsonProcessingException e) {
            // not an object: echoed as {}
        }
        return out;
    }

    private Chat.Reply reply(Message m) {
        var text = new StringBuilder();
        var calls = new ArrayList<Chat.ToolCall>();
        for (var block : m.content()) {
            if (block.isText()) text.append(text.isEmpty() ? "" : "\n").append(block.asText().text());
            else if (block.isToolUse()) {
                var tu = block.asToolUse();
                String args;
                try {
                    args = ObjectMappers.jsonMapper().writeValueAsString(tu._input());
                } catch (JsonProcessingException e) {
                    args = null;
                }
                calls.add(new Chat.ToolCall(tu.id(), tu.name(), args));
            }
        }
        var stopText = m.stopReason().map(s -> s.asString()).orElse("none");
        var stop = switch (stopText) {
            case "end_turn", "stop_sequence", "pause_turn" -> Chat.Stop.END_TURN;
            case "tool_use" -> Chat.Stop.TOOL_USE;
            case "max_tokens" -> Chat.Stop.MAX_TOKENS;
            case "refusal" -> Chat.Stop.REFUSAL;
            case "model_context_window_exceeded" -> Chat.Stop.CONTEXT_FULL;
            default -> Chat.Stop.OTHER;
        };
        if (stop == Chat.Stop.REFUSAL)
            stopText += m.stopDetails().flatMap(d -> d.explanation()).map(x -> ": " + x).orElse("");
        var u = m.usage();
        var usage = new LlmUsage(u.inputTokens(), u.cacheCreationInputTokens().orElse(0L), u.cacheReadInputTokens().orElse(0L),
                u.outputTokens());
        return new Chat.Reply(new Chat.AssistantTurn(text.toString(), calls), stop, stopText, usage);
    }

    private static Chat.Reply throwFault(Chat.Fault.Kind kind, int status, Duration retryAfter, String message) {
        throw new Chat.Fault(kind, status, retryAfter, message);
    }

    private static String first(Headers h, String name) {
        var v = h.values(name);
        return v.isEmpty() ? null : v.getFirst();
    }

    static String oneLine(String s) {
        return s == null ? "" : LabTools.clip(s, 300);
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public void close() {
        client.close();
    }
}
