package dev.flywheel.data.bench;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.flywheel.data.Progress;
import dev.flywheel.data.corpus.Corpus;
import dev.flywheel.data.corpus.CorpusSettings;
import dev.flywheel.data.corpus.SkipLog;
import dev.flywheel.data.corpus.Source;
import dev.flywheel.data.tokenizer.BpeTokenizer;
import dev.flywheel.data.tokenizer.BpeTrainer;
import dev.flywheel.data.tokenizer.ChunkCounts;
import dev.flywheel.data.tokenizer.PreSplit;
import dev.flywheel.data.tokenizer.Tokenizer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.ToLongFunction;

/**
 * Speed figures for the tokenizer, printed, not asserted (timed unit tests are flaky on shared machines):
 * BPE training time, encode throughput on one and on all threads, bytes per token, and the same text through
 * jtokkit and through our encoder with GPT-2's vocabulary (r50k_base).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp "data/target/classes:$(cat data/target/classpath.txt)" \
 *      dev.flywheel.data.bench.TokenizerBench [--data jdk-src|FILE|DIR] [--mb 20] [--vocab 4096] [--threads 2]
 * </pre>
 */
public final class TokenizerBench {
    private TokenizerBench() {}

    public static void main(String[] args) throws Exception {
        String data = "jdk-src";
        long mb = 20;
        int vocab = 4096;
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--data" -> data = args[i + 1];
                case "--mb" -> mb = Long.parseLong(args[i + 1]);
                case "--vocab" -> vocab = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        long limit = mb * 1_000_000;
        var settings = CorpusSettings.defaults(Path.of(System.getProperty("java.io.tmpdir"), "flywheel-bench-downloads"))
                .withJdkSourceBytes(limit + (2 << 20));
        var docs = new ArrayList<byte[]>();
        long[] total = {0};
        long t0 = System.nanoTime();
        new Corpus(Source.resolve(data, settings, Progress.none()), settings).read(d -> {
            if (total[0] >= limit) return false;
            docs.add(d.utf8());
            total[0] += d.bytes();
            return true;
        }, new SkipLog());
        double readSeconds = secs(t0);
        System.out.printf("machine      %d cores, %s, JDK %s%n", Runtime.getRuntime().availableProcessors(), System.getProperty("os.arch"),
                System.getProperty("java.version"));
        System.out.printf("corpus       %s: %,d documents, %,d bytes (%.1f MB), read in %.2f s%n", data, docs.size(), total[0], total[0] / 1e6, readSeconds);

        // --- training: counting (parallel) + merges; run twice, report the second (JIT warm) and the first
        BpeTokenizer bpe = null;
        for (int round = 0; round < 2; round++) {
            long a = System.nanoTime();
            var counts = ChunkCounts.count(PreSplit.GPT4, docs, threads);
            double count = secs(a);
            long b = System.nanoTime();
            bpe = BpeTrainer.train(counts, vocab, List.of(Tokenizer.END_OF_TEXT), Progress.none());
            double merge = secs(b);
            System.out.printf("train %s    %,d-token vocabulary on %.1f MB, %d threads: %.2f s (count %.2f s: %,d distinct chunks of %,d; merges %.2f s)%n",
                    round == 0 ? "cold" : "warm", bpe.vocabSize(), total[0] / 1e6, threads, count + merge, count, counts.unique(), counts.total(), merge);
        }

        // --- encoding with our trained vocabulary
        final BpeTokenizer trained = bpe;
        long tokens = encodeAll(docs, 1, d -> trained.encode(d).length);
        System.out.printf("bytes/token  %.3f (%,d tokens, our %d vocabulary, GPT-4 pre-split)%n", (double) total[0] / tokens, tokens, vocab);
        report("ours " + vocab, docs, total[0], threads, d -> trained.encode(d).length);

        // --- the same text with GPT-2's vocabulary, in jtokkit and in our encoder
        BpeTokenizer r50k;
        try (InputStream in = Encodings.class.getResourceAsStream("/com/knuddels/jtokkit/r50k_base.tiktoken")) {
            r50k = BpeTokenizer.loadTiktoken(in, PreSplit.GPT2, Map.of(Tokenizer.END_OF_TEXT, 50256));
        }
        Encoding jtokkit = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        var strings = docs.stream().map(d -> new String(d, StandardCharsets.UTF_8)).toList();
        int mismatches = 0;
        for (int i = 0; i < Math.min(200, docs.size()); i++) {
            if (!java.util.Arrays.equals(r50k.encode(docs.get(i)), jtokkit.encodeOrdinary(strings.get(i)).toArray())) mismatches++;
        }
        System.out.printf("r50k check   our encoder vs jtokkit on the first %d documents: %s%n", Math.min(200, docs.size()),
                mismatches == 0 ? "identical ids" : mismatches + " documents differ");
        long r50kTokens = encodeAll(docs, 1, d -> r50k.encode(d).length);
        System.out.printf("bytes/token  %.3f with GPT-2's r50k_base%n", (double) total[0] / r50kTokens);
        report("ours r50k", docs, total[0], threads, d -> r50k.encode(d).length);
        var index = new java.util.IdentityHashMap<byte[], String>();
        for (int i = 0; i < docs.size(); i++) index.put(docs.get(i), strings.get(i));
        // jtokkit takes Strings: give it the decoded text so it does not pay for UTF-8 decoding in the timing
        report("jtokkit r50k", docs, total[0], threads, d -> jtokkit.encodeOrdinary(index.get(d)).size());
    }

    private static void report(String name, List<byte[]> docs, long bytes, int threads, ToLongFunction<byte[]> encode) throws Exception {
        encodeAll(docs, threads, encode); // warm up
        long a = System.nanoTime();
        encodeAll(docs, 1, encode);
        double one = secs(a);
        long b = System.nanoTime();
        encodeAll(docs, threads, encode);
        double all = secs(b);
        System.out.printf("encode       %-13s %6.1f MB/s on 1 thread, %6.1f MB/s on %d threads%n", name, bytes / 1e6 / one, bytes / 1e6 / all, threads);
    }

    private static long encodeAll(List<byte[]> docs, int threads, ToLongFunction<byte[]> encode) throws Exception {
        if (threads == 1) {
            long n = 0;
            for (byte[] d : docs) n += encode.applyAsLong(d);
            return n;
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            var parts = new ArrayList<Future<Long>>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                parts.add(pool.submit(() -> {
                    long n = 0;
                    for (int i = first; i < docs.size(); i += threads) n += encode.applyAsLong(docs.get(i));
                    return n;
                }));
            }
            long n = 0;
            for (var f : parts) n += f.get();
            return n;
        }
    }

    private static double secs(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

}
