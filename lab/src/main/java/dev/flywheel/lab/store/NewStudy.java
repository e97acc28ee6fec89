package dev.flywheel.lab.store;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Metric;

import java.util.Objects;
import java.util.regex.Pattern;

/** What {@link Store#createStudy} needs; see {@link StudyRecord} for the fields. */
public record NewStudy(String name, String objective, Metric metric, String researcher, String brief,
                       String searchSpace, String budget, String runBudget) {

    // Study names become folder names and run-id prefixes, so they stay portable and shell-friendly.
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public NewStudy {
        if (name == null || !NAME.matcher(name).matches())
            throw new LabException("study name \"" + name + "\" is not usable; use up to 64 letters, digits, '.', '_' "
                    + "or '-', starting with a letter or digit, such as shakespeare-lr");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(researcher, "researcher");
    }
}
