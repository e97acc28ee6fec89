package dev.flywheel.lab.study;

import dev.flywheel.data.prep.DataCache;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.journal.Summary;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.NewRun;
import dev.flywheel.lab.store.Role;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.function.BiConsumer;

/**
 * The end of a study: the scale check, the held-out test of the best run, the best recipe file, the journal's
 * summary — and the {@link Conclusion} itself, which is rebuilt from the history alone for a study that finished
 * earlier. Resumable like the rest: {@code finishing.json} marks that the end began (no experiment starts after it)
 * and keeps the researcher's summary.
 */
final class Conclusions {

    private static final String SCALE_NOTE = "Scale check: ";

    private Conclusions() {
    }

    /** What the end needs of a study. */
    record Context(StudySettings settings, Ledger ledger, JournalWriter journal, RunScheduler scheduler,
                   StudyListener listener, StudyBudgetPolicy budget, StudyClock clock, BiConsumer<String, String> note) {}

    /** Whether the study has begun concluding (the end was asked for, or the scale check queued). */
    static boolean concluding(Path dir, StudyHistory h) {
        return Files.exists(dir.resolve(Study.FINISHING)) || !h.runsOf(Role.SCALE).isEmpty();
    }

    /**
     * Marks the end as begun, keeping {@code summary}; returns the summary to use (the one kept by an interrupted
     * earlier end when this call has none).
     */
    static String begin(Context c, String summary) {
        var finishing = c.settings().dir().resolve(Study.FINISHING);
        if (!Files.exists(finishing)) {
            dev.flywheel.lab.exec.Files2.writeAtomically(finishing, Json.write(Collections.singletonMap("summary", summary)));
            return summary;
        }
        return summary != null ? summary : readSummary(finishing);
    }

    /** Everything after {@link #begin} and the settling of pending experiments; returns the conclusion. */
    static Conclusion finish(Context c, String summary) {
        var s = c.settings();
        c.listener().phase("concluding: scale check, replication, held-out test, summary");
        String scale = scaleCheck(c);
        var replication = Replication.atEnd(c);
        var h = c.ledger().history();
        var st = Standing.of(h);
        var best = h.run(st.bestRun()).orElseThrow();
        Double test = best.testMetric();
        if (test == null && best.checkpointPath() != null) {
            try {
                test = HeldOutTest.evaluate(best.recipe(), Path.of(best.checkpointPath()), new DataCache(s.cacheRoot()),
                        s.threads(), s.metric());
                if (test != null) c.ledger().testMetric(best.id(), test);
            } catch (RuntimeException e) {
                c.note().accept("study", "the held-out test of " + best.id() + " failed: " + e.getMessage());
            }
        }
        var bestFile = s.dir().resolve(Study.BEST_RECIPE);
        st.bestRecipe().write(bestFile);
        var text = new StringBuilder();
        if (scale != null) text.append(SCALE_NOTE).append(scale).append("\n\n");
        if (replication != null) text.append(replication.headline()).append("\n\n");
        if (summary != null && !summary.isBlank())
            text.append("From the researcher (").append(s.researcher()).append("):\n\n").append(summary.strip());
        h = c.ledger().history();
        c.journal().summary(new Summary(s.metric(), h.endedRuns(), st.kept().size(), st.baselineRun(),
                st.baselineMetric(), st.bestRun(), st.bestMetric(), st.noise().used(), st.keptLines(), bestFile, test,
                text.toString()), h);
        var store = c.ledger().store();
        store.setSpentSeconds(s.name(), c.clock().spent());
        store.finishStudy(s.name(), summaryLine(s, st, test, scale) + (summary == null ? "" : "\n\n" + summary.strip()));
        var conclusion = of(c, store.study(s.name()).orElseThrow().summary());
        c.listener().phase("finished: " + conclusion.journal());
        return conclusion;
    }

