package dev.flywheel.data.clean;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.corpus.Corpus;
import dev.flywheel.data.corpus.DocumentSource;
import dev.flywheel.data.corpus.Document;
import dev.flywheel.data.corpus.SkipLog;
import dev.flywheel.data.prep.Exclusions;
import dev.flywheel.data.util.LongIntMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Runs the cleaning rules over a corpus and says, document by document and in corpus order, what to keep, cut
 * or remove ({@link Verdict}). Documents are read in batches; everything that depends on one document alone
 * (quality rules, hashes, MinHash signatures, spans, n-gram matches) is computed on all threads, then the
 * decisions that depend on earlier documents (dedup, boilerplate) are taken on one thread in corpus order. So
 * the result does not depend on the thread count, and memory is one batch plus the {@link DuplicateIndex}.
 *
 * <p>Order of the rules for one document: quarantine, quality (prose or code rules), exact then near duplicate
 * of an earlier document (removed ones included), decontamination (removed when cut into too many pieces), then the cuts of boilerplate and
 * contamination.
 */
public final class Cleaner {
    public static final String EXACT = CleanRules.EXACT;
    private static final long BATCH_BYTES = 8L << 20;

    private final CleanRules rules;
    private final Exclusions quarantine;
    private final List<Decontamination.EvalText> evals;
    private final Predicate<String> heldOut;
    private final int threads;
    private final boolean everyRule;
    private final DuplicateIndex index;
    private final LongIntMap spanCounts = new LongIntMap(1 << 12, 0);
    private final Map<Long, SpanExample> spanExamples = new LinkedHashMap<>();

    /** A boilerplate span met more than once: the document of its first repeat, and its text. */
    public record SpanExample(String repeatedIn, String text, int bytes) {}

    /**
     * @param heldOut   which documents are validation or test documents (they are not checked against the
     *                  {@link Decontamination.EvalText#trainOnly} evaluation text made of them); null for none
     * @param everyRule true for the audit: every quality rule is checked on every document (not only up to the
     *                  first that fails), and repeated spans are remembered with an example
     */
    public Cleaner(CleanRules rules, Exclusions quarantine, List<Decontamination.EvalText> evals, Predicate<String> heldOut, int threads, boolean everyRule) {
        this.rules = rules;
        this.heldOut = heldOut;
        this.quarantine = rules.quarantine() ? quarantine : Exclusions.NONE;
        this.evals = List.copyOf(evals);
        this.threads = Math.max(1, threads);
        this.everyRule = everyRule;
        this.index = new DuplicateIndex(rules.exact(), rules.near());
    }

    /** What one document gives on its own, computed on any thread. */
    private record Analysis(Document doc, String text, boolean code, Map<String, String> hits, long exactHash, int[] signature,
                            List<Boilerplate.Span> spans, int[] evalMatches, Cuts evalCuts, Verdict.Charset charset) {}

