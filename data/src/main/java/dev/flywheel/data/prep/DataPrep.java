package dev.flywheel.data.prep;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Json;
import dev.flywheel.data.Progress;
import dev.flywheel.data.Split;
import dev.flywheel.data.clean.CleanStage;
import dev.flywheel.data.corpus.Corpus;
import dev.flywheel.data.corpus.DocumentSource;
import dev.flywheel.data.corpus.Document;
import dev.flywheel.data.corpus.SkipLog;
import dev.flywheel.data.corpus.Source;
import dev.flywheel.data.shard.ShardFormat;
import dev.flywheel.data.shard.ShardWriter;
import dev.flywheel.data.tokenizer.BpeTokenizer;
import dev.flywheel.data.tokenizer.BpeTrainer;
import dev.flywheel.data.tokenizer.ByteTokenizer;
import dev.flywheel.data.tokenizer.CharTokenizer;
import dev.flywheel.data.tokenizer.ChunkCounts;
import dev.flywheel.data.tokenizer.Tokenizer;
import dev.flywheel.data.tokenizer.TokenizerFiles;
import dev.flywheel.data.util.Hashing;
import dev.flywheel.data.util.IntList;
import dev.flywheel.engine.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Turns a source into a prepared data directory: shards for train, val and test, the tokenizer, and meta.json.
 *
 * <pre>
 * pass 1  read every document once: apply the byte budget and the quarantine list, record skips, give each
 *         document its split, collect what the tokenizer needs (the characters; a hash-chosen sample of
 *         training documents for BPE)
 *         train the tokenizer
 * pass 2  read the same documents again, encode them in parallel batches ({@code <|endoftext|>} before each
 *         document when the tokenizer has it), append them in corpus order to their split's spool file
 *         cut the spools into shards, write the tokenizer, skipped.tsv, and meta.json last
 * </pre>
 * Everything is written into {@code out.partial-*} and renamed to {@code out} at the end, so an interrupted
 * preparation never leaves a directory that looks finished. The result does not depend on the thread count.
 */
public final class DataPrep {
    private DataPrep() {}

    public static final String META = "meta.json";
    public static final String TOKENIZER = "flywheel-tokenizer.json";
    public static final String HF_TOKENIZER = "tokenizer.json";
    public static final String SKIPPED = "skipped.tsv";
    public static final String FORMAT = "flywheel-data";
    public static final int VERSION = 1;
    private static final long BATCH_BYTES = 8L << 20;

    /** Prepares {@code spec} (see {@link Source#resolve}) into {@code out}, replacing an earlier preparation there. */
    public static PrepSummary prepare(String spec, PrepSettings settings, Path out, Progress progress) {
        return prepare(spec, settings, out, progress, cacheKey(spec, settings));
    }

    /** The identity of (source content, settings): equal keys give identical directories. */
    public static String cacheKey(String spec, PrepSettings settings) {
        String canonical = Json.write(describe(settings));
        return Hashing.sha256Hex(Source.fingerprint(spec, settings.corpus()) + "\n" + canonical + "\n" + FORMAT + VERSION);
    }

    /** The settings that decide the result (not threads, not where downloads are cached). */
    static Map<String, Object> describe(PrepSettings s) {
        var m = new LinkedHashMap<String, Object>();
        m.put("tokenizer", s.tokenizer().label());
        if (s.tokenizer() == Tokenizer.Kind.BPE) {
            m.put("vocab_size", s.vocabSize());
            m.put("pre_split", s.preSplit().name().toLowerCase(java.util.Locale.ROOT));
            m.put("tokenizer_sample_bytes", s.tokenizerSampleBytes());
        }
        m.put("split_mode", s.splitMode().name().toLowerCase(java.util.Locale.ROOT));
        m.put("val_fraction", s.valFraction());
        m.put("test_fraction", s.testFraction());
        var c = s.corpus();
        m.put("include", c.include());
        m.put("exclude", c.exclude());
        m.put("text_field", c.textField());
        m.put("block_bytes", c.blockBytes());
        m.put("split_files_above", c.splitFilesAbove());
        m.put("max_document_bytes", c.maxDocumentBytes());
        m.put("max_bytes", c.maxBytes());
        m.put("jdk_source_bytes", c.jdkSourceBytes());
        m.put("exclude_ids_sha256", Exclusions.load(s.excludeIds()).sha256());
        m.put("shard_tokens", s.shardTokens());
        if (s.cleaning() != null) m.put("clean", s.cleaning().describe()); // absent without --clean: the cache key stays as it was
        return m;
    }

