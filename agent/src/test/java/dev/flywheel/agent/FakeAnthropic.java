package dev.flywheel.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Anthropic's Messages API ({@code POST /v1/messages}) on a local port. Every request is checked as the real API
 * checks it — the key ({@code x-api-key} or {@code Authorization: Bearer}) and {@code anthropic-version} headers, the body's model, max_tokens and
 * messages, user/assistant alternation, each tool_use answered by a tool_result with the same id at the start of
 * the next user message, tool definitions with a name and an object {@code input_schema}, at most four
 * {@code cache_control} breakpoints of type ephemeral, a forced tool that exists — plus what this project promises:
 * the system text ends in a cache breakpoint, and the prefix (tools and system) is the same bytes in every request.
 * Answers are Messages API JSON with usage that models the prompt cache: the prefix is written once, then read.
 */
final class FakeAnthropic extends FakeServer {

    static final Pattern TOOL_NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    private final String key;
    private final AtomicInteger ids = new AtomicInteger();
    private final Set<String> cachedPrefixes = new HashSet<>();
    /** Every tool_use this server sent, by id, with its input: an assistant turn sent back must be what the model said. */
    private final Map<String, JsonNode> issued = new java.util.concurrent.ConcurrentHashMap<>();
    private String firstPrefix;

    FakeAnthropic(String key) {
        this(key, 0);
    }

    FakeAnthropic(String key, int port) {
        super("/v1/messages", port);
        this.key = key;
    }

    // ---- validation ---------------------------------------------------------------------------------------------------

    @Override
    List<String> validate(Received r) {
        var p = new ArrayList<String>();
        // The SDK sends the key as x-api-key or, since 3.x, as a bearer token; either must carry exactly our key.
        var apiKey = r.header("x-api-key");
        var auth = r.header("authorization");
        if (!(key.equals(apiKey) || ("Bearer " + key).equals(auth))) p.add("the API key is missing or wrong (x-api-key or Authorization: Bearer)");
        var version = r.header("anthropic-version");
        if (version == null || !version.matches("\\d{4}-\\d{2}-\\d{2}") || version.compareTo("2023-06-01") < 0)
            p.add("anthropic-version must be an API version date from 2023-06-01 on, was " + version);
        var ct = r.header("content-type");
        if (ct == null || !ct.startsWith("application/json")) p.add("content-type must be application/json, was " + ct);
        var b = r.body();
        if (!b.path("model").isTextual() || b.path("model").asText().isBlank()) p.add("model is missing");
        if (!b.path("max_tokens").isIntegralNumber() || b.path("max_tokens").asInt() < 1) p.add("max_tokens must be a positive integer");
        if (b.has("stream") && b.get("stream").asBoolean()) p.add("this fake answers only non-streaming requests");
        validateTools(b, p);
        validateSystem(b, p);
        validateMessages(b, p);
        for (var m : b.path("messages"))
            if ("assistant".equals(m.path("role").asText()))
                for (var block : m.path("content"))
                    if ("tool_use".equals(block.path("type").asText())) {
                        var sent = issued.get(block.path("id").asText());
                        if (sent == null) p.add("tool_use " + block.path("id") + " was never sent by the model");
                        else if (!sent.equals(block.path("input"))) p.add("tool_use " + block.path("id") + " comes back with another input");
                    }
        int breakpoints = b.findValues("cache_control").size();
        if (breakpoints > 4) p.add("at most 4 cache_control breakpoints are allowed, found " + breakpoints);
        for (var cc : b.findValues("cache_control"))
            if (!"ephemeral".equals(cc.path("type").asText())) p.add("cache_control must be {\"type\": \"ephemeral\"}: " + cc);
        var prefix = prefix(b);
        synchronized (this) {
            if (firstPrefix == null) firstPrefix = prefix;
            else if (!firstPrefix.equals(prefix)) violations.add("request " + r.index() + ": the tools and system text "
                    + "changed between requests (the cached prefix must be stable)");
        }
        return p;
    }

