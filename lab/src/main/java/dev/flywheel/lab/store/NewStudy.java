package dev.flywheel.lab.store;

import dev.flywheel.lab.Names;
import dev.flywheel.lab.Metric;

import java.util.Objects;

/** What {@link Store#createStudy} needs; see {@link StudyRecord} for the fields. */
public record NewStudy(String name, String objective, Metric metric, String researcher, String brief,
                       String searchSpace, String budget, String runBudget) {

    public NewStudy {
        // study names become folder names and run-id prefixes: one rule, shared with every other name-to-path
        Names.require("study name", name);
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(researcher, "researcher");
    }
}
