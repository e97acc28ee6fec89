package dev.flywheel.data.clean;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Json;
import dev.flywheel.data.Progress;
import dev.flywheel.data.corpus.Document;
import dev.flywheel.data.corpus.DocumentSink;
import dev.flywheel.data.corpus.DocumentSource;
import dev.flywheel.data.corpus.SkipLog;
import dev.flywheel.data.prep.Exclusions;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The cleaning stage of {@code data prepare --clean}: runs the {@link Cleaner} over the corpus once, writes the
 * kept documents (cut ones in their cut form) to a spool the two passes of the preparation then read instead of
 * the corpus, and writes {@code removed.jsonl}: one line per removed or cut document,
 * {@code {"id", "rule", "action": "removed"|"edited", "detail", "bytes"}}. The id is a JSONL line's own
 * {@code "id"} when it has one, else the document's id (file path, or file:line).
 *
 * <p>Decontamination runs against the given evaluation texts and, when the split is by hash, against the
 * preparation's own validation and test documents (read once beforehand; {@link Decontamination.HeldOut}).
 */
public final class CleanStage implements DocumentSource {
    public static final String REMOVED = "removed.jsonl";
    public static final String SPOOL = "cleaned.spool";

    private final Path spool;
    private final String description;
    private final Map<String, Long> removed = new LinkedHashMap<>();
    private long removedBytes;

    private CleanStage(Path spool, String description) {
        this.spool = spool;
        this.description = description;
    }

    /**
     * Cleans {@code corpus} into {@code work}.
     *
     * @param heldOut the preparation's validation and test documents by id, or null when the split is not by document
     */
    public static CleanStage run(DocumentSource corpus, Cleaning cleaning, Exclusions quarantine, Predicate<String> heldOut,
                                 int threads, Path work, SkipLog skips, Progress progress) throws IOException {
        var rules = cleaning.rules();
        var evals = new ArrayList<Decontamination.EvalText>();
        for (Path p : cleaning.evals()) evals.add(rules.decontaminate().load(p));
        if (heldOut != null) evals.add(heldOutText(corpus, rules.decontaminate(), heldOut, progress));
        var stage = new CleanStage(work.resolve(SPOOL), "cleaned " + corpus.describe());
        var cleaner = new Cleaner(rules, quarantine, evals, heldOut, threads, false);
        try (var out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(stage.spool), 1 << 16));
             BufferedWriter log = Files.newBufferedWriter(work.resolve(REMOVED), StandardCharsets.UTF_8)) {
            cleaner.run(corpus, skips, progress, corpus.sizeOnDisk(), v -> stage.record(v, out, log));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return stage;
    }

    private static Decontamination.EvalText heldOutText(DocumentSource corpus, Decontamination d, Predicate<String> heldOut, Progress progress) {
        var grams = d.heldOut();
        progress.begin("read validation and test documents", corpus.sizeOnDisk(), "bytes");
        long[] seen = {0};
        corpus.read(doc -> {
            if (heldOut.test(doc.id())) grams.addHeldOut(doc.text());
            else grams.addTraining(doc.text());
            seen[0] += doc.bytes();
            progress.update(seen[0]);
            return true;
        }, new SkipLog());
        progress.end();
        return grams.evalText();
    }

    private void record(Verdict v, DataOutputStream out, BufferedWriter log) {
        try {
            Document doc = v.document();
            if (!v.removed()) {
                byte[] id = doc.id().getBytes(StandardCharsets.UTF_8);
                byte[] text = v.edited() ? v.text().getBytes(StandardCharsets.UTF_8) : doc.utf8();
                out.writeInt(id.length);
                out.write(id);
                out.writeInt(text.length);
                out.write(text);
            }
            if (!v.removed() && !v.edited()) return;
            var line = new LinkedHashMap<String, Object>();
            line.put("id", doc.sourceId() != null ? doc.sourceId() : doc.id());
            long bytes;
            if (v.removed()) {
                line.put("rule", v.removedBy());
                line.put("action", "removed");
                line.put("detail", v.detail());
                bytes = doc.bytes();
                removed.merge(v.removedBy(), 1L, Long::sum);
            } else {
                line.put("rule", String.join("+", v.edits().stream().map(Verdict.Edit::rule).toList()));
                line.put("action", "edited");
                line.put("detail", String.join("; ", v.edits().stream().map(Verdict.Edit::detail).toList()));
                bytes = v.edits().stream().mapToLong(Verdict.Edit::bytes).sum();
                for (var e : v.edits()) removed.merge(e.rule(), 1L, Long::sum);
            }
            line.put("bytes", bytes);
            removedBytes += bytes;
            log.write(Json.write(line));
            log.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Documents each rule removed or cut, in the order rules first acted. */
    public Map<String, Long> removed() {
        return removed;
    }

    public long removedBytes() {
        return removedBytes;
    }

    @Override
    public void read(DocumentSink sink, SkipLog skips) {
        try (var in = new DataInputStream(new BufferedInputStream(Files.newInputStream(spool), 1 << 16))) {
            while (true) {
                int n;
                try {
                    n = in.readInt();
                } catch (EOFException end) {
                    return;
                }
                String id = new String(in.readNBytes(n), StandardCharsets.UTF_8);
                byte[] text = in.readNBytes(in.readInt());
                if (!sink.accept(new Document(id, text))) return;
            }
        } catch (IOException e) {
            throw new DataException("cannot read the cleaned documents in " + spool + " (" + e.getMessage() + "); check free disk space and prepare again", e);
        }
    }

    @Override
    public long sizeOnDisk() {
        try {
            return Files.size(spool);
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public String describe() {
        return description;
    }

    /** The spool is a working file: gone before the prepared directory is put in place. */
    public void delete() throws IOException {
        Files.deleteIfExists(spool);
    }
}
