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

    /** The n-grams of one evaluation text. */
    public record EvalText(String name, Path file, LongIntMap grams, long bytes) {}

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
        return new EvalText(file.getFileName().toString(), file, grams, text.length());
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