    static PrepSummary prepare(String spec, PrepSettings settings, Path out, Progress progress, String cacheKey) {
        long t0 = System.nanoTime();
        out = out.toAbsolutePath().normalize();
        checkOutput(out);
        Source source = Source.resolve(spec, settings.corpus(), progress);
        var corpus = new Corpus(source, settings.corpus());
        var exclusions = Exclusions.load(settings.excludeIds());
        Path work = out.resolveSibling(out.getFileName() + ".partial-" + Long.toHexString(System.nanoTime()));
        try {
            Files.createDirectories(work);
            var run = new Run(spec, source, corpus, settings, exclusions, progress, work);
            PrepSummary summary = run.execute(out, cacheKey, t0);
            replace(out, work);
            return summary;
        } catch (IOException e) {
            throw new DataException("cannot write the prepared data to " + out + " (" + e.getMessage() + "); check free space and permissions", e);
        } finally {
            try {
                AtomicFiles.deleteTree(work);
            } catch (IOException ignored) {
                // a leftover .partial directory is never read
            }
        }
    }

    private static void checkOutput(Path out) {
        if (Files.isRegularFile(out)) throw new DataException("--out " + out + " is a file; give a directory for the prepared data");
        if (Files.isDirectory(out) && !Files.isRegularFile(out.resolve(META))) {
            try (var entries = Files.list(out)) {
                if (entries.findAny().isPresent()) {
                    throw new DataException("--out " + out + " exists and is not a Flywheel data directory (no meta.json);"
                            + " choose a new or empty directory so nothing of yours is overwritten");
                }
            } catch (IOException e) {
                throw new DataException("cannot read --out " + out + " (" + e.getMessage() + ")", e);
            }
        }
    }

