package dev.flywheel.data.clean;

import dev.flywheel.data.DataException;
import dev.flywheel.data.util.Hashing;
import dev.flywheel.data.util.LongIntMap;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Decontamination against evaluation texts as GPT-3 and lm-evaluation-harness do it: a document that shares an
 * {@code ngram}-word n-gram (13) with an evaluation text loses the match plus {@code window} characters on each
 * side (200); the pieces left shorter than {@code minFragment} characters (200) go too, and a document cut into
 * more than {@code maxPieces} pieces (10) is removed whole. Words are normalised as for MinHash.
 */
public record Decontamination(int ngram, int window, int minFragment, int maxPieces) {
    public static final String NAME = "decontaminate";

    public static Decontamination of(RuleParams p) {
        var d = new Decontamination(p.integer("ngram", 13, 1, 1000), p.integer("window", 200, 0, Integer.MAX_VALUE),
                p.integer("min_fragment", 200, 0, Integer.MAX_VALUE), p.integer("max_pieces", 10, 1, Integer.MAX_VALUE));
        p.done();
        return d;
    }

    /**
     * The n-grams of one evaluation text. {@code trainOnly}: the prepared data's own validation and test
     * documents, checked against the training documents only.
     */
    public record EvalText(String name, Path file, LongIntMap grams, long bytes, boolean trainOnly) {}

    /** Reads an evaluation text (UTF-8): a missing, unreadable or binary file is one clear sentence. */
    public EvalText load(Path file) {
        String text;
        try {
            byte[] bytes = Files.readAllBytes(file);
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw new DataException("the evaluation file " + file + " does not exist; give --eval/--decontaminate a readable UTF-8 text file");
        } catch (CharacterCodingException e) {
            throw new DataException("the evaluation file " + file + " is not UTF-8 text; convert it (e.g. iconv -t UTF-8) or give another file");
        } catch (IOException e) {
            throw new DataException("cannot read the evaluation file " + file + " (" + e.getMessage() + "); give a readable UTF-8 text file", e);
        }
        var t = TextStats.of(text);
        int[] at = MinHash.wordIndices(t);
        var grams = new LongIntMap(Math.max(16, at.length), 0);
        for (int i = 0; i + ngram <= at.length; i++) grams.put(gram(t, at, i), 1);
        if (grams.size() == 0) {
            throw new DataException("the evaluation file " + file + " has fewer than " + ngram + " words, so nothing can match it; give the evaluation text itself");
        }
        return new EvalText(file.getFileName().toString(), file, grams, text.length(), false);
    }

    /**
     * The held-out documents' n-grams, with how often the training documents hold each. An n-gram with more than
     * {@link #MAX_TRAINING_MATCHES} training matches is a common phrase, an idiom of the code or licence text, not
     * leaked evaluation text, and is ignored — GPT-3's rule (Brown et al. 2020, appendix C). Training matches are
     * counted in a count-min sketch (4 × 2²² saturating byte counters, 16 MB), which can only over-count: an
     * n-gram is ignored too often, never kept wrongly.
     */
    public final class HeldOut {
        public static final int MAX_TRAINING_MATCHES = 10;
        private static final int DEPTH = 4, WIDTH_BITS = 22;
        private final LongIntMap grams = new LongIntMap(1 << 16, 0);
        private final byte[] sketch = new byte[DEPTH << WIDTH_BITS];
        private long bytes;

        /** Adds one held-out document's n-grams. */
        public void addHeldOut(String text) {
            var t = TextStats.of(text);
            int[] at = MinHash.wordIndices(t);
            for (int i = 0; i + ngram <= at.length; i++) grams.put(gram(t, at, i), 1);
            bytes += text.length();
        }

        /** Counts one training document's n-grams in the sketch. */
        public void addTraining(String text) {
            var t = TextStats.of(text);
            int[] at = MinHash.wordIndices(t);
            for (int i = 0; i + ngram <= at.length; i++) {
                long g = gram(t, at, i);
                for (int d = 0; d < DEPTH; d++) {
                    int slot = (d << WIDTH_BITS) | (int) (Hashing.mix64(g + d) >>> (64 - WIDTH_BITS));
                    if (sketch[slot] != (byte) 0xFF) sketch[slot]++;
                }
            }
        }

        int trainingMatches(long g) {
            int min = 255;
            for (int d = 0; d < DEPTH; d++) min = Math.min(min, sketch[(d << WIDTH_BITS) | (int) (Hashing.mix64(g + d) >>> (64 - WIDTH_BITS))] & 0xFF);
            return min;
        }

        /** The n-grams to decontaminate against: the held-out ones with at most ten training matches. */
        public EvalText evalText() {
            var kept = new LongIntMap(Math.max(16, grams.size()), 0);
            grams.forEach((g, n) -> {
                if (trainingMatches(g) <= MAX_TRAINING_MATCHES) kept.put(g, 1);
            });
            return new EvalText("the validation and test documents", null, kept, bytes, true);
        }
    }

    public HeldOut heldOut() {
        return new HeldOut();
    }

    private long gram(TextStats t, int[] at, int i) {
        long h = 0;
        for (int k = 0; k < ngram; k++) h = h * 0x9E3779B97F4A7C15L + t.norm[at[i + k]];
        h = Hashing.mix64(h);
        return h == LongIntMap.EMPTY ? 7 : h;
    }

    /** How many of the document's n-grams the evaluation text holds; each match's window is added to {@code cuts}. */
    int match(TextStats t, int[] at, EvalText eval, Cuts cuts) {
        int found = 0;
        for (int i = 0; i + ngram <= at.length; i++) {
            if (!eval.grams().containsKey(gram(t, at, i))) continue;
            found++;
            cuts.add(Math.max(0, t.wordStart[at[i]] - window), Math.min(t.text.length(), t.wordEnd[at[i + ngram - 1]] + window));
        }
        return found;
    }

    /**
     * The cuts after the matches: fragments shorter than {@code minFragment} are cut too. Returns null when the
     * document must go whole (more than {@code maxPieces} pieces, or nothing left).
     */
    Cuts fragments(String text, Cuts matches) {
        var out = new Cuts();
        var pieces = new ArrayList<int[]>();
        int at = 0;
        for (int[] r : matches.merged()) {
            out.add(r[0], r[1]);
            if (r[0] > at) pieces.add(new int[] {at, r[0]});
            at = Math.max(at, r[1]);
        }
        if (at < text.length()) pieces.add(new int[] {at, text.length()});
        List<int[]> kept = new ArrayList<>();
        for (int[] p : pieces) {
            if (p[1] - p[0] < minFragment || text.substring(p[0], p[1]).isBlank()) out.add(p[0], p[1]);
            else kept.add(p);
        }
        if (kept.isEmpty() || pieces.size() > maxPieces) return null;
        return out;
    }
}
