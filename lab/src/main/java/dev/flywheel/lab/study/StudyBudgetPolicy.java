package dev.flywheel.lab.study;

import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.store.Role;

import java.util.Locale;

/**
 * What the study budget still allows, as a pure function of the history and the time spent. Outside the conclusion,
 * the scale check's whole cost is held back once a change has been kept, so a study can always end as planned: its
 * runs for a runs budget, its wall time for a time budget — each scale run charged at the median study run times its
 * compute ratio r² ({@link ScalePlan.Cost#runEquivalents}). A time budget is charged per run at the median wall time
 * of the study's runs so far (start-up and evaluation included), in rounds of {@code concurrency} runs.
 *
 * The replication the end runs is held back too, on {@link Replication#SHORT_SEEDS} seeds, each of its runs charged as
 * one study run. Nothing is held back when the end would take more than half the study's budget ({@link #withinHalf}).
 *
 * @param scaleCost what the end would cost after a history — the scale check and the replication's runs still
 *                  missing — or null: nothing is held back
 */
record StudyBudgetPolicy(StudyBudget budget, RunBudget runBudget, int concurrency,
                         java.util.function.Function<StudyHistory, ScalePlan.Cost> scaleCost) {

    static StudyBudgetPolicy of(StudySettings s) {
        return new StudyBudgetPolicy(s.budget(), s.runBudget(), s.concurrency(), h -> endCost(s, h));
    }

    /** What the end of a study with history {@code h} costs: its scale check (if it checks) and its replication. */
    static ScalePlan.Cost endCost(StudySettings s, StudyHistory h) {
        var scale = s.scaleConfirm() ? ScalePlan.cost(s.start(), Standing.of(h).bestRecipe(), s.space()) : ScalePlan.Cost.NONE;
        int replication = Replication.missing(h, Replication.plan(h, Replication.SHORT_SEEDS));
        return new ScalePlan.Cost(scale.runs() + replication, scale.runEquivalents() + replication);
    }

    /** How long a run takes here: the median of the study's ended runs, or a guess from the run budget before any. */
    double estimatedRunSeconds(StudyHistory h) {
        var walls = h.runs().stream().filter(r -> r.status().isFinal() && r.wallTime() != null
                        && r.role() != Role.SCALE && r.stoppedAt() == null)
                .map(r -> r.wallTime().toMillis() / 1000.0).sorted().toList();
        if (!walls.isEmpty()) return walls.get(walls.size() / 2);
        return runBudget instanceof RunBudget.Seconds s ? s.seconds() * 1.1 + 15 : 120;
    }

    /**
     * Whether {@code runs} more runs fit.
     *
     * @param forConclusion the runs are the scale check's (the reserve is theirs)
     * @param concluding    the study has begun concluding: no further experiment
     */
    boolean canAfford(StudyHistory h, double spentSeconds, int runs, boolean forConclusion, boolean concluding) {
        if (!forConclusion && concluding) return false;
        var reserve = !forConclusion && scaleCost != null && h.runsOf(Role.SCALE).isEmpty()
                && !Standing.of(h).kept().isEmpty() ? scaleCost.apply(h) : ScalePlan.Cost.NONE;
        if (!withinHalf(h, reserve)) reserve = ScalePlan.Cost.NONE;
        return fits(h, spentSeconds, runs, reserve);
    }

    /**
     * Whether the end's cost is at most half the whole study budget. A study too short for its end (a 10-minute study
     * against a scale check of 50 study runs) holds nothing back: holding back more than it has would end its search
     * at the first keep; its end is then skipped with a note saying what it needed.
     */
    boolean withinHalf(StudyHistory h, ScalePlan.Cost cost) {
        return switch (budget) {
            case StudyBudget.Runs r -> cost.runs() <= r.runs() / 2.0;
            case StudyBudget.Time t -> estimatedRunSeconds(h) * cost.runEquivalents() / concurrency
                    <= t.duration().toMillis() / 2000.0;
        };
    }

    /** Whether the whole scale check {@code cost} fits what is left (at the end of the study: nothing else to hold). */
    boolean canAffordScale(StudyHistory h, double spentSeconds, ScalePlan.Cost cost) {
        return fits(h, spentSeconds, 0, cost);
    }

    private boolean fits(StudyHistory h, double spentSeconds, int runs, ScalePlan.Cost scale) {
        return switch (budget) {
            case StudyBudget.Runs r -> h.runs().size() + runs + scale.runs() <= r.runs();
            case StudyBudget.Time t -> {
                double left = t.duration().toMillis() / 1000.0 - spentSeconds;
                double need = estimatedRunSeconds(h) * (Math.ceil(runs / (double) concurrency)
                        + Math.ceil(scale.runEquivalents() / concurrency));
                yield left >= need;
            }
        };
    }

    /** Time left of a time budget, else null. */
    Double leftSeconds(double spentSeconds) {
        return budget instanceof StudyBudget.Time t ? t.duration().toMillis() / 1000.0 - spentSeconds : null;
    }

    /** Runs left of a runs budget, else null. */
    Integer runsLeft(StudyHistory h) {
        return budget instanceof StudyBudget.Runs r ? Math.max(0, r.runs() - h.runs().size()) : null;
    }

    /** The budget as a researcher reads it in the study's state. */
    StudyState.Budget state(StudyHistory h, double spentSeconds, boolean spent) {
        var left = leftSeconds(spentSeconds);
        return new StudyState.Budget(budget.format(), runBudget.format(), spentSeconds,
                left == null ? null : Math.max(0, left), h.endedRuns(), runsLeft(h), spent, estimatedRunSeconds(h));
    }

    /** Where the study stands, for a progress line. */
    StudyListener.Standing listenerStanding(StudyHistory h, double spentSeconds) {
        var st = Standing.of(h);
        Integer total = budget instanceof StudyBudget.Runs r ? r.runs() : null;
        return new StudyListener.Standing(st.bestMetric(), st.bestRun(), st.noise().dof() > 0 ? st.noise().used() : null,
                spentSeconds, leftSeconds(spentSeconds), h.endedRuns(), total);
    }

    String describe(StudyHistory h, double spentSeconds) {
        return switch (budget) {
            case StudyBudget.Runs r -> h.runs().size() + " of " + r.runs() + " runs used";
            case StudyBudget.Time t -> String.format(Locale.ROOT, "%.0f of %.0f s used, a run takes about %.0f s",
                    spentSeconds, t.duration().toMillis() / 1000.0, estimatedRunSeconds(h));
        };
    }
}
