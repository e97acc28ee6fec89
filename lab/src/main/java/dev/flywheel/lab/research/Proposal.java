package dev.flywheel.lab.research;

import dev.flywheel.lab.search.Change;

import java.util.Objects;

/**
 * One experiment a researcher wants: a change of the current best recipe, why (in the proposer's words, for the
 * journal), and under how many seeds to run it.
 */
public record Proposal(String hypothesis, Change change, int seeds) {

    public Proposal {
        Objects.requireNonNull(hypothesis, "hypothesis");
        Objects.requireNonNull(change, "change");
        if (seeds < 1) throw new IllegalArgumentException("seeds must be at least 1");
    }
}
