package dev.flywheel.agent;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The most a study may spend on its LLM researcher ({@code --llm-budget}): a number of tokens ({@code 200k},
 * {@code 1.5M}, {@code 50000}) or of dollars ({@code $2}, {@code 2usd}). A token budget counts every token the
 * model reads or writes, prompt-cache reads included; a dollar budget prices them with {@link Prices}, cache reads
 * at a tenth. When the budget is spent the study goes on with the built-in researcher and the journal says so.
 *
 * @param tokens  the token ceiling, or null
 * @param dollars the dollar ceiling, or null (at most one of the two is set; neither means no ceiling)
 */
public record LlmBudget(Long tokens, Double dollars) {

    public static final LlmBudget UNLIMITED = new LlmBudget(null, null);

    private static final Pattern TOKENS = Pattern.compile("(?i)(\\d+(?:\\.\\d+)?)\\s*([km]?)\\s*(tokens?)?");
    private static final Pattern DOLLARS = Pattern.compile("(?i)\\$\\s*(\\d+(?:\\.\\d+)?)|(\\d+(?:\\.\\d+)?)\\s*(?:\\$|usd|dollars?)");

    public LlmBudget {
        if (tokens != null && dollars != null) throw new IllegalArgumentException("an LLM budget is tokens or dollars, not both");
        if (tokens != null && tokens < 1) throw new IllegalArgumentException("--llm-budget must be at least 1 token");
        if (dollars != null && !(dollars > 0)) throw new IllegalArgumentException("--llm-budget must be more than $0");
    }

    /**
     * Parses {@code 200k}, {@code 1.5M}, {@code 50000 tokens}, {@code $2}, {@code 2usd} or {@code none}.
     *
     * @throws IllegalArgumentException in one sentence saying what to write
     */
    public static LlmBudget parse(String text) {
        if (text == null || text.isBlank() || text.strip().equalsIgnoreCase("none") || text.strip().equalsIgnoreCase("unlimited"))
            return UNLIMITED;
        var t = text.strip();
        var d = DOLLARS.matcher(t);
        if (d.matches()) return new LlmBudget(null, Double.parseDouble(d.group(1) != null ? d.group(1) : d.group(2)));
        var m = TOKENS.matcher(t);
        if (m.matches()) {
            double n = Double.parseDouble(m.group(1));
            n *= switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "k" -> 1e3;
                case "m" -> 1e6;
                default -> 1;
            };
            return new LlmBudget(Math.round(n), null);
        }
        throw new IllegalArgumentException("--llm-budget must be tokens (200k, 1.5M, 50000) or dollars ($2 in single quotes, "
                + "or 2usd), not \"" + text + "\"");
    }

    public boolean unlimited() {
        return tokens == null && dollars == null;
    }

    /** How much of the budget {@code used} spends, from 0 (0 for no ceiling). */
    public double fraction(LlmUsage used, Prices prices) {
        if (tokens != null) return used.total() / (double) tokens;
        if (dollars != null) return prices.cost(used) / dollars;
        return 0;
    }

    public boolean spent(LlmUsage used, Prices prices) {
        return fraction(used, prices) >= 1;
    }

    public String describe() {
        if (tokens != null) return String.format(Locale.ROOT, "%,d tokens", tokens);
        if (dollars != null) return String.format(Locale.ROOT, "$%.2f", dollars);
        return "no ceiling";
    }
}
