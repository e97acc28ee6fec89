package dev.flywheel.lab.recipe;

import dev.flywheel.lab.LabException;

import java.util.regex.Pattern;

/**
 * A fault injected into a run on purpose, to test and demonstrate the guard. Written in a recipe's
 * {@code inject} list as {@code corrupt-batch@300}, {@code lr-spike@200:10} or {@code nan@150}.
 */
public sealed interface Injection {

    /** The optimizer step the fault hits. */
    long step();

    /** The recipe spelling, which {@link #parse} reads back. */
    String spec();

    /**
     * The batch of this step — and of the next {@code batches − 1} steps, a burst like a bad shard — is replaced
     * by degenerate data drawn from marked documents.
     */
    record CorruptBatch(long step, int batches) implements Injection {
        public CorruptBatch(long step) {
            this(step, 1);
        }

        public String spec() {
            return "corrupt-batch@" + step + (batches == 1 ? "" : ":" + batches);
        }
    }

    /** The learning rate of this step is multiplied by {@code factor}. */
    record LrSpike(long step, double factor) implements Injection {
        public String spec() {
            return "lr-spike@" + step + ":" + Values.format(factor);
        }
    }

    /** The loss of this step becomes NaN. */
    record Nan(long step) implements Injection {
        public String spec() {
            return "nan@" + step;
        }
    }

    Pattern FORM = Pattern.compile("\\s*([a-z-]+)\\s*@\\s*(\\d+)\\s*(?::\\s*(\\S+))?\\s*");

    /**
     * Reads one injection.
     *
     * @throws LabException saying which of the three forms was meant and how to write it
     */
    static Injection parse(String text) {
        var forms = "write corrupt-batch@STEP[:BATCHES], lr-spike@STEP:FACTOR or nan@STEP, such as lr-spike@200:10";
        if (text == null) throw new LabException("an injection is empty; " + forms);
        var m = FORM.matcher(text);
        if (!m.matches()) throw new LabException("\"" + text + "\" is not an injection; " + forms);
        long step = Long.parseLong(m.group(2));
        var factor = m.group(3);
        return switch (m.group(1)) {
            case "corrupt-batch" -> {
                if (factor == null) yield new CorruptBatch(step);
                int n;
                try {
                    n = Integer.parseInt(factor);
                } catch (NumberFormatException e) {
                    n = 0;
                }
                if (n < 1) throw new LabException("\"" + text + "\": corrupt-batch takes a number of consecutive batches, such as corrupt-batch@" + step + ":20");
                yield new CorruptBatch(step, n);
            }
            case "nan" -> {
                if (factor != null) throw new LabException("\"" + text + "\": nan takes no factor; write nan@" + step);
                yield new Nan(step);
            }
            case "lr-spike" -> {
                if (factor == null)
                    throw new LabException("\"" + text + "\" needs a factor; write lr-spike@" + step + ":FACTOR such as lr-spike@" + step + ":10");
                double f;
                try {
                    f = Double.parseDouble(factor);
                } catch (NumberFormatException e) {
                    f = Double.NaN;
                }
                if (!(f > 0) || Double.isInfinite(f))
                    throw new LabException("\"" + text + "\": the factor must be a number above 0, such as lr-spike@" + step + ":10");
                yield new LrSpike(step, f);
            }
            default -> throw new LabException("\"" + text + "\": unknown fault \"" + m.group(1) + "\"; " + forms);
        };
    }
}
