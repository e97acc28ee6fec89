package dev.flywheel.lab.budget;

/**
 * What something may spend. A {@link RunBudget} limits one training run (tokens — the default, the same run on
 * any machine — or steps, FLOPs, or wall-clock seconds of training as in fixed-time research); a {@link StudyBudget} limits a whole study
 * (total time or number of runs).
 */
public sealed interface Budget permits RunBudget, StudyBudget {

    /** The budget in the short form the parsers accept back, such as {@code 60s}, {@code 2M tokens}, {@code 50runs}. */
    String format();
}
