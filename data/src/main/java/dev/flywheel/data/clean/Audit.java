package dev.flywheel.data.clean;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.corpus.Corpus;
import dev.flywheel.data.corpus.CorpusSettings;
import dev.flywheel.data.corpus.SkipLog;
import dev.flywheel.data.corpus.Source;
import dev.flywheel.data.prep.Exclusions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code flywheel data audit}: reads a source as {@code data prepare} would, runs every cleaning rule without
 * changing anything, and writes what it found (Markdown and PNG plots, {@link AuditReport}).
 *
 * @param spec      what --data said
 * @param corpus    how the source is read
 * @param rules     the rules to audit with (the defaults unless a rules file is given)
 * @param exclude   a quarantine list for the quarantine rule, or null
 * @param evals     evaluation texts to check for contamination
 * @param threads   worker threads
 */
public record Audit(String spec, CorpusSettings corpus, CleanRules rules, Path exclude, List<Path> evals, int threads) {

    /** What the audit found: the tally, the largest repeated spans, the duplicate clusters, timings and the source. */
    public record Result(String source, AuditTally tally, List<Map.Entry<Cleaner.SpanExample, Integer>> spans, int[] clusterCopies,
                         List<String> evalNames, SkipLog skips, double seconds) {

        /** The summary for scripts: the keys of {@code --json}. */
        public Map<String, Object> json(Path report) {
            var m = new LinkedHashMap<String, Object>();
            m.put("source", source);
            m.put("documents", tally.documents);
            m.put("bytes", tally.bytes);
            m.put("code_documents", tally.codeDocuments);
            m.put("exact_duplicates", tally.removed.get(CleanRules.EXACT).documents);
            m.put("near_duplicates", tally.removed.get(MinHash.NAME).documents);
            m.put("duplicate_clusters", clusters());
            m.put("contaminated", tally.contaminated.documents);
            m.put("contaminated_bytes", tally.contaminated.bytes);
            var perEval = new LinkedHashMap<String, Object>();
            for (int e = 0; e < evalNames.size(); e++) perEval.put(evalNames.get(e), Map.of("documents", tally.contamination[e].documents, "bytes", tally.contamination[e].bytes));
            m.put("contamination", perEval);
            m.put("flagged", tally.flagged.documents);
            m.put("removed_bytes", tally.removedBytes());
            m.put("by_rule", tally.byRule());
            var q = new LinkedHashMap<String, Object>();
            tally.quality.forEach((r, row) -> q.put(r, row.json()));
            m.put("quality_hits", q);
            m.put("boilerplate_spans", spans.stream().limit(10).map(s -> Map.of("occurrences", s.getValue(), "bytes", s.getKey().bytes(), "repeated_in", s.getKey().repeatedIn(), "text", s.getKey().text())).toList());
            var odd = new LinkedHashMap<String, Object>();
            tally.oddities.forEach((r, row) -> odd.put(r, row.documents));
            m.put("oddities", odd);
            m.put("skipped_inputs", skips.skippedCount());
            m.put("seconds", Math.round(seconds * 100) / 100.0);
            m.put("report", report == null ? null : report.toString());
            return m;
        }

        /** Clusters of duplicates (a kept document and its removed copies): how many, by size. */
        public Map<Integer, Integer> clusterSizes() {
            var m = new java.util.TreeMap<Integer, Integer>();
            for (int c : clusterCopies) if (c > 0) m.merge(c + 1, 1, Integer::sum);
            return m;
        }

        long clusters() {
            return java.util.Arrays.stream(clusterCopies).filter(c -> c > 0).count();
        }
    }

    public Result run(Progress progress) {
        long t0 = System.nanoTime();
        var decon = new ArrayList<Decontamination.EvalText>();
        var names = new ArrayList<String>();
        for (Path p : evals) {
            decon.add(rules.decontaminate().load(p));
            names.add(p.toString());
        }
        var quarantine = Exclusions.load(exclude);
        Source source = Source.resolve(spec, corpus, progress);
        var reader = new Corpus(source, corpus);
        var cleaner = new Cleaner(rules, quarantine, decon, null, threads, true);
        var tally = new AuditTally(decon.size());
        var skips = new SkipLog();
        cleaner.run(reader, skips, progress, reader.sizeOnDisk(), tally::add);
        if (tally.documents == 0) throw new DataException(source.describe() + " has no documents to audit; point --data at UTF-8 text, a folder of text files, JSONL or a zip");
        return new Result(source.describe(), tally, cleaner.repeatedSpans(20), cleaner.duplicateCopies(), names, skips, (System.nanoTime() - t0) / 1e9);
    }
}
