package dev.flywheel.app;

import dev.flywheel.data.Json;
import dev.flywheel.data.clean.Audit;
import dev.flywheel.data.clean.AuditReport;
import dev.flywheel.data.clean.CleanRules;
import dev.flywheel.data.prep.DataCache;
import dev.flywheel.data.prep.PrepSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flywheel data audit}: what is in a corpus (duplicates, junk, boilerplate, contamination), changing nothing. */
@Command(name = "audit", sortOptions = false,
        description = {"Report what a corpus holds and what cleaning would remove: duplicates, junk by rule, boilerplate spans,",
                "contamination with evaluation texts, charset oddities. Changes nothing; writes audit.md and PNG plots.",
                "With --json the summary goes to stderr and stdout carries one line of JSON."})
final class DataAuditCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Mixin
    CorpusOptions corpus = new CorpusOptions();

    @Option(names = "--eval", paramLabel = "FILE", description = "An evaluation text to check for contamination (13-gram overlap); repeatable.")
    List<Path> evals = List.of();

    @Option(names = "--rules", defaultValue = "default", paramLabel = "default|FILE", description = "The cleaning rules to audit with (default: every rule).")
    String rules;

    @Option(names = "--exclude", paramLabel = "FILE", description = "Quarantine file for the quarantine rule: document ids, one per line.")
    Path exclude;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write audit.md and its plots (default: ./audit-NAME).")
    Path out;

    @Option(names = "--cache", paramLabel = "DIR", description = "Where downloads are cached (default: $FLYWHEEL_HOME/cache or ~/.flywheel/cache).")
    Path cache;

    @Option(names = "--threads", converter = Numbers.PositiveInt.class, paramLabel = "N", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    @Option(names = "--json", description = "End with one line of JSON describing the audit.")
    boolean json;

    @Override
    public Integer call() {
        return DataCommand.answer(spec, json, () -> {
            var cacheDir = new DataCache(cache != null ? cache : DataCache.defaultRoot());
            PrepSettings settings = cacheDir.localise(corpus.applyTo(PrepSettings.defaults()));
            var audit = new Audit(corpus.data, settings.corpus(), CleanRules.load(rules), exclude, evals,
                    threads != null ? threads : Runtime.getRuntime().availableProcessors());
            Audit.Result result;
            try (var progress = new DataCommand.BarProgress(!noProgress && DataCommand.showProgress())) {
                result = audit.run(progress);
            }
            Path dir = (out != null ? out : Path.of("audit-" + DataCache.shortName(corpus.data))).toAbsolutePath().normalize();
            Path report = AuditReport.write(result, dir);
            var summary = result.json(report);
            return new DataCommand.Answer(text(summary), Json.write(summary));
        });
    }

    private static String text(java.util.Map<String, Object> s) {
        var sb = new StringBuilder();
        sb.append("Audited ").append(s.get("source")).append('\n');
        sb.append(String.format(Locale.ROOT, "  documents   %,d (%,d bytes, %,d code)%n", s.get("documents"), s.get("bytes"), s.get("code_documents")));
        sb.append(String.format(Locale.ROOT, "  duplicates  %,d exact, %,d near, in %,d clusters%n", s.get("exact_duplicates"), s.get("near_duplicates"), s.get("duplicate_clusters")));
        sb.append(String.format(Locale.ROOT, "  flagged     %,d documents; %,d bytes would go%n", s.get("flagged"), s.get("removed_bytes")));
        if (s.get("by_rule") instanceof java.util.Map<?, ?> byRule) {
            byRule.forEach((rule, v) -> sb.append(String.format(Locale.ROOT, "              %-18s %s%n", rule, v)));
        }
        sb.append(String.format(Locale.ROOT, "  contaminated %,d documents%n", s.get("contaminated")));
        sb.append(String.format(Locale.ROOT, "  report      %s (%.1f s)%n", s.get("report"), s.get("seconds")));
        return sb.toString();
    }
}
