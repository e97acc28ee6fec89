package dev.flywheel.lab.budget;

import dev.flywheel.lab.LabException;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;

/** Parsing and formatting of budget strings, shared by run and study budgets so both read the same way. */
final class Units {

    private Units() {
    }

    private static final String NUMBER = "(\\d+(?:\\.\\d*)?(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)";

    // Counted budgets: an optional SI-style multiplier before the unit ("2M tokens", "1.5k steps"). Lower-case m
    // means mega here, never milli: nobody budgets thousandths of a step, and "10m" alone is ten minutes.
    private static final Pattern COUNT = Pattern.compile(
            NUMBER + "\\s*([kKmMgGbBtT])?\\s*(steps?|tokens?|toks?|flops?|runs?)", Pattern.CASE_INSENSITIVE);

    // Longer unit names come first so that "minutes" is not read as "m" followed by garbage.
    private static final Pattern TIME_PART = Pattern.compile(
            NUMBER + "\\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)(?![a-z])", Pattern.CASE_INSENSITIVE);

    private static final String FORMS = "write a time (60s, 10m, 2h), steps (500steps), tokens (2M tokens), "
            + "FLOPs (1e15flops) or, for a study, runs (50runs)";

    private sealed interface Parsed {
    }

    private record Counted(String unit, BigDecimal amount) implements Parsed {
    }

    private record Timed(BigDecimal seconds) implements Parsed {
    }

    static RunBudget parseRun(String text) {
        return switch (parse(text)) {
            case Timed t -> new RunBudget.Seconds(positive(t.seconds(), text).doubleValue());
            case Counted c when c.unit().equals("steps") -> new RunBudget.Steps(wholeCount(c, text));
            case Counted c when c.unit().equals("tokens") -> new RunBudget.Tokens(wholeCount(c, text));
            case Counted c when c.unit().equals("flops") -> new RunBudget.Flops(positive(c.amount(), text).doubleValue());
            case Counted c -> throw new LabException("budget \"" + text.strip() + "\" is a number of runs, which only a "
                    + "study can spend; a run budget is a time, steps, tokens or FLOPs, such as 60s or 500steps");
        };
    }

    static StudyBudget parseStudy(String text) {
        return switch (parse(text)) {
            case Timed t -> new StudyBudget.Time(Duration.ofMillis(
                    positive(t.seconds(), text).multiply(BigDecimal.valueOf(1000)).longValue()));
            case Counted c when c.unit().equals("runs") -> {
                long runs = wholeCount(c, text);
                if (runs > Integer.MAX_VALUE) throw new LabException("budget \"" + text.strip() + "\" is too many runs");
                yield new StudyBudget.Runs((int) runs);
            }
            case Counted c -> throw new LabException("budget \"" + text.strip() + "\" limits a single run; a study "
                    + "budget is a total time (30m, 2h) or a number of runs (50runs) — give " + c.unit()
                    + " as the run budget instead");
        };
    }

    private static Parsed parse(String text) {
        try {
            return parseNumbers(text);
        } catch (NumberFormatException | ArithmeticException e) { // 1.3e214748364812: an exponent past what a number holds
            throw new LabException("budget \"" + text.strip() + "\" is not a number Flywheel can hold; " + FORMS);
        }
    }

    private static Parsed parseNumbers(String text) {
        if (text == null || text.isBlank())
            throw new LabException("the budget is empty; " + FORMS);
        var s = text.strip();
        var count = COUNT.matcher(s);
        if (count.matches()) {
            var unit = count.group(3).toLowerCase(Locale.ROOT);
            unit = unit.startsWith("step") ? "steps" : unit.startsWith("tok") ? "tokens"
                    : unit.startsWith("flop") ? "flops" : "runs";
            var amount = new BigDecimal(count.group(1));
            if (count.group(2) != null) amount = amount.multiply(multiplier(count.group(2).charAt(0)));
            return new Counted(unit, amount);
        }
        var time = TIME_PART.matcher(s);
        var total = BigDecimal.ZERO;
        int at = 0, parts = 0;
        while (at < s.length()) {
            time.region(at, s.length());
            if (!time.lookingAt()) break;
            total = total.add(new BigDecimal(time.group(1)).multiply(secondsPer(time.group(2))));
            parts++;
            at = time.end();
            while (at < s.length() && Character.isWhitespace(s.charAt(at))) at++;
        }
        if (parts > 0 && at == s.length()) return new Timed(total);
        if (s.matches(NUMBER))
            throw new LabException("budget \"" + s + "\" has no unit; " + FORMS);
        throw new LabException("budget \"" + s + "\" is not understood; " + FORMS);
    }

