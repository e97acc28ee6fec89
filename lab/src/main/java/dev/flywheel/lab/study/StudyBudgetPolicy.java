package dev.flywheel.lab.study;

import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.store.Role;

import java.util.Locale;

/**
 * What the study budget still allows, as a pure function of the history and the time spent. Outside the conclusion,
 * two runs' worth is held back for the scale check once a change has been kept, so a study can always end as
 * planned. A time budget is charged per run at the median wall time of the study's runs so far (start-up and
 * evaluation included), in rounds of {@code concurrency} runs.
 *
 * @param scaleReserve whether the scale check will run (its two runs are then held back after a keep)
 */
record StudyBudgetPolicy(StudyBudget budget, RunBudget runBudget, int concurrency, boolean scaleReserve) {

    static StudyBudgetPolicy of(StudySettings s) {
        return new StudyBudgetPolicy(s.budget(), s.runBudget(), s.concurrency(), s.scaleConfirm());
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
        int reserve = !forConclusion && scaleReserve && h.runsOf(Role.SCALE).isEmpty()
                && !Standing.of(h).kept().isEmpty() ? 2 : 0;
        return switch (budget) {
            case StudyBudget.Runs r -> h.runs().size() + runs + reserve <= r.runs();
            case StudyBudget.Time t -> {
                double left = t.duration().toMillis() / 1000.0 - spentSeconds;
                double need = estimatedRunSeconds(h) * (Math.ceil(runs / (double) concurrency)
                        + Math.ceil(reserve / (double) concurrency));
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
