package dev.flywheel.app;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.Split;
import dev.flywheel.data.clean.CleanRules;
import dev.flywheel.data.clean.Cleaning;
import dev.flywheel.data.prep.DataCache;
import dev.flywheel.data.prep.DataPrep;
import dev.flywheel.data.prep.PrepSettings;
import dev.flywheel.data.prep.PrepSummary;
import dev.flywheel.data.prep.PreparedData;
import dev.flywheel.data.tokenizer.PreSplit;
import dev.flywheel.data.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code flywheel data ...}: prepare a corpus into shards, and look at prepared data. Library errors the user can
 * cause ({@link DataException}) become one sentence on stderr and exit status 2.
 */
@Command(name = "data", description = "Prepare and inspect training data.",
        subcommands = {DataCommand.Prepare.class, DataAuditCommand.class, DataCommand.Show.class})
public final class DataCommand implements Runnable {

    /** Exit status for errors in the user's data or settings. */
    public static final int DATA_ERROR = 2;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "prepare", sortOptions = false,
            description = {"Turn a corpus into token shards, a tokenizer and meta.json.",
                    "Without --out the result goes to the cache and is reused while the source and settings stay the same.",
                    "With --json the summary goes to stderr and stdout carries one line of JSON."})
    static final class Prepare implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
        boolean help;

        @Mixin
        CorpusOptions corpus = new CorpusOptions();

        @Option(names = "--tokenizer", defaultValue = "bpe", paramLabel = "byte|char|bpe", description = "Tokenizer kind (default: ${DEFAULT-VALUE}).")
        String tokenizer;

        @Option(names = "--vocab", converter = Numbers.PositiveInt.class, defaultValue = "4096", paramLabel = "N", description = "BPE vocabulary size, <|endoftext|> included (default: ${DEFAULT-VALUE}).")
        int vocab;

        @Option(names = "--out", paramLabel = "DIR", description = "Write the prepared data here instead of the cache.")
        Path out;

        @Option(names = "--cache", paramLabel = "DIR", description = "Cache for prepared data and downloads (default: $FLYWHEEL_HOME/cache or ~/.flywheel/cache).")
        Path cache;

        @Option(names = "--exclude", paramLabel = "FILE", description = "Quarantine file: document ids to leave out, one per line ('prefix*' allowed).")
        Path exclude;

        @Option(names = "--clean", arity = "0..1", fallbackValue = "default", paramLabel = "default|FILE",
                description = "Clean before tokenizing: quality rules, exact and near dedup, boilerplate, decontamination (the built-in rules, or a rules file);"
                        + " removed.jsonl lists every removed or cut document.")
        String clean;

        @Option(names = "--decontaminate", arity = "1..*", paramLabel = "FILE", description = "Evaluation texts to remove from the data (13-gram overlap); implies --clean.")
        List<Path> decontaminate = List.of();

        @Option(names = "--split", defaultValue = "hash", paramLabel = "hash|contiguous",
                description = "hash: each document to one split by its id; contiguous: nanoGPT's first-90%%/last-10%% cut (default: ${DEFAULT-VALUE}).")
        String split;

        @Option(names = "--val", converter = Numbers.Fraction.class, defaultValue = "0.05", paramLabel = "F", description = "Validation share (default: ${DEFAULT-VALUE}).")
        double val;

        @Option(names = "--test", converter = Numbers.Fraction.class, defaultValue = "0.05", paramLabel = "F", description = "Held-out test share (default: ${DEFAULT-VALUE}).")
        double test;

        @Option(names = "--pre-split", defaultValue = "gpt4", paramLabel = "gpt4|gpt2", description = "BPE pre-split pattern (default: ${DEFAULT-VALUE}).")
        String preSplit;

        @Option(names = "--threads", converter = Numbers.PositiveInt.class, paramLabel = "N", description = "Worker threads (default: all cores).")
        Integer threads;

        @Option(names = "--force", description = "Prepare again even if the same preparation exists.")
        boolean force;

        @Option(names = "--no-progress", description = "No progress bar.")
        boolean noProgress;

        @Option(names = "--json", description = "End with one line of JSON describing the result.")
        boolean json;

        @Override
        public Integer call() {
            return answer(spec, json, () -> {
                PrepSettings settings = settings();
                PrepSummary summary;
                try (var progress = new BarProgress(!noProgress && showProgress())) {
                    summary = prepare(settings, progress);
                }
                return new Answer(summary.toText(), summary.toJson());
            });
        }

        private PrepSummary prepare(PrepSettings settings, Progress progress) {
            var cacheDir = new DataCache(cache != null ? cache : DataCache.defaultRoot());
            if (out == null) {
                if (!force) return cacheDir.prepare(corpus.data, settings, progress).summary();
                return DataPrep.prepare(corpus.data, cacheDir.localise(settings), cacheDir.directoryFor(corpus.data, settings), progress);
            }
            Path target = out.toAbsolutePath().normalize();
            PrepSettings s = cacheDir.localise(settings);
            if (!force && PreparedData.isPrepared(target) && sameKey(target, DataPrep.cacheKey(corpus.data, s))) {
                return PreparedData.open(target).summary().asReused(0);
            }
            return DataPrep.prepare(corpus.data, s, target, progress);
        }

        private static boolean sameKey(Path dir, String key) {
            try {
                return PreparedData.open(dir).cacheKey().equals(key);
            } catch (DataException e) {
                return false;
            }
        }

        PrepSettings settings() {
            var kind = Tokenizer.Kind.parse(tokenizer);
            var mode = switch (split.trim().toLowerCase(Locale.ROOT)) {
                case "hash" -> PrepSettings.SplitMode.HASH;
                case "contiguous" -> PrepSettings.SplitMode.CONTIGUOUS;
                default -> throw new DataException("--split " + split + " is not a split mode; choose hash or contiguous");
            };
            var pre = switch (preSplit.trim().toLowerCase(Locale.ROOT)) {
                case "gpt4" -> PreSplit.GPT4;
                case "gpt2" -> PreSplit.GPT2;
                default -> throw new DataException("--pre-split " + preSplit + " is not known; choose gpt4 or gpt2");
            };
            var s = corpus.applyTo(PrepSettings.defaults().withTokenizer(kind).withVocabSize(vocab).withPreSplit(pre).withSplit(mode, val, test)
                    .withExcludeIds(exclude));
            if (clean != null || !decontaminate.isEmpty()) s = s.withCleaning(new Cleaning(CleanRules.load(clean), decontaminate));
            if (threads != null) s = s.withThreads(threads);
            return s;
        }
    }

    @Command(name = "show", description = "Check a prepared data directory (every shard's checksum) and print its summary.")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
        boolean help;

        @Parameters(paramLabel = "DIR", description = "A prepared data directory.")
        Path dir;

        @Option(names = "--json", description = "End with one line of JSON describing the data.")
        boolean json;

        @Override
        public Integer call() {
            try {
                var data = PreparedData.open(dir);
                var stdout = spec.commandLine().getOut();
                var human = json ? spec.commandLine().getErr() : stdout;
                human.print(data.summary().toText().replaceFirst("^(Prepared|Reused prepared) data in \\S+", "Prepared data in " + dir.toAbsolutePath()));
                for (Split s : Split.values()) human.printf("  %-5s       %d shard(s), %,d tokens, checksums verified%n", s.label(), data.shards(s).size(), data.tokens(s));
                human.println("  tokenizer   " + data.tokenizer().describe());
                human.flush();
                if (json) stdout.println(data.summary().toJson());
                stdout.flush();
                return 0;
            } catch (DataException e) {
                spec.commandLine().getErr().println("flywheel: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return DATA_ERROR;
            }
        }
    }

    /** What a data command prints: a summary for people and one line of JSON for scripts. */
    record Answer(String text, String json) {}

    /**
     * Runs a data command: as elsewhere in the CLI, with --json people read stderr and stdout carries only the JSON
     * line; a {@link DataException} is one sentence on stderr and exit status 2.
     */
    static int answer(CommandSpec spec, boolean json, java.util.function.Supplier<Answer> command) {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        try {
            Answer a = command.get();
            PrintWriter human = json ? err : stdout;
            human.print(a.text());
            human.flush();
            if (json) stdout.println(a.json());
            stdout.flush();
            return 0;
        } catch (DataException e) {
            err.println("flywheel: " + e.getMessage());
            err.flush();
            return DATA_ERROR;
        }
    }

    static boolean showProgress() {
        var console = System.console();
        return console != null && console.isTerminal();
    }

    /** Draws each task of a preparation as a progress bar on stderr. */
    static final class BarProgress implements Progress, AutoCloseable {
        private final boolean enabled;
        private ProgressBar bar;

        BarProgress(boolean enabled) {
            this.enabled = enabled;
        }

        @Override
        public void begin(String task, long total, String unit) {
            if (!enabled) return;
            end();
            var builder = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(250).continuousUpdate();
            if (unit.equals("bytes")) builder.setUnit(" MB", 1_000_000).showSpeed();
            else builder.setUnit(" " + unit, 1);
            bar = builder.build();
        }

        @Override
        public void update(long done) {
            if (bar != null) bar.stepTo(done);
        }

        @Override
        public void end() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }

        @Override
        public void close() {
            end();
        }
    }
}
