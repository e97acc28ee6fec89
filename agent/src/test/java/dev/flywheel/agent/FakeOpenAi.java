package dev.flywheel.agent;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible chat-completions server ({@code POST /v1/chat/completions}), as llama.cpp, vLLM and Ollama
 * serve it, on a local port. Every request is checked: the bearer key, the model, a system message first, tools
 * of type function with an object {@code parameters} schema, assistant tool_calls (id, type function, name, JSON
 * arguments as a string) each answered by exactly one {@code tool} message with its {@code tool_call_id} before the
 * conversation goes on, and a stable system text and tool list. Answers carry usage with cached prompt tokens.
 */
final class FakeOpenAi extends FakeServer {

    private final String key;
    private final String model;
    private final AtomicInteger ids = new AtomicInteger();
    private final Set<String> seenPrefixes = new HashSet<>();
    /** Every tool call this server sent, by id, with its arguments: the history must hold what the model said. */
    private final Map<String, String> issued = new java.util.concurrent.ConcurrentHashMap<>();
    private String firstPrefix;

    FakeOpenAi(String key, String model) {
        super("/v1/chat/completions");
        this.key = key;
        this.model = model;
    }

    @Override
    List<String> validate(Received r) {
        var p = new ArrayList<String>();
        if (!("Bearer " + key).equals(r.header("authorization"))) p.add("Authorization must be Bearer with the key");
        var b = r.body();
        if (!model.equals(b.path("model").asText())) p.add("model must be " + model + ", was " + b.path("model"));
        if (!b.has("max_tokens") && !b.has("max_completion_tokens")) p.add("max_tokens is missing");
        var tools = b.path("tools");
        if (!tools.isArray() || tools.isEmpty()) p.add("tools must be a non-empty array");
        var names = new HashSet<String>();
        for (var t : tools) {
            if (!"function".equals(t.path("type").asText())) p.add("tool type must be function");
            var f = t.path("function");
            if (!FakeAnthropic.TOOL_NAME.matcher(f.path("name").asText("")).matches()) p.add("bad function name " + f.path("name"));
            names.add(f.path("name").asText());
            if (!f.path("description").isTextual()) p.add("function " + f.path("name") + " has no description");
            if (!"object".equals(f.path("parameters").path("type").asText())) p.add("function " + f.path("name") + ": parameters.type must be object");
        }
        var msgs = b.path("messages");
        if (!msgs.isArray() || msgs.size() < 2) {
            p.add("messages must hold the system message and at least one more");
            return p;
        }
        if (!"system".equals(msgs.get(0).path("role").asText()) || !msgs.get(0).path("content").isTextual())
            p.add("the first message must be the system message with text content");
        Set<String> pending = new HashSet<>();
        for (int i = 1; i < msgs.size(); i++) {
            var m = msgs.get(i);
            var role = m.path("role").asText();
            switch (role) {
                case "tool" -> {
                    var id = m.path("tool_call_id").asText();
                    if (!pending.remove(id)) p.add("message " + i + ": tool message for " + id + ", which no pending tool call has");
                    if (!m.path("content").isTextual()) p.add("message " + i + ": tool content must be text");
                }
                case "user", "assistant" -> {
                    if (!pending.isEmpty()) p.add("message " + i + ": tool calls " + pending + " have no tool message");
                    pending = new HashSet<>();
                    if (role.equals("assistant")) {
                        for (var tc : m.path("tool_calls")) {
                            if (!tc.path("id").isTextual() || tc.path("id").asText().isBlank()) p.add("message " + i + ": tool call without id");
                            if (!"function".equals(tc.path("type").asText())) p.add("message " + i + ": tool call type must be function");
                            if (!tc.path("function").path("arguments").isTextual()) p.add("message " + i + ": arguments must be a JSON string");
                            pending.add(tc.path("id").asText());
                            var sent = issued.get(tc.path("id").asText());
                            if (sent == null) p.add("message " + i + ": tool call " + tc.path("id") + " was never sent by the model");
                            else if (!sent.equals(tc.path("function").path("arguments").asText()))
                                p.add("message " + i + ": tool call " + tc.path("id") + " comes back with other arguments");
                        }
                        if (!m.has("tool_calls") && !m.path("content").isTextual()) p.add("message " + i + ": assistant message without content or tool calls");
                    } else if (!m.path("content").isTextual()) p.add("message " + i + ": user content must be text");
                }
                default -> p.add("message " + i + ": unexpected role " + role);
            }
        }
        if (!pending.isEmpty()) p.add("the last tool calls " + pending + " have no tool message");
        var prefix = msgs.get(0).toString() + tools;
        synchronized (this) {
            if (firstPrefix == null) firstPrefix = prefix;
            else if (!firstPrefix.equals(prefix)) violations.add("request " + r.index() + ": the system message or tools changed");
        }
        return p;
    }

    @Override
    Respond invalid(String problem) {
        var body = object();
        body.putObject("error").put("message", problem).put("type", "invalid_request_error").putNull("param").putNull("code");
        return new Respond(400, Map.of(), body.toString());
    }

    /** One scripted call; {@code arguments} is the raw string the model sends (valid JSON or not). */
    record Call(String name, String arguments) {}

    static Call call(String name, String arguments) {
        return new Call(name, arguments);
    }

    Step reply(String text, Call... calls) {
        return r -> completion(r, text, List.of(calls), calls.length == 0 ? "stop" : "tool_calls");
    }

    Step replyWithFinish(String finishReason, String text, Call... calls) {
        return r -> completion(r, text, List.of(calls), finishReason);
    }

    private Respond completion(Received r, String text, List<Call> calls, String finish) {
        var c = object();
        c.put("id", "chatcmpl-" + ids.incrementAndGet());
        c.put("object", "chat.completion");
        c.put("created", 1_700_000_000L);
        c.put("model", model);
        var choice = c.putArray("choices").addObject();
        choice.put("index", 0);
        var msg = choice.putObject("message");
        msg.put("role", "assistant");
        if (text == null || text.isEmpty()) msg.putNull("content");
        else msg.put("content", text);
        if (!calls.isEmpty()) {
            var tcs = msg.putArray("tool_calls");
            for (var call : calls) {
                var tc = tcs.addObject();
                tc.put("id", "call_" + ids.incrementAndGet());
                tc.put("type", "function");
                tc.putObject("function").put("name", call.name()).put("arguments", call.arguments());
                issued.put(tc.get("id").asText(), call.arguments());
            }
        }
        choice.put("finish_reason", finish);
        var prefix = r.body().path("messages").get(0).toString() + r.body().path("tools");
        boolean hit;
        synchronized (this) {
            hit = !seenPrefixes.add(prefix);
        }
        var usage = c.putObject("usage");
        int prompt = r.raw().length() / 4;
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", Math.max(1, msg.toString().length() / 4));
        usage.put("total_tokens", prompt + Math.max(1, msg.toString().length() / 4));
        usage.putObject("prompt_tokens_details").put("cached_tokens", hit ? prefix.length() / 4 : 0);
        return new Respond(200, Map.of(), c.toString());
    }

    /** The tool messages at the end of the request. */
    static List<JsonNode> toolMessages(Received r) {
        var msgs = r.body().path("messages");
        var out = new ArrayList<JsonNode>();
        for (int i = msgs.size() - 1; i >= 0 && "tool".equals(msgs.get(i).path("role").asText()); i--) out.addFirst(msgs.get(i));
        return out;
    }
}
