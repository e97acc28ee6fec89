package dev.flywheel.data.clean;

import dev.flywheel.data.DataException;
import dev.flywheel.engine.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Writes an audit as {@code audit.md} with three PNG plots beside it: the length histogram, the sizes of the
 * duplicate clusters and the bytes each rule would remove. Every file goes through a temporary file and a rename.
 */
public final class AuditReport {
    static {
        // plots are drawn off-screen; without this, AWT looks for a display on a server
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    public static final String MARKDOWN = "audit.md";
    public static final String LENGTHS = "lengths.png";
    public static final String CLUSTERS = "duplicate-clusters.png";
    public static final String BY_RULE = "removed-by-rule.png";

    private AuditReport() {}

    /** Writes the report into {@code dir}; returns the Markdown file. */
    public static Path write(Audit.Result r, Path dir) {
        Path md = dir.resolve(MARKDOWN);
        try {
            Files.createDirectories(dir);
            png(dir.resolve(LENGTHS), lengths(r.tally()));
            png(dir.resolve(CLUSTERS), clusters(r));
            png(dir.resolve(BY_RULE), byRule(r.tally()));
            AtomicFiles.writeString(md, markdown(r));
        } catch (IOException e) {
            throw new DataException("cannot write the audit report to " + dir + " (" + e.getMessage() + "); choose another --out", e);
        }
        return md;
    }

    private static void png(Path file, CategoryChart chart) throws IOException {
        AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }

    private static CategoryChart chart(String title, String x, String y) {
        var c = new CategoryChartBuilder().width(900).height(480).title(title).xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        c.getStyler().setXAxisLabelRotation(45);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        return c;
    }

    static CategoryChart lengths(AuditTally t) {
        var xs = new ArrayList<String>();
        var ys = new ArrayList<Long>();
        int lo = 0, hi = AuditTally.BUCKETS - 1;
        while (lo < hi && t.lengths[lo] == 0) lo++;
        while (hi > lo && t.lengths[hi] == 0) hi--;
        for (int b = lo; b <= hi; b++) {
            xs.add(size(1L << b));
            ys.add(t.lengths[b]);
        }
        var c = chart("Document lengths", "bytes (from)", "documents");
        c.addSeries("documents", xs, ys);
        return c;
    }

    static CategoryChart clusters(Audit.Result r) {
        var sizes = r.clusterSizes();
        var xs = new ArrayList<String>();
        var ys = new ArrayList<Integer>();
        sizes.forEach((size, n) -> {
            xs.add(Integer.toString(size));
            ys.add(n);
        });
        if (xs.isEmpty()) {
            xs.add("none");
            ys.add(0);
        }
        var c = chart("Duplicate clusters (exact and near)", "documents in the cluster", "clusters");
        c.addSeries("clusters", xs, ys);
        return c;
    }

    static CategoryChart byRule(AuditTally t) {
        var xs = new ArrayList<String>();
        var ys = new ArrayList<Double>();
        for (String rule : CleanRules.ALL) {
            xs.add(rule);
            ys.add((t.removed.get(rule).bytes + t.edited.get(rule).bytes) / 1e6);
        }
        var c = chart("Bytes each rule would remove", "rule", "MB");
        c.addSeries("MB", xs, ys);
        return c;
    }

    static String markdown(Audit.Result r) {
        var t = r.tally();
        var sb = new StringBuilder();
        sb.append("# Data audit\n\n");
        sb.append(String.format(Locale.ROOT, "Source: %s. %,d documents, %s (%,d code, %,d prose); read and checked in %.1f s.%n%n",
                r.source(), t.documents, size(t.bytes), t.codeDocuments, t.documents - t.codeDocuments, r.seconds()));
        sb.append(String.format(Locale.ROOT, "Cleaning with these rules would remove %,d documents and cut %,d more, %s in all (%.1f%%).%n%n",
                t.removedDocuments(), t.flagged.documents - t.removedDocuments(), size(t.removedBytes()), 100.0 * t.removedBytes() / Math.max(1, t.bytes)));
        sb.append("## Lengths\n\n![lengths](").append(LENGTHS).append(")\n\n");
        sb.append("## What each rule would remove or cut\n\nThe first rule that applies to a document takes it (order as below).\n\n");
        sb.append("![bytes by rule](").append(BY_RULE).append(")\n\n| rule | removed | cut | bytes | examples |\n| --- | ---: | ---: | ---: | --- |\n");
        for (String rule : CleanRules.ALL) {
            var rem = t.removed.get(rule);
            var ed = t.edited.get(rule);
            var ex = new ArrayList<String>(rem.examples);
            ex.addAll(ed.examples);
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %s | %s |%n", rule, rem.documents, ed.documents, size(rem.bytes + ed.bytes), cell(ex)));
        }
        sb.append("\n## Quality rules, each on every document\n\n| rule | documents | bytes | examples |\n| --- | ---: | ---: | --- |\n");
        t.quality.forEach((rule, row) -> sb.append(String.format(Locale.ROOT, "| %s | %,d | %s | %s |%n", rule, row.documents, size(row.bytes), cell(row.examples))));
        if (t.quality.isEmpty()) sb.append("| (none failed) | | | |\n");
        sb.append("\n## Duplicates\n\n![clusters](").append(CLUSTERS).append(")\n\n");
        sb.append(String.format(Locale.ROOT, "%,d exact and %,d near duplicates in %,d clusters; cluster sizes: %s.%n",
                t.removed.get(CleanRules.EXACT).documents, t.removed.get(MinHash.NAME).documents, r.json(null).get("duplicate_clusters"), r.clusterSizes()));
        sb.append("\n## Boilerplate spans repeated across documents\n\n| occurrences | bytes each | first repeated in | text |\n| ---: | ---: | --- | --- |\n");
        for (var s : r.spans()) {
            sb.append(String.format(Locale.ROOT, "| %,d | %,d | %s | %s |%n", s.getValue(), s.getKey().bytes(), s.getKey().repeatedIn(), cell(List.of(s.getKey().text()))));
        }
        sb.append("\n## Contamination\n\n");
        if (r.evalNames().isEmpty()) sb.append("No evaluation texts given (`--eval FILE`).\n");
        for (int e = 0; e < r.evalNames().size(); e++) {
            var row = t.contamination[e];
            sb.append(String.format(Locale.ROOT, "- %s: %,d documents, %s share 13-grams with it%s%n", r.evalNames().get(e), row.documents, size(row.bytes),
                    row.examples.isEmpty() ? "" : " (e.g. " + String.join("; ", row.examples) + ")"));
        }
        sb.append("\n## Charset and language oddities\n\n");
        if (t.oddities.isEmpty()) sb.append("None found.\n");
        for (Map.Entry<String, AuditTally.Row> o : t.oddities.entrySet()) {
            sb.append(String.format(Locale.ROOT, "- %s: %,d documents (e.g. %s)%n", o.getKey(), o.getValue().documents, String.join("; ", o.getValue().examples)));
        }
        if (r.skips().skippedCount() > 0) {
            sb.append(String.format(Locale.ROOT, "%nInputs that were not documents: %,d (%s).%n", r.skips().skippedCount(),
                    String.join("; ", r.skips().skipReasons().stream().map(x -> x.count() + " × " + x.reason()).toList())));
        }
        return sb.toString();
    }

    private static String cell(List<String> items) {
        return String.join("<br>", items.stream().map(s -> s.replace("|", "\\|").replace("\n", " ")).toList());
    }

    static String size(long bytes) {
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0);
        if (bytes >= 1L << 10) return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
        return bytes + " B";
    }
}
