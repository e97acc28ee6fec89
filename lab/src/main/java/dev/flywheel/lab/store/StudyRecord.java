package dev.flywheel.lab.store;

import java.time.Instant;

/**
 * A study as stored.
 *
 * @param name        the study's name, also its folder in the lab directory
 * @param objective   the brief's objective in words
 * @param metric      the metric id the study minimises (val_bpb, val_loss)
 * @param researcher  who proposes: "builtin", a model id, ...
 * @param brief       the brief's Markdown
 * @param searchSpace the search space, one dimension a line in brief syntax
 * @param budget      the study budget as written (30m, 50runs)
 * @param runBudget   the run budget as written (60s)
 * @param finished    whether the study ended (budget spent or finished early); a killed study is not finished
 * @param finishedAt  when it ended, or null
 * @param summary     the final summary, or null
 * @param spentSeconds the study time budget spent by earlier sessions (a resumed study goes on from there), or 0
 */
public record StudyRecord(String name, String objective, String metric, String researcher, String brief,
                          String searchSpace, String budget, String runBudget, boolean finished,
                          Instant createdAt, Instant updatedAt, Instant finishedAt, String summary,
                          double spentSeconds) {
}
