package dev.flywheel.lab.store;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.search.Change;

import java.util.Objects;

/**
 * A run to queue.
 *
 * @param id         the run's id, or null to have the store name it {@code STUDY-NNN} (or {@code run-XXXXXXXX} outside a study)
 * @param study      the study it belongs to, or null for a single training run
 * @param recipe     what to run
 * @param parent     the run whose recipe {@code change} was applied to, or null
 * @param change     the change from the parent's recipe, or null for a baseline
 * @param proposer   who proposed it: "baseline", "builtin", a model id, ...
 * @param hypothesis why, in the proposer's words
 * @param experiment the experiment it belongs to (the id of the experiment's first run), or null
 * @param role       what part it plays in a study, or null outside one
 */
public record NewRun(String id, String study, Recipe recipe, String parent, Change change, String proposer,
                     String hypothesis, String experiment, Role role) {

    public NewRun {
        Objects.requireNonNull(recipe, "recipe");
    }

    public NewRun(String id, String study, Recipe recipe, String parent, Change change, String proposer,
                  String hypothesis) {
        this(id, study, recipe, parent, change, proposer, hypothesis, null, null);
    }
}
