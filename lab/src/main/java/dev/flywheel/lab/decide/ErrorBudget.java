package dev.flywheel.lab.decide;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The study's error budget: how much false-keep probability each experiment may use, so that the chance of keeping
 * <em>any</em> change that does nothing stays at or below {@code alpha} over the whole study (a family-wise bound),
 * however many experiments are run and however they depend on each other.
 *
 * <p>The rule is the online fallback procedure (Tian &amp; Ramdas 2021, after Wiens 2003): the i-th test gets
 * {@code α_i = α·γ_i + (test i−1 was kept ? α_{i−1} : 0)}, with {@code γ_i = 1/horizon} for the first {@code horizon}
 * tests and 0 after. A discarded test's α is gone; a kept test hands its α on to the next, because a true keep used
 * no false-keep probability. By the union bound over the tests, false keeps across the study are at most
 * {@code α·Σγ_i = α}, under any dependence between the tests (they share parent seeds and the pooled σ_d).
 *
 * <p>Why family-wise and not an online FDR rule (LORD, alpha-investing): the target is at most 5% of studies with a
 * false keep when every change is null, and under that global null FDR and FWER coincide — but LORD-style rules earn
 * wealth back on each discovery, which is exactly what a study that keeps its own false wins must not do. The cost is
 * the horizon: past it only recycled α is left, so set it to the most experiments the study can afford.
 *
 * <p>Resubmission: every test spends from the one sequence, whatever its change key; trying the same or a
 * near-identical change again is just another test, paid again (no free retries), and {@link #attempts(String)} and
 * {@link #allotted(String)} show what a change has cost so far. The caller canonicalises near-identical changes to
 * one key (for example the recipe diff with values snapped to the search space's grid).
 *
 * @param alpha   the study's family-wise false-keep bound
 * @param horizon the number of tests α is spread over
 * @param tests   the tests so far, in order
 */
public record ErrorBudget(double alpha, int horizon, List<Test> tests) {

    /** One finished test: its change key, the α it was allotted, its final p-value and whether it was kept. */
    public record Test(String changeKey, double alpha, double pValue, boolean kept) {}

    public ErrorBudget {
        if (!(alpha > 0 && alpha < 1)) throw new IllegalArgumentException("alpha must be in (0, 1), got " + alpha);
        if (horizon < 1) throw new IllegalArgumentException("horizon must be at least 1, got " + horizon);
        tests = List.copyOf(tests);
    }

    public static ErrorBudget of(double alpha, int horizon) {
        return new ErrorBudget(alpha, horizon, List.of());
    }

    /** γ_i·α for the i-th test (1-based): the fresh part of its allotment. */
    private double fresh(int i) {
        return i <= horizon ? alpha / horizon : 0;
    }

    /** The α allotted to the next test. */
    public double next() {
        int i = tests.size() + 1;
        double carried = tests.isEmpty() || !tests.getLast().kept() ? 0 : tests.getLast().alpha();
        return fresh(i) + carried;
    }

    /** The budget after the next test: it is allotted {@link #next()}; it ended with p-value {@code pValue}. */
    public ErrorBudget after(String changeKey, double pValue, boolean kept) {
        var more = new ArrayList<>(tests);
        more.add(new Test(changeKey, next(), pValue, kept));
        return new ErrorBudget(alpha, horizon, more);
    }

    /**
     * What is left to allot: the fresh part of every future test plus what a last keep hands on. It never increases
     * (a keep leaves it unchanged, a discard lowers it by the test's α) and never goes below 0.
     */
    public double remaining() {
        int done = tests.size();
        double future = alpha * Math.max(0, horizon - done) / horizon;
        double carried = tests.isEmpty() || !tests.getLast().kept() ? 0 : tests.getLast().alpha();
        return future + carried;
    }

    /** α used up by discarded tests. */
    public double spent() {
        return alpha - remaining();
    }

    /** How many tests this change key has had. */
    public int attempts(String changeKey) {
        int n = 0;
        for (var t : tests) if (t.changeKey().equals(changeKey)) n++;
        return n;
    }

    /** The α allotted to this change key over all its tests. */
    public double allotted(String changeKey) {
        double a = 0;
        for (var t : tests) if (t.changeKey().equals(changeKey)) a += t.alpha();
        return a;
    }

    public String describe() {
        return String.format(Locale.ROOT, "error budget α = %.3g over %d tests: %d run, %.3g spent, %.3g left, %.3g for the next",
                alpha, horizon, tests.size(), spent(), remaining(), next());
    }
}