    /** The conclusion of a finished study, from its history. */
    static Conclusion of(Context c, String storedSummary) {
        var s = c.settings();
        var h = c.ledger().history();
        var st = Standing.of(h);
        var best = h.run(st.bestRun()).orElse(null);
        var verdict = scaleVerdict(h, s.keepSigmas());
        var dir = s.dir();
        return new Conclusion(s.name(), s.metric().id(), h.endedRuns(), st.kept().size(), st.baselineRun(),
                st.baselineMetric(), st.bestRun(), st.bestMetric(), st.noise().used(),
                best == null ? null : best.testMetric(), st.keptLines(), verdict == null ? null : verdict.text(),
                dir.resolve(Study.BEST_RECIPE), dir.resolve(Study.JOURNAL), dir.resolve(Study.RESULTS),
                dir.resolve(Study.CHART), storedSummary);
    }

    /** The scale check's verdict once both its runs ended, else null (never checked, skipped, or not yet run). */
    static ScaleCheck.Verdict scaleVerdict(StudyHistory h, double keepSigmas) {
        var runs = h.runsOf(Role.SCALE);
        if (runs.size() < 2 || !runs.get(0).status().isFinal() || !runs.get(1).status().isFinal()) return null;
        return ScaleCheck.judge(runs.get(0), runs.get(1), Standing.of(h.before(runs.getFirst().ordinal())), keepSigmas);
    }

    /** Queues (once), runs and decides the scale check; returns its verdict in words, or null when it was not run. */
    private static String scaleCheck(Context c) {
        var s = c.settings();
        var h = c.ledger().history();
        if (h.runsOf(Role.SCALE).isEmpty()) {
            if (!s.scaleConfirm()) return null;
            var st = Standing.of(h);
            if (st.kept().isEmpty()) return null;
            var bigStart = ScaleCheck.scaleUp(s.start(), s.space());
            var bigBest = ScaleCheck.scaleUp(st.bestRecipe(), s.space());
            if (bigStart == null || bigBest == null) {
                c.note().accept("study", "scale check skipped: the model cannot be made larger within the recipe's rules");
                return null;
            }
            if (!c.budget().canAfford(h, c.clock().spent(), 2, true, true)) {
                c.note().accept("study", "scale check skipped: the study budget has no room left for its two runs");
                return null;
            }
            var first = c.ledger().queue(new NewRun(null, s.name(), bigStart, st.baselineRun(),
                    Change.of(ScaleCheck.change(s.start(), bigStart)), "scale-confirm",
                    "Do the kept changes hold at a larger model? The starting recipe, one size up.", null, Role.SCALE));
            c.ledger().queue(new NewRun(null, s.name(), bigBest, st.bestRun(),
                    Change.of(ScaleCheck.change(st.bestRecipe(), bigBest)), "scale-confirm",
                    "Do the kept changes hold at a larger model? The best recipe, one size up.", first.experiment(),
                    Role.SCALE));
            c.listener().phase("scale check: the starting and the best recipe one size up");
        }
        c.scheduler().executeAll(c.ledger().history().runsOf(Role.SCALE));
        h = c.ledger().history();
        var runs = h.runsOf(Role.SCALE);
        var verdict = scaleVerdict(h, s.keepSigmas());
        if (!h.allDecided(runs)) {
            var noise = Standing.of(h.before(runs.getFirst().ordinal())).noise().used();
            c.ledger().decide(runs.stream().map(r -> new DecisionRecord(s.name(), r.id(), Decision.DISCARD, r.metric(),
                    null, null, noise, "scale check, not a candidate: " + verdict.text(), null)).toList());
        }
        c.journal().runs(c.ledger().history(), runs);
        boolean noted = c.ledger().history().notes().stream().anyMatch(n -> n.body().startsWith(SCALE_NOTE));
        if (!noted) c.note().accept("scale-confirm", SCALE_NOTE + verdict.text());
        return verdict.text();
    }

    private static String summaryLine(StudySettings s, Standing st, Double test, String scale) {
        var line = String.format(Locale.ROOT, "baseline %s %.4f → best %.4f (%s), %d kept, σ %.4f", s.metric().id(),
                st.baselineMetric(), st.bestMetric(), st.bestRun(), st.kept().size(), st.noise().used());
        if (test != null) line += String.format(Locale.ROOT, ", test %.4f", test);
        if (scale != null) line += "; scale check: " + scale;
        return line;
    }

    private static String readSummary(Path finishing) {
        try {
            var node = Json.MAPPER.readTree(Files.readString(finishing, StandardCharsets.UTF_8)).get("summary");
            return node == null || node.isNull() ? null : node.asText();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