    private static void validateTools(JsonNode b, List<String> p) {
        var tools = b.path("tools");
        if (!tools.isArray() || tools.isEmpty()) {
            p.add("tools must be a non-empty array");
            return;
        }
        var names = new HashSet<String>();
        for (var t : tools) {
            var name = t.path("name").asText("");
            if (!TOOL_NAME.matcher(name).matches()) p.add("tool name must match [a-zA-Z0-9_-]{1,64}: " + name);
            if (!names.add(name)) p.add("tool " + name + " is defined twice");
            if (!t.path("description").isTextual()) p.add("tool " + name + " has no description");
            var schema = t.path("input_schema");
            if (!"object".equals(schema.path("type").asText())) p.add("tool " + name + ": input_schema.type must be \"object\"");
            if (schema.has("properties") && !schema.get("properties").isObject()) p.add("tool " + name + ": properties must be an object");
            for (var req : schema.path("required"))
                if (!schema.path("properties").has(req.asText())) p.add("tool " + name + " requires " + req + ", which it does not define");
            for (var e : schema.path("properties").properties())
                if (!e.getValue().has("type")) p.add("tool " + name + ": property " + e.getKey() + " has no type");
        }
        var choice = b.path("tool_choice");
        if (!choice.isMissingNode()) {
            var type = choice.path("type").asText();
            if (!Set.of("auto", "any", "tool", "none").contains(type)) p.add("tool_choice.type " + type + " is not known");
            if (type.equals("tool") && !names.contains(choice.path("name").asText()))
                p.add("tool_choice names tool " + choice.path("name") + ", which is not defined");
        }
    }

    private static void validateSystem(JsonNode b, List<String> p) {
        var system = b.path("system");
        if (!system.isArray() || system.isEmpty()) {
            p.add("system must be an array of text blocks (so it can carry cache_control)");
            return;
        }
        for (var block : system)
            if (!"text".equals(block.path("type").asText()) || !block.path("text").isTextual()) p.add("system blocks must be text blocks");
        if (!"ephemeral".equals(system.get(system.size() - 1).path("cache_control").path("type").asText()))
            p.add("the last system block must carry cache_control {\"type\": \"ephemeral\"}");
    }

    private static void validateMessages(JsonNode b, List<String> p) {
        var msgs = b.path("messages");
        if (!msgs.isArray() || msgs.isEmpty()) {
            p.add("messages must be a non-empty array");
            return;
        }
        if (!"user".equals(msgs.get(0).path("role").asText())) p.add("the first message must be the user's");
        Set<String> pending = Set.of();
        for (int i = 0; i < msgs.size(); i++) {
            var m = msgs.get(i);
            var role = m.path("role").asText();
            if (!role.equals("user") && !role.equals("assistant")) p.add("message " + i + ": role " + role + " is not user or assistant");
            if (i > 0 && role.equals(msgs.get(i - 1).path("role").asText())) p.add("message " + i + ": roles must alternate");
            var content = m.path("content");
            if (content.isTextual()) {
                if (content.asText().isBlank()) p.add("message " + i + ": empty text content");
                if (!pending.isEmpty()) p.add("message " + i + ": tool_use ids " + pending + " have no tool_result");
                pending = Set.of();
                continue;
            }
            if (!content.isArray() || content.isEmpty()) {
                p.add("message " + i + ": content must be a string or a non-empty array of blocks");
                continue;
            }
            if (role.equals("assistant")) {
                if (!pending.isEmpty()) p.add("message " + i + ": tool_use ids " + pending + " have no tool_result");
                var ids = new HashSet<String>();
                for (var block : content) {
                    var type = block.path("type").asText();
                    switch (type) {
                        case "text" -> {
                            if (block.path("text").asText().isEmpty()) p.add("message " + i + ": empty text block");
                        }
                        case "tool_use" -> {
                            if (!block.path("id").isTextual() || !block.path("name").isTextual()) p.add("message " + i + ": tool_use needs id and name");
                            if (!block.path("input").isObject()) p.add("message " + i + ": tool_use input must be an object");
                            if (!ids.add(block.path("id").asText())) p.add("message " + i + ": tool_use id repeated");
                        }
                        default -> p.add("message " + i + ": an assistant block of type " + type + " was not sent by the model");
                    }
                }
                pending = ids;
            } else {
                var answered = new HashSet<String>();
                boolean seenOther = false;
                for (var block : content) {
                    var type = block.path("type").asText();
                    if (type.equals("tool_result")) {
                        var id = block.path("tool_use_id").asText();
                        if (seenOther) p.add("message " + i + ": tool_result blocks must come before any other block");
                        if (!pending.contains(id)) p.add("message " + i + ": tool_result for " + id + ", which the previous assistant turn did not call");
                        if (!answered.add(id)) p.add("message " + i + ": two tool_results for " + id);
                        var c = block.path("content");
                        if (!c.isTextual() && !c.isArray()) p.add("message " + i + ": tool_result content must be a string or blocks");
                        if (block.has("is_error") && !block.get("is_error").isBoolean()) p.add("message " + i + ": is_error must be a boolean");
                    } else if (type.equals("text")) {
                        seenOther = true;
                        if (block.path("text").asText().isEmpty()) p.add("message " + i + ": empty text block");
                    } else {
                        p.add("message " + i + ": a user block of type " + type + " is not expected here");
                    }
                }
                if (!answered.equals(pending)) {
                    var missing = new HashSet<>(pending);
                    missing.removeAll(answered);
                    if (!missing.isEmpty()) p.add("message " + i + ": tool_use ids " + missing + " have no tool_result");
                }
                pending = Set.of();
            }
        }
        if (!"user".equals(msgs.get(msgs.size() - 1).path("role").asText())) p.add("the last message must be the user's");
    }

