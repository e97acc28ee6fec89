package dev.flywheel.data.clean;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The audit's counts, folded from verdicts in corpus order: sizes, what each rule would remove or cut, every
 * quality rule's own hits, contamination per evaluation text, and charset oddities. Bounded: counts, a log₂
 * length histogram and a few examples per row.
 */
public final class AuditTally {
    static final int EXAMPLES = 3;
    static final int BUCKETS = 32;

    /** Documents and bytes, with a few examples ("id: detail"). */
    public static final class Row {
        public long documents;
        public long bytes;
        public final List<String> examples = new ArrayList<>();

        void add(long b, String example) {
            documents++;
            bytes += b;
            if (examples.size() < EXAMPLES && example != null) examples.add(example);
        }

        Map<String, Object> json() {
            var m = new LinkedHashMap<String, Object>();
            m.put("documents", documents);
            m.put("bytes", bytes);
            m.put("examples", examples);
            return m;
        }
    }

    public long documents, bytes, codeDocuments;
    public final long[] lengths = new long[BUCKETS];
    /** By the rule that removes or cuts (the first that applies, as cleaning would): removed documents and bytes. */
    public final Map<String, Row> removed = new LinkedHashMap<>();
    /** Documents cut, not removed: bytes are the bytes cut. */
    public final Map<String, Row> edited = new LinkedHashMap<>();
    /** Every quality rule on every document, independently of the others. */
    public final Map<String, Row> quality = new LinkedHashMap<>();
    public final Row[] contamination;
    public final Row contaminated = new Row();
    public final Row flagged = new Row();
    public final Map<String, Row> oddities = new LinkedHashMap<>();

    public AuditTally(int evals) {
        contamination = new Row[evals];
        for (int i = 0; i < evals; i++) contamination[i] = new Row();
        for (String r : CleanRules.ALL) {
            removed.put(r, new Row());
            edited.put(r, new Row());
        }
    }

    public void add(Verdict v) {
        var doc = v.document();
        long b = doc.bytes();
        documents++;
        bytes += b;
        if (v.code()) codeDocuments++;
        lengths[Math.min(BUCKETS - 1, 63 - Long.numberOfLeadingZeros(Math.max(1, b)))]++;
        if (v.removed()) removed.get(v.removedBy()).add(b, doc.id() + ": " + v.detail());
        for (var e : v.edits()) edited.get(e.rule()).add(e.bytes(), doc.id() + ": " + e.detail());
        if (v.removed() || v.edited()) flagged.add(b, null);
        v.qualityHits().forEach((rule, why) -> quality.computeIfAbsent(rule, r -> new Row()).add(b, doc.id() + ": " + why));
        boolean any = false;
        for (int e = 0; e < contamination.length; e++) {
            if (v.evalMatches()[e] > 0) {
                contamination[e].add(b, doc.id() + ": " + v.evalMatches()[e] + " shared n-grams");
                any = true;
            }
        }
        if (any) contaminated.add(b, doc.id());
        oddities(doc.id(), b, v.charset());
    }

    private void oddities(String id, long b, Verdict.Charset c) {
        if (c.replacementChars() > 0) odd("replacement characters (U+FFFD)", id, b, c.replacementChars() + " × U+FFFD");
        if (c.controlChars() > 0) odd("control characters", id, b, c.controlChars() + " control characters");
        if (c.carriageReturns() > 0) odd("CRLF or stray CR line ends", id, b, c.carriageReturns() + " carriage returns");
        if (c.letters() > 20 && c.nonAsciiLetters() * 10 > c.letters() * 3) {
            odd("mostly non-ASCII letters (another script or language)", id, b, c.nonAsciiLetters() + " of " + c.letters() + " letters non-ASCII");
        }
    }

    private void odd(String what, String id, long b, String detail) {
        oddities.computeIfAbsent(what, w -> new Row()).add(b, id + ": " + detail);
    }

    public long removedDocuments() {
        return removed.values().stream().mapToLong(r -> r.documents).sum();
    }

    public long removedBytes() {
        return removed.values().stream().mapToLong(r -> r.bytes).sum() + edited.values().stream().mapToLong(r -> r.bytes).sum();
    }

    /** {@code {rule: {documents, bytes}}}: removed documents plus cut documents, removed bytes plus cut bytes. */
    public Map<String, Object> byRule() {
        var m = new LinkedHashMap<String, Object>();
        for (String r : CleanRules.ALL) {
            Row rem = removed.get(r), ed = edited.get(r);
            if (rem.documents + ed.documents == 0) continue;
            var e = new LinkedHashMap<String, Object>();
            e.put("documents", rem.documents + ed.documents);
            e.put("bytes", rem.bytes + ed.bytes);
            e.put("removed", rem.documents);
            e.put("edited", ed.documents);
            m.put(r, e);
        }
        return m;
    }
}
