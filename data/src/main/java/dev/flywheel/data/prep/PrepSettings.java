package dev.flywheel.data.prep;

import dev.flywheel.data.DataException;
import dev.flywheel.data.clean.Cleaning;
import dev.flywheel.data.corpus.CorpusSettings;
import dev.flywheel.data.tokenizer.PreSplit;
import dev.flywheel.data.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything that decides what a prepared data directory contains, besides the source itself.
 *
 * @param tokenizer      byte, char or bpe
 * @param vocabSize      BPE vocabulary size, special tokens included (ignored by byte and char)
 * @param preSplit       the BPE pre-split pattern (GPT-4's by default)
 * @param splitMode      HASH: each document goes to one split by a hash of its id; CONTIGUOUS: nanoGPT's
 *                       first-part-train / last-part-validation cut of the token stream
 * @param valFraction    share of the validation split
 * @param testFraction   share of the held-out test split
 * @param corpus         how the source is read (globs, JSONL field, block size, byte budget, download cache)
 * @param excludeIds     a quarantine file of document ids to drop (one per line, '#' comments, a trailing '*'
 *                       matches a prefix), or null
 * @param tokenizerSampleBytes BPE trains on at most this many bytes of training documents (a hash-chosen sample)
 * @param threads        worker threads for counting and encoding
 * @param shardTokens    maximum tokens per shard file
 * @param cleaning       the cleaning stage before tokenizing ({@code --clean}), or null for none
 */
public record PrepSettings(Tokenizer.Kind tokenizer, int vocabSize, PreSplit preSplit, SplitMode splitMode,
                           double valFraction, double testFraction, CorpusSettings corpus, Path excludeIds,
                           long tokenizerSampleBytes, int threads, long shardTokens, Cleaning cleaning) {

    public enum SplitMode { HASH, CONTIGUOUS }

    public PrepSettings {
        if (!(valFraction >= 0 && testFraction >= 0 && valFraction + testFraction < 1)) {
            throw new DataException("split fractions val=" + valFraction + " test=" + testFraction
                    + " are invalid; each must be ≥ 0 and together below 1 (e.g. --val 0.05 --test 0.05)");
        }
        if (tokenizer == Tokenizer.Kind.BPE && vocabSize < 257) {
            throw new DataException("a BPE vocabulary of " + vocabSize + " is too small; use --vocab 257 or more (256 bytes + <|endoftext|>)");
        }
        if (tokenizer == Tokenizer.Kind.BPE && vocabSize > (1 << 24)) {
            throw new DataException("a BPE vocabulary of " + vocabSize + " is too large; use --vocab 16777216 or less");
        }
        if (threads < 1) threads = 1;
        if (shardTokens < 1024) throw new DataException("shard size must be at least 1024 tokens");
        if (tokenizerSampleBytes < 1) throw new DataException("the tokenizer sample must be at least 1 byte");
    }

    public static final Path DEFAULT_DOWNLOADS = Path.of(System.getProperty("user.home"), ".flywheel", "downloads");

    /** BPE with 4096 tokens, GPT-4 pre-split, hash split 90/5/5, the JDK source sample if no data is given. */
    public static PrepSettings defaults() {
        return new PrepSettings(Tokenizer.Kind.BPE, 4096, PreSplit.GPT4, SplitMode.HASH, 0.05, 0.05,
                CorpusSettings.defaults(DEFAULT_DOWNLOADS), null, 20L << 20, Runtime.getRuntime().availableProcessors(), 1L << 26, null);
    }

    /** nanoGPT's shakespeare_char: char tokenizer, first 90% of the text for training, the last 10% for validation. */
    public static PrepSettings nanoGptChar() {
        return defaults().withTokenizer(Tokenizer.Kind.CHAR).withSplit(SplitMode.CONTIGUOUS, 0.1, 0.0);
    }

    public double trainFraction() {
        return 1 - valFraction - testFraction;
    }

    public PrepSettings withTokenizer(Tokenizer.Kind kind) {
        return new PrepSettings(kind, vocabSize, preSplit, splitMode, valFraction, testFraction, corpus, excludeIds, tokenizerSampleBytes, threads, shardTokens, cleaning);
    }

    public PrepSettings withVocabSize(int size) {
        return new PrepSettings(tokenizer, size, preSplit, splitMode, valFraction, testFraction, corpus, excludeIds, tokenizerSampleBytes, threads, shardTokens, cleaning);
    }

    public PrepSettings withPreSplit(PreSplit split) {
        return new PrepSettings(tokenizer, vocabSize, split, splitMode, valFraction, testFraction, corpus, excludeIds, tokenizerSampleBytes, threads, shardTokens, cleaning);
    }

    public PrepSettings withSplit(SplitMode mode, double val, double test) {
        return new PrepSettings(tokenizer, vocabSize, preSplit, mode, val, test, corpus, excludeIds, tokenizerSampleBytes, threads, shardTokens, cleaning);
    }

    public PrepSettings withCorpus(CorpusSettings settings) {
        return new PrepSettings(tokenizer, vocabSize, preSplit, splitMode, valFraction, testFraction, settings, excludeIds, tokenizerSampleBytes, threads, shardTokens, cleaning);
    }

    public PrepSettings withExcludeIds(Path file) {
        return new PrepSettings(tokenizer, vocabSize, preSplit, splitMode, valFraction, testFraction, corpus, file, tokenizerSampleBytes, threads, shardTokens, cleaning);
    }

    public PrepSettings withTokenizerSampleBytes(long bytes) {
        return new PrepSettings(tokenizer, vocabSize, preSplit, splitMode, valFraction, testFraction, corpus, excludeIds, bytes, threads, shardTokens, cleaning);
    }

    public PrepSettings withThreads(int n) {
        return new PrepSettings(tokenizer, vocabSize, preSplit, splitMode, valFraction, testFraction, corpus, excludeIds, tokenizerSampleBytes, n, shardTokens, cleaning);
    }

    public PrepSettings withShardTokens(long n) {
        return new PrepSettings(tokenizer, vocabSize, preSplit, splitMode, valFraction, testFraction, corpus, excludeIds, tokenizerSampleBytes, threads, n, cleaning);
    }

    public PrepSettings withCleaning(Cleaning c) {
        return new PrepSettings(tokenizer, vocabSize, preSplit, splitMode, valFraction, testFraction, corpus, excludeIds, tokenizerSampleBytes, threads, shardTokens, c);
    }

    /** Shorthands for the corpus settings most callers touch. */
    public PrepSettings withMaxBytes(long bytes) {
        return withCorpus(corpus.withMaxBytes(bytes));
    }

    public PrepSettings withDownloadDir(Path dir) {
        return withCorpus(corpus.withDownloadDir(dir));
    }

    public PrepSettings withGlobs(List<String> include, List<String> exclude) {
        return withCorpus(corpus.withInclude(include).withExclude(exclude));
    }

    public PrepSettings withTextField(String field) {
        return withCorpus(corpus.withTextField(field));
    }

    public PrepSettings withJdkSourceBytes(long bytes) {
        return withCorpus(corpus.withJdkSourceBytes(bytes));
    }
}