    private static String prefix(JsonNode b) {
        return b.path("tools").toString() + "\u0000" + b.path("system").toString();
    }

    @Override
    Respond invalid(String problem) {
        return error(400, "invalid_request_error", problem, Map.of());
    }

    // ---- answers ----------------------------------------------------------------------------------------------------

    /** One tool call of a scripted reply; {@code input} is raw JSON. */
    record Call(String name, String input) {}

    static Call call(String name, String input) {
        return new Call(name, input);
    }

    /** A reply with words and tool calls (stop reason tool_use, or end_turn without calls). */
    Step reply(String text, Call... calls) {
        return r -> message(r, text, List.of(calls), calls.length == 0 ? "end_turn" : "tool_use", null);
    }

    /** A reply with a given stop reason. */
    Step replyWithStop(String stop, String text, Call... calls) {
        return r -> message(r, text, List.of(calls), stop, null);
    }

    /** A refusal, as the API sends one: stop_reason refusal with stop_details. */
    Step refusal(String explanation) {
        return r -> message(r, "I can't help with that.", List.of(), "refusal", explanation);
    }

    static Step fail(int status, String type, String message, Map<String, String> headers) {
        return r -> error(status, type, message, headers);
    }

    static Step drop() {
        return r -> new Drop();
    }

    static Step hang(long millis) {
        return r -> new Hang(millis);
    }

    static Respond error(int status, String type, String message, Map<String, String> headers) {
        var body = object();
        body.put("type", "error");
        body.putObject("error").put("type", type).put("message", message);
        var h = new LinkedHashMap<>(headers);
        h.put("request-id", "req_fake");
        return new Respond(status, h, body.toString());
    }

    private Respond message(Received r, String text, List<Call> calls, String stop, String refusal) {
        var m = object();
        m.put("id", "msg_" + ids.incrementAndGet());
        m.put("type", "message");
        m.put("role", "assistant");
        m.put("model", r.body().path("model").asText());
        var content = m.putArray("content");
        if (text != null && !text.isEmpty()) content.addObject().put("type", "text").put("text", text);
        for (var c : calls) {
            var block = content.addObject();
            block.put("type", "tool_use");
            block.put("id", "toolu_" + ids.incrementAndGet());
            block.put("name", c.name());
            block.set("input", parse(c.input()));
            issued.put(block.get("id").asText(), block.get("input"));
        }
        m.put("stop_reason", stop);
        m.putNull("stop_sequence");
        if (refusal != null) m.putObject("stop_details").put("type", "refusal").put("category", "cyber").put("explanation", refusal);
        var usage = m.putObject("usage");
        var prefix = prefix(r.body());
        long prefixTokens = prefix.length() / 4, rest = Math.max(1, (r.raw().length() - prefix.length()) / 4);
        boolean hit;
        synchronized (this) {
            hit = !cachedPrefixes.add(prefix);
        }
        usage.put("input_tokens", rest);
        usage.put("cache_creation_input_tokens", hit ? 0 : prefixTokens);
        usage.put("cache_read_input_tokens", hit ? prefixTokens : 0);
        usage.put("output_tokens", Math.max(1, content.toString().length() / 4));
        return new Respond(200, Map.of(), m.toString());
    }

    // ---- reading requests --------------------------------------------------------------------------------------------

    /** The tool_result blocks of the request's last message. */
    static List<JsonNode> toolResults(Received r) {
        var msgs = r.body().path("messages");
        var out = new ArrayList<JsonNode>();
        for (var block : msgs.get(msgs.size() - 1).path("content"))
            if ("tool_result".equals(block.path("type").asText())) out.add(block);
        return out;
    }

    /** The text of a tool result (a string, or text blocks). */
    static String text(JsonNode toolResult) {
        var c = toolResult.path("content");
        if (c.isTextual()) return c.asText();
        var s = new StringBuilder();
        for (var b : c) s.append(b.path("text").asText());
        return s.toString();
    }

    /** All text of the request's last message. */
    static String lastUserText(Received r) {
        var msgs = r.body().path("messages");
        var c = msgs.get(msgs.size() - 1).path("content");
        if (c.isTextual()) return c.asText();
        var s = new StringBuilder();
        for (var b : c) s.append(b.path("text").asText()).append(b.has("content") ? text(b) : "");
        return s.toString();
    }

    static ObjectNode input(Object... kv) {
        var o = object();
        for (int i = 0; i < kv.length; i += 2) o.set((String) kv[i], Json.MAPPER.valueToTree(kv[i + 1]));
        return o;
    }
}
