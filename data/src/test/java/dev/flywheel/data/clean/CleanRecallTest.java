package dev.flywheel.data.clean;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flywheel.data.Progress;
import dev.flywheel.data.corpus.Corpus;
import dev.flywheel.data.corpus.CorpusSettings;
import dev.flywheel.data.corpus.SkipLog;
import dev.flywheel.data.corpus.Source;
import dev.flywheel.data.prep.Exclusions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance figures of the default rules on the {@link LabelledCorpus}: recall per planted category and the
 * share of clean documents lost. The targets: exact 100%, near ≥ 90%, junk ≥ 95%, contamination ≥ 95%,
 * clean lost ≤ 2%. Modest by default (runs in seconds); {@code -Dclean.recall.scale=3} gives the larger run
 * quoted in docs/data-cleaning.md.
 */
class CleanRecallTest {

    /** Per label: documents, caught (removed; for contaminated also cut by decontamination), and by which rules. */
    static final class Score {
        int documents, caught, edited;
        final Map<String, Integer> rules = new TreeMap<>();

        double recall() {
            return documents == 0 ? Double.NaN : caught / (double) documents;
        }
    }

    static Map<String, Score> score(Path dir, LabelledCorpus.Sizes sizes, long seed, int threads) throws Exception {
        var files = LabelledCorpus.write(dir, sizes, seed);
        var settings = CorpusSettings.defaults(dir);
        var corpus = new Corpus(Source.resolve(files.jsonl().toString(), settings, Progress.none()), settings);
        var rules = CleanRules.defaults();
        var cleaner = new Cleaner(rules, Exclusions.NONE, List.of(rules.decontaminate().load(files.eval())), null, threads, false);
        var scores = new TreeMap<String, Score>();
        cleaner.run(corpus, new SkipLog(), Progress.none(), -1, v -> {
            String label = v.document().sourceId().substring(0, v.document().sourceId().indexOf('/'));
            var s = scores.computeIfAbsent(label, l -> new Score());
            s.documents++;
            boolean decon = v.edits().stream().anyMatch(e -> e.rule().equals(Decontamination.NAME));
            if (v.removed() || (label.equals("contaminated") && decon)) {
                s.caught++;
                s.rules.merge(v.removed() ? v.removedBy() : Decontamination.NAME + " (cut)", 1, Integer::sum);
            } else if (v.edited()) s.edited++;
        });
        return scores;
    }

    @Test
    void defaultRulesMeetTheTargetsOnTheLabelledCorpus(@TempDir Path dir) throws Exception {
        int scale = Integer.getInteger("clean.recall.scale", 1);
        var sizes = new LabelledCorpus.Sizes(1000 * scale, 100 * scale, 100 * scale, 30 * scale, 100 * scale);
        var scores = score(dir, sizes, 16, 2);
        System.out.println("| category | documents | caught | recall | by rule |");
        scores.forEach((label, s) -> System.out.printf(java.util.Locale.ROOT, "| %s | %d | %d | %.1f%% | %s |%n",
                label, s.documents, s.caught, 100 * s.recall(), s.rules));

        assertThat(scores.get("clean").documents).isEqualTo(sizes.clean());
        assertThat(scores.get("clean").recall()).as("clean documents lost").isLessThanOrEqualTo(0.02);
        assertThat(scores.get("exact").recall()).as("exact duplicates").isEqualTo(1.0);
        assertThat(scores.get("near").recall()).as("near duplicates").isGreaterThanOrEqualTo(0.90);
        assertThat(scores.get("contaminated").recall()).as("contaminated").isGreaterThanOrEqualTo(0.95);
        for (String kind : LabelledCorpus.JUNK) {
            assertThat(scores.get("junk-" + kind).recall()).as("junk " + kind).isGreaterThanOrEqualTo(0.95);
        }
    }

    @Test
    void theVerdictsDoNotDependOnTheThreadCount(@TempDir Path dir) throws Exception {
        var sizes = new LabelledCorpus.Sizes(300, 30, 30, 5, 30);
        var one = score(dir.resolve("a"), sizes, 7, 1);
        var three = score(dir.resolve("b"), sizes, 7, 3);
        assertThat(one.keySet()).isEqualTo(three.keySet());
        one.forEach((label, s) -> {
            assertThat(three.get(label).caught).as(label).isEqualTo(s.caught);
            assertThat(three.get(label).rules).as(label).isEqualTo(s.rules);
        });
    }
}
