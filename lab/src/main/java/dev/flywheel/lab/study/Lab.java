package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.ChangeResult;

import java.nio.file.Path;
import java.util.List;

/**
 * What a researcher gets of a study: read-only views of its history, and a way to propose. The study keeps the
 * rules — validation, the decision procedure, the budget, the journal — and its record; a researcher cannot write
 * to the store, run a baseline or change a decision. {@link Study} is the one implementation; the built-in
 * researchers and an LLM agent's tools both drive it through this interface.
 */
public interface Lab {

    StudySettings settings();

    Path directory();

    // ---- ask --------------------------------------------------------------------------------------------------------

    /** Objective, budget left, baseline, best, noise floor, search space and a row per run. */
    StudyState state();

    /** The study's typed record (runs, decisions, notes), immutable. */
    StudyHistory record();

    /** Every run with its recipe, decision and diagnostics, oldest first. */
    List<RunView> history();

    /** One run in depth: curve, evaluations, events, diagnostics. */
    RunDetails runDetails(String runId);

    Recipe bestRecipe();

    /** Whether another experiment of one run fits in the budget. */
    boolean canRunExperiment();

    boolean finished();

    /** Whether {@code change} is valid against the current best recipe, and the recipe it makes; never throws. */
    ChangeResult validate(Change change);

    // ---- tell -------------------------------------------------------------------------------------------------------

    /** Runs a change of the best recipe under {@code seeds} seeds and decides on it (see {@link Study#runExperiment}). */
    ExperimentResult runExperiment(String proposer, String hypothesis, Change change, int seeds);

    /**
     * The starting recipe against the best and the best without each kept change, on {@code seeds} fresh paired
     * seeds (see {@link Study#replicate}).
     */
    ReplicationReport replicate(int seeds);

    /** A note for the journal. */
    void note(String author, String text);

    /** Ends the study with the researcher's own summary (or null). */
    Conclusion finish(String summary);
}