    /**
     * Reads the corpus and hands every document's verdict to {@code out}, in corpus order, on this thread. One
     * thread reads (inflating, UTF-8 checks) a batch ahead while the pool analyses the one before.
     */
    public void run(DocumentSource corpus, SkipLog skips, Progress progress, long totalBytes, Consumer<Verdict> out) {
        var queue = new ArrayBlockingQueue<List<Document>>(2);
        var failure = new AtomicReference<RuntimeException>();
        Thread reader = Thread.ofPlatform().daemon().name("clean-reader").start(() -> read(corpus, skips, queue, failure));
        long done = 0;
        progress.begin("clean", totalBytes, "bytes");
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            while (true) {
                List<Document> batch = queue.take();
                if (batch == END) break;
                decide(analyse(batch, pool), out);
                for (Document d : batch) done += d.bytes();
                progress.update(done);
            }
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataException("cleaning interrupted", e);
        } finally {
            reader.interrupt();
            progress.end();
        }
        if (failure.get() != null) throw failure.get();
        refuseMalformed(skips, corpus);
    }

    private static final List<Document> END = new ArrayList<>();

    private static void read(DocumentSource corpus, SkipLog skips, BlockingQueue<List<Document>> queue, AtomicReference<RuntimeException> failure) {
        try {
            var batch = new ArrayList<Document>();
            long[] bytes = {0};
            corpus.read(doc -> {
                batch.add(doc);
                bytes[0] += doc.bytes();
                if (bytes[0] >= BATCH_BYTES) {
                    put(queue, new ArrayList<>(batch));
                    batch.clear();
                    bytes[0] = 0;
                }
                return true;
            }, skips);
            put(queue, batch);
        } catch (RuntimeException e) {
            failure.set(e);
            queue.clear(); // the batches before a failure are not wanted, and the end marker must fit
        } finally {
            put(queue, END);
        }
    }

    private static void put(BlockingQueue<List<Document>> queue, List<Document> batch) {
        try {
            queue.put(batch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("reading stopped", e);
        }
    }

    /** Cleaning promises a line for every document: a JSONL line that is not JSON stops it rather than vanish. */
    static void refuseMalformed(SkipLog skips, DocumentSource corpus) {
        for (var r : skips.skipReasons()) {
            if (r.reason().equals(Corpus.NOT_JSON)) {
                throw new DataException(r.examples().getFirst() + " in " + corpus.describe() + " is not a valid JSON line"
                        + (r.count() > 1 ? " (and " + (r.count() - 1) + " more)" : "") + "; fix or delete the malformed lines, then run again");
            }
        }
    }

    private List<Analysis> analyse(List<Document> batch, ExecutorService pool) {
        int n = batch.size();
        var results = new Analysis[n];
        int slices = Math.min(n, threads * 4);
        var futures = new ArrayList<Future<?>>();
        for (int s = 0; s < slices; s++) {
            int first = s;
            futures.add(pool.submit(() -> {
                for (int i = first; i < n; i += slices) results[i] = analyse(batch.get(i));
            }));
        }
        for (var f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                throw new IllegalStateException("cleaning failed", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DataException("cleaning interrupted", e);
            }
        }
        return List.of(results);
    }

    private Analysis analyse(Document doc) {
        String text = doc.text();
        var t = TextStats.of(text);
        boolean code = rules.isCode(doc.id());
        var hits = new LinkedHashMap<String, String>();
        if (everyRule || !quarantine.excludes(doc.id())) {
            for (QualityRule r : code ? rules.code() : rules.prose()) {
                String why = r.check(t);
                if (why != null) {
                    hits.put(r.name(), why);
                    if (!everyRule) break;
                }
            }
        }
        var spans = rules.boilerplate() == null ? List.<Boilerplate.Span>of() : rules.boilerplate().spans(t, code);
        int[] sig = rules.near() == null ? null : rules.near().signature(t, code ? Boilerplate.headerEnd(t) : 0);
        int[] matches = new int[evals.size()];
        var cuts = new Cuts();
        if (!evals.isEmpty()) {
            int[] at = MinHash.wordIndices(t);
            for (int e = 0; e < evals.size(); e++) {
                var eval = evals.get(e);
                if (eval.trainOnly() && heldOut != null && heldOut.test(doc.id())) continue;
                matches[e] = rules.decontaminate().match(t, at, eval, cuts);
            }
        }
        return new Analysis(doc, text, code, hits, t.exactHash(), sig, spans, matches, cuts, Verdict.Charset.of(t));
    }

    private void decide(List<Analysis> batch, Consumer<Verdict> out) {
        for (Analysis a : batch) out.accept(decide(a));
    }

    private Verdict decide(Analysis a) {
        String id = a.doc().id();
        // every document joins the dedup index unless it is a copy, removed ones too: a copy of junk is junk
        var match = index.find(a.exactHash(), a.signature());
        if (match == null) index.add(id, a.exactHash(), a.signature());
        if (quarantine.excludes(id)) return removed(a, CleanRules.QUARANTINE, quarantine.reason());
        if (!a.hits().isEmpty()) {
            var first = a.hits().entrySet().iterator().next();
            return removed(a, first.getKey(), first.getValue());
        }
        if (match != null) {
            String why = match.rule().equals(EXACT) ? "same text as " + match.keptId()
                    : String.format(java.util.Locale.ROOT, "Jaccard ≈ %.2f with %s", match.similarity(), match.keptId());
            return removed(a, match.rule(), why);
        }
        var cuts = new Cuts();
        var edits = new ArrayList<Verdict.Edit>();
        if (!a.evalCuts().isEmpty()) {
            Cuts decon = rules.decontaminate().fragments(a.text(), a.evalCuts());
            String why = contamination(a.evalMatches());
            if (decon == null) return removed(a, Decontamination.NAME, why + "; too little left around the matches");
            for (int[] r : decon.merged()) cuts.add(r[0], r[1]);
            edits.add(new Verdict.Edit(Decontamination.NAME, why, utf8(a.text(), decon)));
        }
        if (rules.boilerplate() != null) boilerplate(a, cuts, edits);
        if (cuts.isEmpty()) return new Verdict(a.doc(), a.code(), a.text(), null, null, List.of(), a.hits(), a.evalMatches(), a.charset());
        String kept = cuts.apply(a.text());
        if (kept.isBlank()) return removed(a, edits.getLast().rule(), "nothing left after cutting " + edits.getLast().detail());
        return new Verdict(a.doc(), a.code(), kept, null, null, List.copyOf(edits), a.hits(), a.evalMatches(), a.charset());
    }

    private void boilerplate(Analysis a, Cuts cuts, List<Verdict.Edit> edits) {
        int spans = 0;
        var sub = new Cuts();
        for (var s : a.spans()) {
            int seen = spanCounts.get(s.hash());
            spanCounts.put(s.hash(), seen + 1);
            if (everyRule && seen == 1 && spanExamples.size() < 100_000) {
                spanExamples.put(s.hash(), new SpanExample(a.doc().id(), Boilerplate.describe(a.text(), s),
                        a.text().substring(s.start(), s.end()).getBytes(StandardCharsets.UTF_8).length));
            }
            if (seen >= rules.boilerplate().minRepeats()) {
                sub.add(s.start(), s.end());
                cuts.add(s.start(), s.end());
                spans++;
            }
        }
        if (spans > 0) edits.add(new Verdict.Edit(Boilerplate.NAME, spans + (spans == 1 ? " span" : " spans") + " seen in earlier documents", utf8(a.text(), sub)));
    }

    private String contamination(int[] matches) {
        var parts = new ArrayList<String>();
        for (int e = 0; e < matches.length; e++) {
            if (matches[e] > 0) parts.add(matches[e] + " " + rules.decontaminate().ngram() + "-grams of " + evals.get(e).name());
        }
        return "shares " + String.join(", ", parts);
    }

    private static long utf8(String text, Cuts cuts) {
        long n = 0;
        for (int[] r : cuts.merged()) n += text.substring(r[0], r[1]).getBytes(StandardCharsets.UTF_8).length;
        return n;
    }

    private static Verdict removed(Analysis a, String rule, String detail) {
        return new Verdict(a.doc(), a.code(), null, rule, detail, List.of(), a.hits(), a.evalMatches(), a.charset());
    }

    /** How many later copies each kept document had: the duplicate clusters' sizes minus one. */
    public int[] duplicateCopies() {
        return index.copies();
    }

    /** Spans met more than once, with how often ({@code everyRule} only), most frequent first. */
    public List<Map.Entry<SpanExample, Integer>> repeatedSpans(int limit) {
        var out = new ArrayList<Map.Entry<SpanExample, Integer>>();
        spanExamples.forEach((h, ex) -> out.add(Map.entry(ex, spanCounts.get(h))));
        out.sort((x, y) -> Long.compare((long) y.getValue() * y.getKey().bytes(), (long) x.getValue() * x.getKey().bytes()));
        return out.subList(0, Math.min(limit, out.size()));
    }
}
