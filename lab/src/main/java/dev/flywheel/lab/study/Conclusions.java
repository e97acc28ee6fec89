package dev.flywheel.lab.study;

import dev.flywheel.data.prep.DataCache;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.journal.ResearcherText;
import dev.flywheel.lab.journal.Summary;
import dev.flywheel.lab.store.NoteRecord;
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
        var verdict = ScaleCheck.run(c);
        String scale = verdict == null ? null : verdict.text();
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
                c.note().accept(NoteRecord.STUDY, "the held-out test of " + best.id() + " failed: " + e.getMessage());
            }
        }
        var bestFile = s.dir().resolve(Study.BEST_RECIPE);
        st.bestRecipe().write(s.dir().resolve(Study.CANDIDATE_RECIPE));
        exported(c, verdict, st).write(bestFile);
        var text = new StringBuilder();
        if (scale != null) text.append(ScaleCheck.NOTE).append(scale).append("\n\n");
        if (replication != null) text.append(replication.headline()).append("\n\n");
        if (summary != null && !summary.isBlank())
            text.append("From the researcher (").append(s.researcher()).append("):\n\n").append(ResearcherText.markdown(summary.strip()));
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
        var verdict = scaleVerdict(h, s);
        var dir = s.dir();
        return new Conclusion(s.name(), s.metric().id(), h.endedRuns(), st.kept().size(), st.baselineRun(),
                st.baselineMetric(), st.bestRun(), st.bestMetric(), st.noise().used(),
                best == null ? null : best.testMetric(), st.keptLines(), verdict == null ? null : verdict.text(),
                dir.resolve(Study.BEST_RECIPE), dir.resolve(Study.JOURNAL), dir.resolve(Study.RESULTS),
                dir.resolve(Study.CHART), storedSummary, verdict == null ? null : verdict.held(),
                dir.resolve(Study.CANDIDATE_RECIPE));
    }

    /**
     * The scale check's verdict once its runs ended, recomputed from the history; NOT_CHECKED when the check was
     * skipped (its note says why); null when the study had nothing to check (no scale check, nothing kept, or not yet).
     */
    static ScaleCheck.Verdict scaleVerdict(StudyHistory h, StudySettings s) {
        var v = ScaleCheck.verdict(h, s);
        if (v != null || !h.runsOf(Role.SCALE).isEmpty()) return v;
        return h.notes().stream().filter(n -> n.body().startsWith(ScaleCheck.NOTE + "not checked at scale"))
                .findFirst().map(n -> new ScaleCheck.Verdict(ScaleCheck.Outcome.NOT_CHECKED,
                        n.body().substring(ScaleCheck.NOTE.length()))).orElse(null);
    }

    /**
     * The recipe exported as the study's best: the small-scale best when it held at scale or was not checked, else
     * the starting recipe (the change is reported in the journal, not exported); noted in the journal either way
     * when they differ.
     */
    static dev.flywheel.lab.recipe.Recipe exported(Context c, ScaleCheck.Verdict verdict, Standing st) {
        if (verdict == null || verdict.exports()) return st.bestRecipe();
        var text = "Exported the starting recipe as " + Study.BEST_RECIPE + ": the kept changes " + (verdict.outcome()
                == ScaleCheck.Outcome.INCONCLUSIVE ? "could not be checked at scale (a scale run failed)" : "did not hold "
                + "at scale") + ". The small-scale best is in " + Study.CANDIDATE_RECIPE + ".";
        if (c.ledger().history().notes().stream().noneMatch(n -> n.body().equals(text))) c.note().accept(NoteRecord.STUDY, text);
        return c.settings().start();
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
