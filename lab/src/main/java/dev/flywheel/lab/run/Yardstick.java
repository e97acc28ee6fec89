package dev.flywheel.lab.run;

import dev.flywheel.data.loader.TokenLoader;
import dev.flywheel.engine.BatchSource;
import dev.flywheel.engine.Evaluator;
import dev.flywheel.engine.Gpt;
import dev.flywheel.engine.Trainer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The fixed tokens — and so the fixed bytes — a run is scored on, whatever its context length, batch or seed.
 *
 * <p>A split of S tokens is scored on {@code eval.tokens} = N of its target tokens, in spans of {@link #SPAN}
 * consecutive tokens spread evenly over the split (span j starts at token j·⌊(S−1)/K⌋ for K = ⌈N/SPAN⌉ spans; the last
 * span is shorter when N is not a multiple of SPAN). A split too small for that is scored whole, from its first token.
 * Each span is read in consecutive windows of the model's context (model.seq); a window that would cross the end of
 * its span is cut there, and the positions after the cut are not scored. So every recipe on the same data and
 * tokenizer scores exactly the same tokens: the context a token is predicted from is the model's business, which
 * bytes are scored is not. The metric is bits per byte (Σ nats / (ln 2 · Σ UTF-8 bytes of the scored tokens)).
 *
 * <p>The spans are the sampling units of the evaluation's own standard error ({@link Score#bpbStdErr}): the
 * ratio-estimator error of bits per byte over K spans, which says how far the score of these bytes may sit from the
 * score of the whole split's distribution. Every recipe is scored on the same spans, so most of that error (how hard
 * each span is) is shared and cancels in a comparison; what is left is {@link Score#differenceStdErr}, which is what
 * should be small next to seed noise.
 */
public final class Yardstick {

    /** Tokens per span: the unit the scored tokens are laid out and sampled in. */
    public static final int SPAN = 1024;
    /** Windows per forward pass; changes only the evaluation's speed, never its result. */
    public static final int BATCH = 8;

    /** Reads tokens {@code [from, from + count)} of a split into {@code dst} at {@code off}. */
    public interface Tokens {
        long count();

        void read(long from, int[] dst, int off, int count);

        static Tokens of(TokenLoader split) {
            return new Tokens() {
                public long count() {
                    return split.tokenCount();
                }

                public void read(long from, int[] dst, int off, int count) {
                    split.read(from, dst, off, count);
                }
            };
        }

        static Tokens of(int[] ids) {
            return new Tokens() {
                public long count() {
                    return ids.length;
                }

                public void read(long from, int[] dst, int off, int count) {
                    System.arraycopy(ids, (int) from, dst, off, count);
                }
            };
        }
    }

    /** Targets {@code start+1 .. start+length} of the split are scored, from inputs {@code start .. start+length-1}. */
    public record Span(long start, int length) {}

    /** One window of a span: inputs {@code [from, from+length)}, targets one token further. */
    record Window(int span, long from, int length) {}

    /**
     * The evaluation and its own sampling error.
     *
     * @param bpbStdErr standard error of bits per byte over the spans (NaN with fewer than two)
     * @param spanNats  nats of each span's scored tokens
     * @param spanBytes UTF-8 bytes of each span's scored tokens
     */
    public record Score(Trainer.EvalResult result, double bpbStdErr, double[] spanNats, long[] spanBytes) {
        public double bitsPerByte() {
            return result.bitsPerByte();
        }

        public int spans() {
            return spanNats.length;
        }

        /**
         * Standard error of {@code this − other} in bits per byte, two models scored on the same yardstick: the
         * sampling error left in a comparison once what the spans share (how hard each span is) cancels.
         */
        public double differenceStdErr(Score other) {
            if (!Arrays.equals(spanBytes, other.spanBytes))
                throw new IllegalArgumentException("the two scores are not of the same yardstick");
            var d = new double[spanNats.length];
            for (int j = 0; j < d.length; j++) d[j] = spanNats[j] - other.spanNats[j];
            return stdErr(d, spanBytes);
        }
    }

    private final Tokens split;
    private final List<Span> spans;
    private final List<Window> windows;
    private final int seq;

    private Yardstick(Tokens split, List<Span> spans, int seq) {
        this.split = split;
        this.spans = spans;
        this.seq = seq;
        var w = new ArrayList<Window>();
        for (int j = 0; j < spans.size(); j++) {
            var s = spans.get(j);
            for (int off = 0; off < s.length(); off += seq) w.add(new Window(j, s.start() + off, Math.min(seq, s.length() - off)));
        }
        this.windows = List.copyOf(w);
    }

    /** The yardstick of {@code tokens} scored tokens of {@code split}, read in windows of {@code seq}. */
    public static Yardstick of(Tokens split, long tokens, int seq) {
        if (seq < 1) throw new IllegalArgumentException("seq must be at least 1");
        return new Yardstick(split, spans(split.count(), tokens), seq);
    }

    public static Yardstick of(TokenLoader split, long tokens, int seq) {
        return of(Tokens.of(split), tokens, seq);
    }

    /**
     * Where the scored tokens of a split of {@code splitTokens} tokens lie: {@code tokens} of them in spans of
     * {@link #SPAN} spread evenly over the split, or, when the split cannot hold them apart, the split's first
     * targets (all of them if it has no more).
     */
    public static List<Span> spans(long splitTokens, long tokens) {
        if (tokens < 1) throw new IllegalArgumentException("a yardstick scores at least one token");
        long targets = splitTokens - 1;
        if (targets < 1) throw new IllegalArgumentException("a split of " + splitTokens + " tokens has nothing to score");
        long n = Math.min(tokens, targets);
        long k = (n + SPAN - 1) / SPAN;
        long stride = k * SPAN <= targets ? targets / k : SPAN; // SPAN: consecutive spans from the first token
        var out = new ArrayList<Span>();
        for (long j = 0; j < k; j++) out.add(new Span(j * stride, (int) Math.min(SPAN, n - j * SPAN)));
        return List.copyOf(out);
    }

    public List<Span> spans() {
        return spans;
    }

    /** Target tokens scored. */
    public long tokens() {
        long n = 0;
        for (var s : spans) n += s.length();
        return n;
    }

    /** Forward passes of {@link #BATCH} windows one evaluation takes. */
    public int batches() {
        return (windows.size() + BATCH - 1) / BATCH;
    }

    /** The windows as batches of {@link #BATCH} rows; rows past the last window score nothing. */
    public BatchSource source() {
        return (step, micro, batch, t, inputs, targets) -> {
            if (t != seq) throw new IllegalArgumentException("the yardstick's windows are " + seq + " tokens, not " + t);
            for (int r = 0; r < batch; r++) {
                long w = step * batch + r;
                int at = r * t;
                Arrays.fill(inputs, at, at + t, 0);
                Arrays.fill(targets, at, at + t, -1);
                if (w >= windows.size()) continue;
                var win = windows.get((int) w);
                split.read(win.from(), inputs, at, win.length());
                split.read(win.from() + 1, targets, at, win.length());
            }
        };
    }

    /** An evaluator of {@code model} shaped for this yardstick. */
    public Evaluator evaluator(Gpt model, int[] tokenBytes) {
        return new Evaluator(model, BATCH, seq, tokenBytes);
    }

    /** Scores {@code evaluator}'s model (built by {@link #evaluator}) on the yardstick's tokens. */
    public Score score(Evaluator evaluator, long step) {
        int rows = batches() * BATCH;
        var rowNats = new double[rows];
        var rowBytes = new long[rows];
        var result = evaluator.evaluate(step, source(), batches(), rowNats, rowBytes);
        var spanNats = new double[spans.size()];
        var spanBytes = new long[spans.size()];
        for (int w = 0; w < windows.size(); w++) {
            spanNats[windows.get(w).span()] += rowNats[w];
            spanBytes[windows.get(w).span()] += rowBytes[w];
        }
        return new Score(result, stdErr(spanNats, spanBytes), spanNats, spanBytes);
    }

    /**
     * Standard error of bits per byte Σn/(ln 2 · Σb) over units with nats n_j and bytes b_j: the ratio estimator's
     * √(K/(K−1) · Σ(n_j − R·b_j)²) / Σb, R = Σn/Σb, in bits. NaN with fewer than two units.
     */
    static double stdErr(double[] nats, long[] bytes) {
        int k = nats.length;
        if (k < 2) return Double.NaN;
        double n = 0, b = 0;
        for (int j = 0; j < k; j++) {
            n += nats[j];
            b += bytes[j];
        }
        if (b <= 0) return Double.NaN;
        double r = n / b, ss = 0;
        for (int j = 0; j < k; j++) ss += (nats[j] - r * bytes[j]) * (nats[j] - r * bytes[j]);
        return Math.sqrt(ss * k / (k - 1.0)) / b / Math.log(2);
    }
}
