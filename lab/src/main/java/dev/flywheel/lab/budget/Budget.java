package dev.flywheel.lab.budget;

/**
 * What something may spend. A {@link RunBudget} limits one training run (wall-clock seconds of training — the
 * default, as in fixed-time research — or steps, tokens, FLOPs); a {@link StudyBudget} limits a whole study
 * (total time or number of runs).
 */
public sealed interface Budget permits RunBudget, StudyBudget {

    /** The budget in the short form the parsers accept back, such as {@code 60s}, {@code 2M tokens}, {@code 50runs}. */
    String format();
}