    private static BigDecimal multiplier(char c) {
        return switch (Character.toLowerCase(c)) {
            case 'k' -> BigDecimal.TEN.pow(3);
            case 'm' -> BigDecimal.TEN.pow(6);
            case 'g', 'b' -> BigDecimal.TEN.pow(9);
            default -> BigDecimal.TEN.pow(12);
        };
    }

    private static BigDecimal secondsPer(String unit) {
        var u = unit.toLowerCase(Locale.ROOT);
        if (u.startsWith("d")) return BigDecimal.valueOf(86_400);
        if (u.startsWith("h")) return BigDecimal.valueOf(3_600);
        if (u.startsWith("m")) return BigDecimal.valueOf(60);
        return BigDecimal.ONE;
    }

    private static BigDecimal positive(BigDecimal amount, String text) {
        if (amount.signum() <= 0) throw new LabException("budget \"" + text.strip() + "\" must be more than zero");
        return amount;
    }

    private static long wholeCount(Counted c, String text) {
        positive(c.amount(), text);
        try {
            return c.amount().stripTrailingZeros().longValueExact();
        } catch (ArithmeticException e) {
            throw new LabException("budget \"" + text.strip() + "\" must be a whole number of " + c.unit()
                    + " (got " + c.amount().stripTrailingZeros().toPlainString() + ")");
        }
    }

    static long whole(double amount, String unit) {
        if (!(amount == Math.rint(amount)) || Math.abs(amount) > 9.0e15)
            throw new LabException("a run budget in " + unit + " must be a whole number (got " + formatNumber(amount) + ")");
        return (long) amount;
    }

    static void requirePositive(double amount, String what) {
        if (!(amount > 0) || Double.isInfinite(amount))
            throw new LabException(what + " must be a finite number above zero (got " + formatNumber(amount) + ")");
    }

    static String formatSeconds(double seconds) {
        // Under two minutes, seconds read best ("90s", not "1m30s").
        if (seconds != Math.rint(seconds) || seconds < 120) return formatNumber(seconds) + "s";
        long s = (long) seconds;
        var out = new StringBuilder();
        if (s >= 3600) out.append(s / 3600).append('h');
        if (s % 3600 >= 60) out.append(s % 3600 / 60).append('m');
        if (s % 60 != 0) out.append(s % 60).append('s');
        return out.toString();
    }

    static String formatCount(long n) {
        if (n >= 1_000_000_000 && n % 1_000_000_000 == 0) return n / 1_000_000_000 + "G";
        if (n >= 1_000_000 && n % 1_000_000 == 0) return n / 1_000_000 + "M";
        if (n >= 10_000 && n % 1_000 == 0) return n / 1_000 + "k";
        return Long.toString(n);
    }

    /** Shortest round-tripping form: integers plainly up to 1e7, otherwise like {@code 1e15} or {@code 2.5e-4}. */
    static String formatNumber(double x) {
        if (x == Math.rint(x) && Math.abs(x) < 1e7) return Long.toString((long) x);
        var s = Double.toString(x);
        int e = s.indexOf('E');
        if (e < 0) return s;
        var mantissa = s.substring(0, e);
        if (mantissa.endsWith(".0")) mantissa = mantissa.substring(0, mantissa.length() - 2);
        return mantissa + "e" + s.substring(e + 1);
    }
}
