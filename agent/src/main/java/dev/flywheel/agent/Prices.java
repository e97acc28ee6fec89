package dev.flywheel.agent;

import java.util.Locale;

/**
 * What a model's tokens cost, in dollars per million tokens, for a dollar budget (--llm-budget $2) and the usage
 * lines of the journal.
 *
 * <p>Claude prices come from Anthropic's price list by model family (Opus, Sonnet, Haiku): a prompt-cache write
 * costs 1.25× the input price and a cache read 0.1× (five-minute cache). A model the table does not know is priced
 * as the most expensive family, so a dollar budget errs on the side of stopping early; {@code --llm-price IN/OUT}
 * sets the prices outright. Models behind an OpenAI-compatible server (llama.cpp, vLLM, Ollama) run locally and
 * cost nothing unless prices are given.
 *
 * @param basis what the prices are, for the journal ("claude-sonnet list price", "given with --llm-price", ...)
 */
public record Prices(String basis, double input, double output, double cacheWrite, double cacheRead) {

    public static final Prices FREE = new Prices("a local server, no price", 0, 0, 0, 0);

    public Prices {
        for (double p : new double[]{input, output, cacheWrite, cacheRead})
            if (!(p >= 0) || !Double.isFinite(p)) throw new IllegalArgumentException("token prices must be finite and not negative");
    }

    /** Prices with Anthropic's cache factors: writes 1.25× input, reads 0.1× input. */
    public static Prices of(String basis, double inputPerMillion, double outputPerMillion) {
        return new Prices(basis, inputPerMillion, outputPerMillion, 1.25 * inputPerMillion, 0.1 * inputPerMillion);
    }

    /** The list price of a Claude model by its family; unknown families are priced as Opus. */
    public static Prices claude(String model) {
        var m = model.toLowerCase(Locale.ROOT);
        if (m.contains("haiku")) {
            if (m.contains("3-haiku") || m.contains("haiku-3")) return of("claude-haiku-3 list price", 0.25, 1.25);
            if (m.contains("3-5-haiku") || m.contains("haiku-3-5")) return of("claude-haiku-3.5 list price", 0.8, 4);
            return of("claude-haiku list price", 1, 5);
        }
        if (m.contains("sonnet")) return of("claude-sonnet list price", 3, 15);
        if (m.contains("opus")) {
            // Opus 3, 4 and 4.1 were priced at 15/75; later Opus models at 5/25.
            if (m.contains("opus-4-1") || m.matches(".*opus-4(-\\d{8})?$") || m.contains("3-opus"))
                return of("claude-opus (4.1 and earlier) list price", 15, 75);
            return of("claude-opus list price", 5, 25);
        }
        return of("an unknown model, priced as the dearest Claude family (15/75) to be safe", 15, 75);
    }

    /**
     * Parses {@code IN/OUT}, dollars per million input and output tokens, such as {@code 3/15}.
     *
     * @throws IllegalArgumentException saying what to write
     */
    public static Prices parse(String text) {
        var parts = text == null ? new String[0] : text.strip().replace("$", "").split("/");
        try {
            if (parts.length == 2) {
                double in = Double.parseDouble(parts[0].strip()), out = Double.parseDouble(parts[1].strip());
                return of("given with --llm-price " + text.strip(), in, out);
            }
        } catch (IllegalArgumentException e) {
            // fall through to the message
        }
        throw new IllegalArgumentException("--llm-price must be dollars per million input and output tokens as IN/OUT, "
                + "such as 3/15, not \"" + text + "\"");
    }

    /** Dollars for {@code u}. */
    public double cost(LlmUsage u) {
        return (u.input() * input + u.cacheWrite() * cacheWrite + u.cacheRead() * cacheRead + u.output() * output) / 1e6;
    }

    public boolean free() {
        return input == 0 && output == 0 && cacheWrite == 0 && cacheRead == 0;
    }
}