    /** Swaps the finished work directory in for {@code out}. */
    private static void replace(Path out, Path work) throws IOException {
        Files.createDirectories(out.getParent());
        Path old = null;
        if (Files.exists(out)) {
            old = out.resolveSibling(out.getFileName() + ".old-" + Long.toHexString(System.nanoTime()));
            Files.move(out, old);
        }
        try {
            Files.move(work, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (old != null) Files.move(old, out);
            throw e;
        }
        if (old != null) AtomicFiles.deleteTree(old);
    }

    /** One preparation: the state shared by the two passes. */
    private static final class Run {
        final String spec;
        final Source source;
        final Corpus corpus;
        DocumentSource input; // the corpus, or the cleaning stage's output with --clean
        final PrepSettings settings;
        final Exclusions exclusions;
        final Progress progress;
        final Path work;
        final SkipLog skips = new SkipLog();

        long documents;
        long bytes;
        boolean truncated;
        final BitSet codePoints = new BitSet();
        final PriorityQueue<Sampled> sample = new PriorityQueue<>(Comparator.comparingDouble(Sampled::rank).reversed()
                .thenComparing(Sampled::id, Comparator.reverseOrder()));
        long sampleBytes;

        record Sampled(double rank, String id, byte[] utf8) {}

        Run(String spec, Source source, Corpus corpus, PrepSettings settings, Exclusions exclusions, Progress progress, Path work) {
            this.spec = spec;
            this.source = source;
            this.corpus = corpus;
            this.input = corpus;
            this.settings = settings;
            this.exclusions = exclusions;
            this.progress = progress;
            this.work = work;
        }

        Split splitOf(String id) {
            if (settings.splitMode() == PrepSettings.SplitMode.CONTIGUOUS) return Split.TRAIN; // cut later, by position
            double u = Hashing.unitInterval(id);
            if (u < settings.valFraction()) return Split.VAL;
            if (u < settings.valFraction() + settings.testFraction()) return Split.TEST;
            return Split.TRAIN;
        }

        PrepSummary execute(Path out, String cacheKey, long t0) throws IOException {
            CleanStage cleaned = settings.cleaning() == null ? null : CleanStage.run(corpus, settings.cleaning(), exclusions,
                    settings.splitMode() == PrepSettings.SplitMode.HASH ? id -> splitOf(id) != Split.TRAIN : null, settings.threads(), work, skips, progress);
            if (cleaned != null) input = cleaned;
            long budget = settings.corpus().maxBytes();
            long onDisk = input.sizeOnDisk();
            progress.begin("read " + source.name(), budget >= 0 && onDisk >= 0 ? Math.min(budget, onDisk) : onDisk, "bytes");
            input.read(doc -> {
                if (budget >= 0 && bytes >= budget) {
                    truncated = true;
                    return false;
                }
                if (exclusions.excludes(doc.id())) {
                    skips.skip(doc.id(), exclusions.reason(), doc.bytes());
                    return true;
                }
                documents++;
                bytes += doc.bytes();
                progress.update(bytes);
                switch (settings.tokenizer()) {
                    case CHAR -> doc.text().codePoints().forEach(codePoints::set);
                    case BPE -> {
                        if (splitOf(doc.id()) == Split.TRAIN) offerSample(doc);
                    }
                    case BYTE -> { }
                }
                return true;
            }, skips);
            progress.end();
            if (documents == 0) throw emptyCorpus();
            long tRead = System.nanoTime();

            Tokenizer tokenizer = trainTokenizer();
            long tTokenizer = System.nanoTime();

            var spools = encodeAll(tokenizer);
            var written = writeShards(tokenizer, spools);
            if (cleaned != null) cleaned.delete();
            long tEncode = System.nanoTime();

            tokenizer.save(work.resolve(TOKENIZER));
            if (tokenizer instanceof BpeTokenizer bpe) TokenizerFiles.exportHuggingFace(bpe, work.resolve(HF_TOKENIZER));
            writeSkipped();
            long totalTokens = written.values().stream().mapToLong(w -> w.tokens).sum();
            long specials = tokenizer.endOfText() >= 0 ? documents : 0;
            var warnings = new ArrayList<String>();
            if (tokenizer.kind() == Tokenizer.Kind.BPE && tokenizer.vocabSize() < settings.vocabSize()) {
                warnings.add("the BPE vocabulary has " + tokenizer.vocabSize() + " tokens, not " + settings.vocabSize()
                        + ": the text has no more pairs occurring twice; use more data or a smaller --vocab");
            }
            for (Split s : List.of(Split.VAL, Split.TEST)) {
                double fraction = s == Split.VAL ? settings.valFraction() : settings.testFraction();
                if (fraction > 0 && written.get(s).tokens == 0) {
                    warnings.add("the " + s.label() + " split is empty: only " + documents + (documents == 1 ? " document was" : " documents were") + " read; use more data, a smaller block size, or the contiguous split");
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            var summary = new PrepSummary(spec == null || spec.isBlank() ? Source.JDK_SOURCE : spec, source.describe(), out.toString(), false,
                    documents, bytes, totalTokens, totalTokens - specials > 0 ? (double) bytes / (totalTokens - specials) : 0,
                    written.get(Split.TRAIN).tokens, written.get(Split.VAL).tokens, written.get(Split.TEST).tokens,
                    written.get(Split.TRAIN).documents, written.get(Split.VAL).documents, written.get(Split.TEST).documents,
                    tokenizer.kind().label(), tokenizer.vocabSize(), tokenizer.kind() == Tokenizer.Kind.BPE ? settings.vocabSize() : 0,
                    tokenizer.hash(), settings.splitMode().name().toLowerCase(java.util.Locale.ROOT),
                    skips.skippedCount(), skips.skippedBytes(), reasons(skips.skipReasons()), skips.repairedCount(), reasons(skips.repairReasons()),
                    truncated, warnings, seconds, (tRead - t0) / 1e9, (tTokenizer - tRead) / 1e9, (tEncode - tTokenizer) / 1e9,
                    cleaned == null ? Map.of() : cleaned.removed(), cleaned == null ? 0 : cleaned.removedBytes());
            var meta = new LinkedHashMap<String, Object>();
            meta.put("format", FORMAT);
            meta.put("version", VERSION);
            meta.put("cache_key", cacheKey);
            meta.put("fingerprint", Source.fingerprint(spec, settings.corpus()));
            meta.put("tokenizer_file", TOKENIZER);
            meta.put("settings", describe(settings));
            var shards = new LinkedHashMap<String, Object>();
            written.forEach((split, w) -> shards.put(split.label(), w.files));
            meta.put("shards", shards);
            meta.put("summary", summary);
            AtomicFiles.writeString(work.resolve(META), Json.pretty(meta) + "\n");
            return summary;
        }

        private List<PrepSummary.Reason> reasons(List<SkipLog.Reason> in) {
            return in.stream().map(r -> new PrepSummary.Reason(r.reason(), r.count(), r.examples())).toList();
        }

        private DataException emptyCorpus() {
            long skipped = skips.skippedCount();
            if (skipped == 0) {
                return new DataException(source.describe() + " has no text; point --data at UTF-8 text, a folder of text files, or JSONL");
            }
            var top = skips.skipReasons().stream().sorted(Comparator.comparingLong(SkipLog.Reason::count).reversed()).limit(3)
                    .map(r -> r.count() + " × " + r.reason()).toList();
            String hint = top.stream().anyMatch(t -> t.contains("field"))
                    ? "; set the JSONL text field with --text-field"
                    : "; point --data at UTF-8 text, a folder of text files, or JSONL with a \"text\" field";
            return new DataException("no usable documents in " + source.describe() + ": " + skipped + (skipped == 1 ? " input" : " inputs") + " skipped ("
                    + String.join("; ", top) + ")" + hint);
        }

        private void offerSample(Document doc) {
            sample.add(new Sampled(Hashing.unitInterval(doc.id()), doc.id(), doc.utf8()));
            sampleBytes += doc.bytes();
            while (sampleBytes > settings.tokenizerSampleBytes() && sample.size() > 1) sampleBytes -= sample.poll().utf8().length;
        }

        private Tokenizer trainTokenizer() {
            return switch (settings.tokenizer()) {
                case BYTE -> ByteTokenizer.instance();
                case CHAR -> new CharTokenizer(codePoints.stream().toArray());
                case BPE -> {
                    var docs = new ArrayList<byte[]>(sample.size());
                    sample.stream().sorted(Comparator.comparingDouble(Sampled::rank)).forEach(s -> docs.add(s.utf8()));
                    sample.clear();
                    progress.begin("count chunks", docs.size(), "documents");
                    var counts = ChunkCounts.count(settings.preSplit(), docs, settings.threads());
                    progress.update(docs.size());
                    progress.end();
                    yield BpeTrainer.train(counts, settings.vocabSize(), List.of(Tokenizer.END_OF_TEXT), progress);
                }
            };
        }

        /** Pass 2: encode every accepted document into its split's spool. */
        private Map<Split, Spool> encodeAll(Tokenizer tokenizer) throws IOException {
            var spools = new EnumMap<Split, Spool>(Split.class);
            for (Split s : Split.values()) spools.put(s, new Spool(work.resolve(s.label() + ".spool")));
            long limit = documents;
            long[] seen = {0};
            long[] done = {0};
            var batch = new ArrayList<Document>();
            long[] batchBytes = {0};
            progress.begin("encode", bytes, "bytes");
            try (ExecutorService pool = Executors.newFixedThreadPool(settings.threads())) {
                input.read(doc -> {
                    if (exclusions.excludes(doc.id())) return true;
                    if (seen[0] == limit) return false;
                    seen[0]++;
                    batch.add(doc);
                    batchBytes[0] += doc.bytes();
                    if (batchBytes[0] >= BATCH_BYTES) {
                        flush(batch, tokenizer, pool, spools);
                        done[0] += batchBytes[0];
                        batchBytes[0] = 0;
                        progress.update(done[0]);
                    }
                    return true;
                }, new SkipLog());
                flush(batch, tokenizer, pool, spools);
                progress.update(bytes);
            }
            progress.end();
            if (seen[0] != limit) {
                throw new DataException(source.describe() + " changed while it was being prepared (" + limit + " documents on the first read, "
                        + seen[0] + " on the second); run the command again");
            }
            for (Spool s : spools.values()) s.finish();
            return spools;
        }

        private void flush(List<Document> batch, Tokenizer tokenizer, ExecutorService pool, Map<Split, Spool> spools) {
            if (batch.isEmpty()) return;
            int n = batch.size();
            int[][] encoded = new int[n][];
            int slices = Math.min(n, settings.threads() * 4);
            var futures = new ArrayList<Future<?>>();
            for (int t = 0; t < slices; t++) {
                int first = t;
                futures.add(pool.submit(() -> {
                    var out = new IntList(1 << 12);
                    for (int i = first; i < n; i += slices) {
                        out.clear();
                        if (tokenizer.endOfText() >= 0) out.add(tokenizer.endOfText());
                        byte[] utf8 = batch.get(i).utf8();
                        tokenizer.encodeInto(utf8, 0, utf8.length, out);
                        encoded[i] = out.toArray();
                    }
                }));
            }
            for (var f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof DataException d) throw d;
                    throw new IllegalStateException("encoding failed", e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DataException("preparation interrupted", e);
                }
            }
            for (int i = 0; i < n; i++) {
                Document d = batch.get(i);
                spools.get(splitOf(d.id())).append(d.id(), encoded[i]);
            }
            batch.clear();
        }

        /** What was written for one split. */
        static final class Written {
            long tokens;
            long documents;
            final List<String> files = new ArrayList<>();
        }

        private Map<Split, Written> writeShards(Tokenizer tokenizer, Map<Split, Spool> spools) throws IOException {
            var written = new EnumMap<Split, Written>(Split.class);
            for (Split s : Split.values()) written.put(s, new Written());
            long total = spools.values().stream().mapToLong(s -> s.tokens).sum();
            progress.begin("write shards", total, "tokens");
            long[] progressDone = {0};
            if (settings.splitMode() == PrepSettings.SplitMode.HASH) {
                for (Split s : Split.values()) writeSplit(tokenizer, spools.get(s), s, 0, spools.get(s).tokens, written.get(s), progressDone);
            } else {
                Spool all = spools.get(Split.TRAIN);
                long n = all.tokens;
                long trainEnd = (long) Math.floor(n * settings.trainFraction());
                long valEnd = settings.testFraction() > 0 ? trainEnd + (long) Math.floor(n * settings.valFraction()) : n;
                writeSplit(tokenizer, all, Split.TRAIN, 0, trainEnd, written.get(Split.TRAIN), progressDone);
                writeSplit(tokenizer, all, Split.VAL, trainEnd, valEnd, written.get(Split.VAL), progressDone);
                writeSplit(tokenizer, all, Split.TEST, valEnd, n, written.get(Split.TEST), progressDone);
            }
            progress.end();
            for (Spool s : spools.values()) Files.deleteIfExists(s.file);
            return written;
        }

        /** Writes tokens {@code [from, to)} of a spool as shards of one split (at least one shard, maybe empty). */
        private void writeSplit(Tokenizer tokenizer, Spool spool, Split split, long from, long to, Written w, long[] progressDone) throws IOException {
            try (FileChannel in = FileChannel.open(spool.file, StandardOpenOption.READ)) {
                in.position(from * 4);
                ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                buf.limit(0);
                long pos = from;
                int shard = 0;
                do {
                    long end = Math.min(to, pos + settings.shardTokens());
                    var entries = new ArrayList<ShardFormat.DocumentEntry>();
                    if (end > pos) {
                        int d = spool.documentAt(pos);
                        if (d >= 0 && spool.starts.get(d) < pos) {
                            // a document cut by the shard or split boundary: it continues here from the previous part
                            entries.add(new ShardFormat.DocumentEntry(spool.ids.get(d), 0, ShardFormat.CONTINUED));
                            if (pos == from) w.documents++;
                            d++;
                        }
                        for (d = Math.max(d, 0); d < spool.ids.size() && spool.starts.get(d) < end; d++) {
                            entries.add(new ShardFormat.DocumentEntry(spool.ids.get(d), spool.starts.get(d) - pos, 0));
                            w.documents++;
                        }
                    }
                    String name = String.format("%s-%04d.bin", split.label(), shard);
                    long count = end - pos;
                    ShardWriter.write(work.resolve(name), tokenizer.vocabSize(), tokenizer.hash(), split, shard, entries, count, (into, c) -> {
                        for (int i = 0; i < c; i++) {
                            if (buf.remaining() < 4) {
                                buf.compact();
                                while (buf.position() < 4) {
                                    if (in.read(buf) < 0) throw new IOException("spool " + spool.file + " ended early");
                                }
                                buf.flip();
                            }
                            into[i] = buf.getInt();
                        }
                        progressDone[0] += c;
                        progress.update(progressDone[0]);
                    });
                    w.files.add(name);
                    w.tokens += count;
                    pos = end;
                    shard++;
                } while (pos < to);
            }
        }

        private void writeSkipped() throws IOException {
            AtomicFiles.write(work.resolve(SKIPPED), out -> {
                out.write("id\treason\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                for (var e : skips.entries()) {
                    String line = e.id().replace('\t', ' ').replace('\n', ' ') + "\t" + e.reason() + "\n";
                    out.write(line.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            });
        }
    }
}
