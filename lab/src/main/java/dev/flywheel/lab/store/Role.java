package dev.flywheel.lab.store;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.flywheel.lab.LabException;

import java.util.Locale;

/**
 * What part a run plays in a study. The runs of one trial share its role, except that a confirmation seed joins an
 * experiment's trial.
 *
 * <ul>
 *   <li>{@link #BASELINE}: the starting recipe under several seeds; their mean is the first best, their spread the
 *   noise floor.</li>
 *   <li>{@link #EXPERIMENT}: a researcher's change of the best recipe, under one or more seeds.</li>
 *   <li>{@link #CONFIRM}: one more seed of an experiment whose call is not clear yet (a close call, or an
 *   ambiguous paired comparison).</li>
 *   <li>{@link #REMEASURE}: the best recipe on a fresh seed — after a keep, because the seeds that kept a change were
 *   selected for looking good, or to pair with an experiment's extra seed. Each joins the best's table of seeds.</li>
 *   <li>{@link #SCALE}: the scale check at the end: the starting and the best recipe at a larger size. Never a
 *   candidate for the best.</li>
 *   <li>{@link #REPLICATION}: a replication of the study's finding: the starting recipe, the best recipe and the best
 *   without each kept change, on fresh paired seeds, with the held-out test scored by each run. Never decided, never a
 *   candidate for the best.</li>
 *   <li>{@link #SWEEP}: one arm of a learning-rate mini-sweep (×0.5, ×1, ×2) on the sweep seed, before a structural
 *   change is judged: the change's recipe, or the best recipe it is compared with. Never a candidate for the best.</li>
 *   <li>{@link #REFERENCE}: the best recipe at the learning rate its own sweep chose, on an experiment's seed, when that
 *   is not the best's own rate: what a structural change is then paired with. Never a candidate for the best.</li>
 *   <li>{@link #LADDER}: one rung of a scaling ladder (`flywheel scale ladder`): the recipe at one size and token
 *   count (or one arm of that size's learning-rate sweep), for fitting a scaling law. Never a candidate for the best.</li>
 * </ul>
 */
public enum Role {
    BASELINE, EXPERIMENT, CONFIRM, REMEASURE, SCALE, REPLICATION, SWEEP, REFERENCE, LADDER;

    /** The role's name in the store, JSON and the journal: baseline, experiment, confirm, remeasure, scale, replication, sweep, reference, ladder. */
    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role named {@code id}, or null for null (a run outside a study). */
    public static Role of(String id) {
        if (id == null) return null;
        try {
            return valueOf(id.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new LabException("run role \"" + id + "\" is unknown; expected baseline, experiment, confirm, remeasure, scale, replication, sweep, reference or ladder");
        }
    }

    @Override
    public String toString() {
        return id();
    }
}
