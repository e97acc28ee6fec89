package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;

/** A run as a researcher reads it in {@link Study#history()}: its record, recipe, decision and diagnostics. */
public record RunView(RunRecord run, Recipe recipe, DecisionRecord decision, Diagnostics diagnostics) {
    public boolean kept() {
        return decision != null && decision.decision() == Decision.KEEP;
    }

    public Role role() {
        return run.role();
    }

    /** Finished its whole budget with a metric. */
    public boolean complete() {
        return StudyHistory.complete(run);
    }
}
