package dev.flywheel.agent;

import java.util.Locale;

/**
 * Tokens of one LLM call, or a sum of calls, split the way providers bill them.
 *
 * @param input      input tokens read at the full price (not from the prompt cache)
 * @param cacheWrite input tokens written to the prompt cache (Anthropic bills them at 1.25× input)
 * @param cacheRead  input tokens read from the prompt cache (a tenth of the input price at Anthropic; OpenAI-compatible
 *                   servers report them as cached prompt tokens)
 * @param output     output tokens
 */
public record LlmUsage(long input, long cacheWrite, long cacheRead, long output) {

    public static final LlmUsage ZERO = new LlmUsage(0, 0, 0, 0);

    public LlmUsage plus(LlmUsage o) {
        return new LlmUsage(input + o.input, cacheWrite + o.cacheWrite, cacheRead + o.cacheRead, output + o.output);
    }

    /** Every input token of the call, cached or not: how much context the model read. */
    public long context() {
        return input + cacheWrite + cacheRead;
    }

    /** Every token read or written: what a token budget counts. */
    public long total() {
        return context() + output;
    }

    public String describe() {
        return String.format(Locale.ROOT, "%,d input tokens (%,d read from the prompt cache, %,d written to it, %,d uncached), "
                + "%,d output tokens", context(), cacheRead, cacheWrite, input, output);
    }
}
