package dev.flywheel.lab.search;

import dev.flywheel.lab.recipe.Recipe;

import java.util.List;

/** The outcome of applying a {@link Change} to a recipe within a {@link SearchSpace}: a new recipe, or why not. */
public sealed interface ChangeResult {

    /**
     * The change is valid.
     *
     * @param recipe the changed recipe
     * @param change the change as applied: canonical paths, coerced values, no-op entries dropped
     * @param diff   {@link Recipe#diff} from the base recipe
     */
    record Accepted(Recipe recipe, Change change, List<String> diff) implements ChangeResult {
    }

    /** The change is invalid; each reason is one sentence that names a path and says what to do instead. */
    record Rejected(List<String> reasons) implements ChangeResult {
        public Rejected {
            reasons = List.copyOf(reasons);
        }

        public String message() {
            return String.join("\n", reasons);
        }
    }
}
