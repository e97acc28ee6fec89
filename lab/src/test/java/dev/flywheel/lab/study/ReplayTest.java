package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.Store;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three finished studies, stored by the code before the study became a history and policies (see
 * {@code src/test/resources/replay/README.md}), replayed through the new fold: every stored decision is made again
 * from the history before it, the best recipe comes out the same, and rendering the history writes the same
 * results.tsv and the same journal block for every run. No training: the stores hold the runs' results.
 */
class ReplayTest {

    @ParameterizedTest
    @ValueSource(strings = {"builtin", "random", "confirm"})
    void aStoredStudyReplaysToTheSameDecisionsBestAndJournal(String name, @org.junit.jupiter.api.io.TempDir Path tmp)
            throws IOException {
        var fixture = Path.of("src/test/resources/replay", name);
        Files.copy(fixture.resolve("flywheel.db"), tmp.resolve("flywheel.db")); // opening writes WAL files beside it
        var saved = StudySettings.read(fixture, tmp.resolve("cache"));
        var settings = new StudySettings(saved.name(), saved.brief(), saved.start(), saved.researcher(), saved.budget(),
                tmp.resolve("study"), tmp.resolve("cache"), saved.concurrency(), saved.threads(), saved.earlyStop(),
                saved.scaleConfirm(), saved.checkpointEverySeconds(), saved.decisions());
        {
            var store = Store.open(tmp.resolve("flywheel.db"));
            var h = StudyHistory.load(store, name, settings.start());
            assertThat(h.runs()).isNotEmpty().allSatisfy(r -> assertThat(h.decided(r)).as(r.id()).isTrue());

            var replayed = replay(h, settings);
            assertThat(replayed).hasSameSizeAs(h.runs());
            for (var d : replayed) {
                var stored = h.decision(d.run());
                assertThat(d.decision()).as(d.run()).isEqualTo(stored.decision());
                assertThat(d.rationale()).as(d.run()).isEqualTo(stored.rationale());
                assertThat(d.metric()).as(d.run()).isEqualTo(stored.metric());
                assertThat(d.bestBefore()).as(d.run()).isEqualTo(stored.bestBefore());
                assertThat(d.delta()).as(d.run()).isEqualTo(stored.delta());
                assertThat(d.noiseFloor()).as(d.run()).isEqualTo(stored.noiseFloor());
            }

            var best = Recipe.read(fixture.resolve(Study.BEST_RECIPE));
            assertThat(Standing.of(h).bestRecipe().canonicalJson()).isEqualTo(best.canonicalJson());
            var verdict = Conclusions.scaleVerdict(h, settings);
            assertThat(h.notes()).extracting(n -> n.body()).contains("Scale check: " + verdict.text());

            new JournalWriter(settings, store).runs(h, h.runs());
            assertThat(read(tmp.resolve("study").resolve(Study.RESULTS))).isEqualTo(read(fixture.resolve(Study.RESULTS)));
            var runBlocks = runBlocks(read(fixture.resolve(Study.JOURNAL)));
            assertThat(runBlocks).hasSameSizeAs(h.runs());
            assertThat(runBlocks(read(tmp.resolve("study").resolve(Study.JOURNAL)))).isEqualTo(runBlocks);
        }
    }

    /**
     * Every decision the study would make on this history, trial by trial, each from the history before it: the
     * baseline's, each experiment's (with its close call confirmed where the study confirmed it), the scale check's.
     */
    static List<DecisionRecord> replay(StudyHistory h, StudySettings s) {
        var out = new ArrayList<DecisionRecord>();
        // the fixtures were made when the scale check was two runs of a study run each, and held back that much
        var budget = new StudyBudgetPolicy(s.budget(), s.runBudget(), s.concurrency(),
                s.scaleConfirm() ? StudyBudgetPolicyTest.TWO : null);
        for (var trial : h.trials().values()) {
            var first = trial.getFirst();
            switch (first.role()) {
                case BASELINE -> out.addAll(DecisionPolicy.baseline(s.name(), trial));
                case EXPERIMENT -> {
                    var before = Standing.of(h.before(first.ordinal()));
                    var seeds = trial.stream().filter(r -> r.role() == Role.EXPERIMENT).toList();
                    boolean confirmed = trial.size() > seeds.size();
                    var last = seeds.getLast(); // what the study had when it first judged the seeds
                    boolean fits = budget.canAfford(h.before(last.ordinal() + 1), 0, 1, false, false);
                    var verdict = DecisionPolicy.experiment(before, seeds, s.keepSigmas(), fits);
                    if (confirmed) {
                        assertThat(verdict.kind()).as(first.id() + " was a close call").isEqualTo(KeepRule.Kind.CONFIRM);
                        verdict = DecisionPolicy.experiment(before, trial, s.keepSigmas(), false);
                    }
                    out.addAll(DecisionPolicy.records(s.name(), trial, before, verdict));
                }
                case SCALE -> {
                    var v = Conclusions.scaleVerdict(h, s);
                    double noise = Standing.of(h.before(first.ordinal())).noise().used();
                    for (RunRecord r : trial)
                        out.add(new DecisionRecord(s.name(), r.id(), dev.flywheel.lab.store.Decision.DISCARD, r.metric(),
                                null, null, noise, "scale check, not a candidate: " + v.text(), null));
                }
                case CONFIRM -> throw new AssertionError("a trial never starts with a confirmation: " + first.id());
            }
        }
        return out;
    }

    private static final Pattern BLOCK_END = Pattern.compile("<!-- flywheel: end of (.+?) -->");

    /** The journal's run blocks by key ("run s-001"), each its text. */
    static Map<String, String> runBlocks(String journal) {
        var out = new LinkedHashMap<String, String>();
        var m = BLOCK_END.matcher(journal);
        int from = 0;
        while (m.find()) {
            if (m.group(1).startsWith("run ")) out.put(m.group(1), journal.substring(from, m.start()).strip());
            from = m.end();
        }
        return out;
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
