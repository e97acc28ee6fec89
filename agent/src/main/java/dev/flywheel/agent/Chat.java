package dev.flywheel.agent;

import java.time.Duration;
import java.util.List;

/**
 * A conversation with a tool-using model, in terms both APIs share: the loop ({@link AgentLoop}) speaks these, and
 * each provider ({@link AnthropicChat}, {@link OpenAiChat}) translates them to its SDK's request and back.
 */
final class Chat {

    private Chat() {
    }

    /** One tool call as the model made it; {@code arguments} is the JSON text it gave, valid or not. */
    record ToolCall(String id, String name, String arguments) {}

    /** A message of the conversation. */
    sealed interface Message permits UserText, AssistantTurn, ToolResults {}

    /** Words from the lab to the model: the opening, a memory, a nudge. */
    record UserText(String text) implements Message {}

    /** What the model said and the tools it called. */
    record AssistantTurn(String text, List<ToolCall> calls) implements Message {
        AssistantTurn {
            text = text == null ? "" : text;
            calls = List.copyOf(calls);
        }
    }

    /** The results of every call of the turn before, in its order, then optionally a few words from the lab. */
    record ToolResults(List<ToolResult> results, String text) implements Message {
        ToolResults {
            results = List.copyOf(results);
        }
    }

    /** One tool result; an error result tells the model what to fix. */
    record ToolResult(String callId, String content, boolean error) {}

    /** Why the model stopped. */
    enum Stop { END_TURN, TOOL_USE, MAX_TOKENS, REFUSAL, CONTEXT_FULL, OTHER }

    /**
     * One request: the stable prefix (system text with the brief, and the tools) and the conversation.
     *
     * @param forceTool a tool the model must call, or null
     */
    record Request(String system, List<ToolSpec> tools, List<Message> messages, int maxTokens, String forceTool) {}

    /** The model's answer. {@code stopDetail} is the provider's own word (and a refusal's explanation). */
    record Reply(AssistantTurn turn, Stop stop, String stopDetail, LlmUsage usage) {}

    /** One model endpoint: sends one request, no retries (the loop retries). */
    interface Api extends AutoCloseable {
        /** @throws Fault when the call fails */
        Reply send(Request request);

        @Override
        void close();
    }

    /**
     * A failed call.
     *
     * @param kind       whether to retry, shorten the conversation, or give up on the model
     * @param status     the HTTP status, or 0 when no answer came (timeout, dropped connection)
     * @param retryAfter what the server asked us to wait, or null
     */
    static final class Fault extends RuntimeException {
        enum Kind { TRANSIENT, CONTEXT_TOO_LONG, BAD_REQUEST, FATAL }

        final Kind kind;
        final int status;
        final Duration retryAfter;

        Fault(Kind kind, int status, Duration retryAfter, String message) {
            super(message);
            this.kind = kind;
            this.status = status;
            this.retryAfter = retryAfter;
        }

        /** A status that another try may cure: 408, 409, 429, 5xx (529 is Anthropic's "overloaded"). */
        static Kind forStatus(int status, String message) {
            if (status == 408 || status == 409 || status == 429 || status >= 500) return Kind.TRANSIENT;
            if (status == 413) return Kind.CONTEXT_TOO_LONG;
            if (status == 400 || status == 422) {
                var m = message == null ? "" : message.toLowerCase(java.util.Locale.ROOT);
                // Anthropic: "prompt is too long"; vLLM: "maximum context length"; llama.cpp: "exceeds the available
                // context size"; others: "context window", "too many tokens".
                if (m.contains("too long") || m.contains("too many tokens") || m.contains("context")
                        && (m.contains("length") || m.contains("window") || m.contains("size") || m.contains("exceed")))
                    return Kind.CONTEXT_TOO_LONG;
                return Kind.BAD_REQUEST;
            }
            return Kind.FATAL;
        }

        /** One line for the journal. */
        String describe() {
            return (status > 0 ? status + " " : "") + getMessage();
        }
    }

    /** What went wrong when no answer came, in words: a timeout, a dropped or refused connection, or the exception. */
    static String noAnswer(Throwable e, Duration timeout) {
        for (var t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.SocketTimeoutException || t instanceof java.io.InterruptedIOException
                    && String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("timeout"))
                return "no answer: timed out after " + timeout.toMillis() / 1000.0 + " s";
            if (t instanceof java.net.ConnectException) return "no answer: connection refused (" + t.getMessage() + ")";
            if (t instanceof java.net.UnknownHostException) return "no answer: unknown host " + t.getMessage();
            if (t instanceof java.io.EOFException || String.valueOf(t.getMessage()).contains("unexpected end of stream"))
                return "no answer: the connection was dropped before an answer came";
        }
        var root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        return "no answer: " + root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    /** Parses retry-after-ms / retry-after (seconds or an HTTP date) as servers send them. */
    static Duration retryAfter(String retryAfterMs, String retryAfter) {
        try {
            if (retryAfterMs != null && !retryAfterMs.isBlank())
                return Duration.ofMillis(Math.max(0, Math.round(Double.parseDouble(retryAfterMs.strip()))));
        } catch (NumberFormatException e) {
            // try the other header
        }
        if (retryAfter == null || retryAfter.isBlank()) return null;
        try {
            return Duration.ofMillis(Math.max(0, Math.round(Double.parseDouble(retryAfter.strip()) * 1000)));
        } catch (NumberFormatException e) {
            try {
                var when = java.time.ZonedDateTime.parse(retryAfter.strip(), java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
                var d = Duration.between(java.time.Instant.now(), when.toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (java.time.format.DateTimeParseException e2) {
                return null;
            }
        }
    }
}
