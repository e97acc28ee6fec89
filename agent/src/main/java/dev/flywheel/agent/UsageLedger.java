package dev.flywheel.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Locale;

/**
 * Every LLM call's usage, one row each in the study's {@value #FILE} (time, model, uncached input, cache writes,
 * cache reads, output, stop reason, seconds, dollars), and their sum — over every session of the study, so a
 * resumed study keeps counting against the same budget.
 */
final class UsageLedger {

    static final String FILE = "llm-usage.tsv";
    private static final String HEADER = "time\tmodel\tinput\tcache_write\tcache_read\toutput\tstop\tseconds\tcost_usd";

    private final Path file;
    private final Prices prices;
    private LlmUsage total = LlmUsage.ZERO;
    private int calls;

    UsageLedger(Path studyDir, Prices prices) {
        this.file = studyDir.resolve(FILE);
        this.prices = prices;
        try {
            if (Files.isRegularFile(file)) {
                for (var line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    var f = line.split("\t");
                    if (f.length < 6 || f[0].equals("time")) continue;
                    try {
                        total = total.plus(new LlmUsage(Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                                Long.parseLong(f[5])));
                        calls++;
                    } catch (NumberFormatException e) {
                        // a row torn by a kill: not counted
                    }
                }
            } else {
                Files.createDirectories(studyDir);
                Files.writeString(file, HEADER + "\n", StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the LLM usage file " + file + " cannot be read or written", e);
        }
    }

    synchronized void record(String model, LlmUsage u, String stop, double seconds) {
        total = total.plus(u);
        calls++;
        var row = String.join("\t", Instant.now().toString(), model, Long.toString(u.input()), Long.toString(u.cacheWrite()),
                Long.toString(u.cacheRead()), Long.toString(u.output()), stop == null ? "" : stop,
                String.format(Locale.ROOT, "%.2f", seconds), String.format(Locale.ROOT, "%.6f", prices.cost(u))) + "\n";
        try {
            Files.writeString(file, row, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("the LLM usage file " + file + " cannot be written", e);
        }
    }

    synchronized LlmUsage total() {
        return total;
    }

    synchronized int calls() {
        return calls;
    }

    Prices prices() {
        return prices;
    }

    /** The sum for the journal: calls, tokens by kind, dollars, and how much of the budget that is. */
    synchronized String describe(LlmBudget budget) {
        var s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%d call%s, %s", calls, calls == 1 ? "" : "s", total.describe()));
        if (!prices.free()) s.append(String.format(Locale.ROOT, ", about $%.4f (%s)", prices.cost(total), prices.basis()));
        if (!budget.unlimited())
            s.append(String.format(Locale.ROOT, "; %.0f%% of the LLM budget of %s", 100 * budget.fraction(total, prices), budget.describe()));
        s.append("; per call in ").append(FILE);
        return s.toString();
    }
}
