package dev.flywheel.data.bench;

import dev.flywheel.data.Progress;
import dev.flywheel.data.clean.Audit;
import dev.flywheel.data.clean.CleanRules;
import dev.flywheel.data.clean.CleanStage;
import dev.flywheel.data.clean.Cleaning;
import dev.flywheel.data.prep.Exclusions;
import dev.flywheel.data.util.Hashing;
import dev.flywheel.data.clean.QualityRule;
import dev.flywheel.data.clean.TextStats;
import dev.flywheel.data.corpus.Corpus;
import dev.flywheel.data.corpus.CorpusSettings;
import dev.flywheel.data.corpus.Document;
import dev.flywheel.data.corpus.SkipLog;
import dev.flywheel.data.corpus.Source;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.ToLongFunction;

/**
 * Speed figures for cleaning, printed, not asserted (the machine is shared): MB/s of each stage over documents
 * held in memory, on the given threads, and of the whole audit end to end (reading included), as medians of
 * {@code --repeat} runs. Peak memory: run it under {@code /usr/bin/time -v}.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp "data/target/classes:$(cat data/target/classpath.txt)" \
 *      dev.flywheel.data.bench.CleanBench [--data PATH|jdk-src] [--threads 2] [--repeat 3] [--stages] [--audit] [--clean [--held-out]]
 * </pre>
 */
public final class CleanBench {
    private CleanBench() {}

    public static void main(String[] args) throws Exception {
        String data = Path.of(System.getProperty("java.home"), "lib", "src.zip").toString();
        int threads = 2, repeat = 3;
        boolean stages = false, audit = false, clean = false, heldOut = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = args[++i];
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                case "--stages" -> stages = true;
                case "--audit" -> audit = true;
                case "--clean" -> clean = true;
                case "--held-out" -> heldOut = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (!stages && !audit && !clean) stages = audit = clean = true;
        final String source = data;
        final int workers = threads;
        final boolean held = heldOut;
        var settings = CorpusSettings.defaults(Path.of(System.getProperty("java.io.tmpdir")));
        var rules = CleanRules.defaults();
        System.out.printf("source %s, %d threads, median of %d%n", data, threads, repeat);
        if (stages) {
            var docs = new ArrayList<Document>();
            long t0 = System.nanoTime();
            var corpus = new Corpus(Source.resolve(data, settings, Progress.none()), settings);
            corpus.read(d -> docs.add(d), new SkipLog());
            double readS = (System.nanoTime() - t0) / 1e9;
            long bytes = docs.stream().mapToLong(Document::bytes).sum();
            System.out.printf(Locale.ROOT, "%,d documents, %.1f MB; read (one thread, inflating the zip) %.1f MB/s%n", docs.size(), bytes / 1e6, bytes / 1e6 / readS);
            var texts = docs.stream().map(Document::text).toList();
            var stats = texts.stream().map(TextStats::of).toList();
            stage("words and lines (TextStats)", texts, threads, repeat, bytes, (i) -> TextStats.of(texts.get(i)).words);
            stage("quality rules", texts, threads, repeat, bytes, (i) -> {
                long n = 0;
                for (QualityRule r : rules.isCode(docs.get(i).id()) ? rules.code() : rules.prose()) if (r.check(stats.get(i)) != null) n++;
                return n;
            });
            stage("MinHash signature", texts, threads, repeat, bytes, (i) -> rules.near().signature(stats.get(i))[0]);
            stage("exact hash", texts, threads, repeat, bytes, (i) -> stats.get(i).exactHash());
            stage("boilerplate spans", texts, threads, repeat, bytes, (i) -> rules.boilerplate().spans(stats.get(i), rules.isCode(docs.get(i).id())).size());
        }
        if (audit) {
            long[] bytes = {0};
            timed("audit end to end (read, every rule on every document, decisions, tally)", repeat, bytes, () -> {
                bytes[0] = new Audit(source, settings, rules, null, List.of(), workers).run(Progress.none()).tally().bytes;
            });
        }
        if (clean) {
            Path work = java.nio.file.Files.createTempDirectory("clean-bench");
            var corpus = new Corpus(Source.resolve(data, settings, Progress.none()), settings);
            long[] bytes = {0};
            timed("cleaning stage of data prepare (read, rules, dedup, spool, removed.jsonl" + (held ? ", decontaminated against a held-out 10%" : "") + ")",
                    repeat, bytes, () -> {
                var stage = CleanStage.run(corpus, new Cleaning(rules, List.of()), Exclusions.NONE,
                        held ? id -> Hashing.unitInterval(id) < 0.1 : null, workers, work, new SkipLog(), Progress.none());
                bytes[0] = stage.sizeOnDisk() + stage.removedBytes();
                stage.delete();
            });
            java.nio.file.Files.deleteIfExists(work.resolve(CleanStage.REMOVED));
            java.nio.file.Files.deleteIfExists(work);
        }
    }

    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }

    /** Wall time and the process's CPU time per run; CPU time shows what an idle machine would take. */
    private static void timed(String name, int repeat, long[] bytes, Work work) throws Exception {
        var wall = new double[repeat];
        var cpu = new double[repeat];
        var process = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        for (int r = 0; r < repeat; r++) {
            long c0 = ((com.sun.management.OperatingSystemMXBean) process).getProcessCpuTime();
            long t0 = System.nanoTime();
            work.run();
            wall[r] = (System.nanoTime() - t0) / 1e9;
            cpu[r] = (((com.sun.management.OperatingSystemMXBean) process).getProcessCpuTime() - c0) / 1e9;
        }
        double w = median(wall), c = median(cpu);
        System.out.printf(Locale.ROOT, "%s:%n  median wall %.2f s = %.1f MB/s (runs %s); median CPU %.2f s = %.1f MB per CPU-second%n",
                name, w, bytes[0] / 1e6 / w, Arrays.toString(Arrays.stream(wall).map(x -> Math.round(x * 100) / 100.0).toArray()), c, bytes[0] / 1e6 / c);
    }

    private static double median(double[] xs) {
        var s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static void stage(String name, List<String> texts, int threads, int repeat, long bytes, ToLongFunction<Integer> work) throws Exception {
        try (var pool = Executors.newFixedThreadPool(threads)) {
            timed("  " + name, repeat, new long[] {bytes}, () -> {
                var futures = new ArrayList<Future<Long>>();
                int n = texts.size();
                for (int t = 0; t < threads; t++) {
                    int first = t;
                    futures.add(pool.submit(() -> {
                        long sink = 0;
                        for (int i = first; i < n; i += threads) sink += work.applyAsLong(i);
                        return sink;
                    }));
                }
                for (var f : futures) f.get();
            });
        }
    }
}
